// Suite ID: unit.config
//
// ConfigLoaderTest.cpp
//
// The layered configuration: a base file by extension, its env overlay,
// --define overrides, ${system.env.NAME} secrets (an unset one named with
// its key), a ${...} loop named with its key, env selection; and the
// configuration files shipped in config/.
//
#include "UnitSupport.h"
#include "eventbus/BusSettings.h"
#include "eventbus/ConfigAudit.h"
#include "eventbus/ConfigLoader.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>
#include <Poco/Util/Application.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/SystemConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>
#include <cstdlib>
#include <map>

using namespace eventbus;
using namespace eventbus::test;
using Poco::Util::LayeredConfiguration;

namespace {

/// Sets or unsets an environment variable for one scope.
class ScopedEnv
{
public:
	ScopedEnv(const std::string& name, const char* value) : _name(name)
	{
		const char* old = std::getenv(name.c_str());
		_had = old != nullptr;
		if (_had)
			_old = old;
		if (value)
			::setenv(name.c_str(), value, 1);
		else
			::unsetenv(name.c_str());
	}
	~ScopedEnv()
	{
		if (_had)
			::setenv(_name.c_str(), _old.c_str(), 1);
		else
			::unsetenv(_name.c_str());
	}
private:
	std::string _name;
	std::string _old;
	bool _had = false;
};

/// Every leaf key under `root`, with its raw value.
void collect(const Poco::Util::AbstractConfiguration& config, const std::string& root,
	std::map<std::string, std::string>& out)
{
	Poco::Util::AbstractConfiguration::Keys keys;
	config.keys(root, keys);
	if (keys.empty())
	{
		if (config.hasOption(root))
			out[root] = config.getRawString(root);
		return;
	}
	for (const auto& k : keys)
		collect(config, root + "." + k, out);
}

std::string configDir()
{
	return sourceDir() + "/config";
}

} // namespace

class ConfigLoaderTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ConfigLoaderTest);
	CPPUNIT_TEST(testOpensPropertiesFile);
	CPPUNIT_TEST(testOpensIniFile);
	CPPUNIT_TEST(testOpensXmlFile);
	CPPUNIT_TEST(testMissingFileIsNamed);
	CPPUNIT_TEST(testUnknownExtensionIsRefused);
	CPPUNIT_TEST(testOverlayPathSitsBesideBase);
	CPPUNIT_TEST(testOverlayOverridesBase);
	CPPUNIT_TEST(testMissingOverlayIsFine);
	CPPUNIT_TEST(testXmlOverlayOverridesXmlBase);
	CPPUNIT_TEST(testDefinesOverrideBaseAndOverlay);
	CPPUNIT_TEST(testLoadSetsEnv);
	CPPUNIT_TEST(testLoadOfMissingBaseIsNamed);
	CPPUNIT_TEST(testInvalidEnvIsRefused);
	CPPUNIT_TEST(testSystemEnvReferenceExpandsInApplicationConfig);
	CPPUNIT_TEST(testSystemEnvReferenceExpands);
	CPPUNIT_TEST(testUnsetEnvironmentVariableIsNamedWithItsKey);
	CPPUNIT_TEST(testBusRefusesAValueWithAnUnsetEnvironmentVariable);
	CPPUNIT_TEST(testCircularReferenceIsAConfigErrorNamingTheKey);
	CPPUNIT_TEST(testBusRefusesACircularReference);
	CPPUNIT_TEST(testExpandableValuesPassTheCheck);
	CPPUNIT_TEST(testChooseEnvPrefersExplicit);
	CPPUNIT_TEST(testChooseEnvReadsEventbusEnv);
	CPPUNIT_TEST(testChooseEnvDefaultsToLocal);
	CPPUNIT_TEST(testShippedBaseLoadsForEveryEnv);
	CPPUNIT_TEST(testShippedProductionUsesRedis);
	CPPUNIT_TEST(testShippedLocalAndTestAllowInMemory);
	CPPUNIT_TEST(testShippedXmlExampleMatchesProperties);
	CPPUNIT_TEST(testShippedIniExampleMatchesProperties);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp()
	{
		_dir.reset(new Poco::TemporaryFile);
		_dir->createDirectories();
	}

	void tearDown()
	{
		_dir.reset();
	}

	void testOpensPropertiesFile()
	{
		const std::string path = write("eventbus.properties", "eventbus.transport = loopback\neventbus.redis.url = redis://h:1\n");
		auto config = ConfigLoader::open(path);
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), config->getString("eventbus.transport"));
		CPPUNIT_ASSERT_EQUAL(std::string("redis://h:1"), config->getString("eventbus.redis.url"));
	}

	void testOpensIniFile()
	{
		const std::string path = write("eventbus.ini", "[eventbus]\ntransport = loopback\n[eventbus.redis]\nurl = redis://h:1\n");
		auto config = ConfigLoader::open(path);
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), config->getString("eventbus.transport"));
		CPPUNIT_ASSERT_EQUAL(std::string("redis://h:1"), config->getString("eventbus.redis.url"));
	}

	void testOpensXmlFile()
	{
		const std::string path = write("eventbus.xml",
			"<config><eventbus><transport>loopback</transport><redis><url>redis://h:1</url></redis></eventbus></config>\n");
		auto config = ConfigLoader::open(path);
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), config->getString("eventbus.transport"));
		CPPUNIT_ASSERT_EQUAL(std::string("redis://h:1"), config->getString("eventbus.redis.url"));
	}

	void testMissingFileIsNamed()
	{
		const std::string path = _dir->path() + "/absent.properties";
		const std::string msg = expectThrow<ConfigException>([&] { ConfigLoader::open(path); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, path));
	}

	void testUnknownExtensionIsRefused()
	{
		const std::string path = write("eventbus.yaml", "eventbus:\n  transport: memory\n");
		const std::string msg = expectThrow<ConfigException>([&] { ConfigLoader::open(path); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, path));
	}

	void testOverlayPathSitsBesideBase()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("/etc/app/eventbus.production.properties"),
			ConfigLoader::overlayPath("/etc/app/eventbus.properties", "production"));
		CPPUNIT_ASSERT_EQUAL(std::string("/etc/app/eventbus.test.xml"),
			ConfigLoader::overlayPath("/etc/app/eventbus.xml", "test"));
		CPPUNIT_ASSERT_EQUAL(std::string("/etc/app/bus.staging.ini"),
			ConfigLoader::overlayPath("/etc/app/bus.ini", "staging"));
	}

	void testOverlayOverridesBase()
	{
		const std::string base = write("eventbus.properties",
			"eventbus.transport = memory\neventbus.source = /base\n");
		write("eventbus.staging.properties", "eventbus.transport = loopback\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		LayeredConfiguration& config = *layers;
		ConfigLoader::load(config, base, "staging");
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), config.getString("eventbus.transport"));
		CPPUNIT_ASSERT_EQUAL(std::string("/base"), config.getString("eventbus.source"));
	}

	void testMissingOverlayIsFine()
	{
		const std::string base = write("eventbus.properties", "eventbus.transport = memory\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		LayeredConfiguration& config = *layers;
		ConfigLoader::load(config, base, "nooverlay");
		CPPUNIT_ASSERT_EQUAL(std::string("memory"), config.getString("eventbus.transport"));
	}

	void testXmlOverlayOverridesXmlBase()
	{
		const std::string base = write("eventbus.xml",
			"<config><eventbus><transport>memory</transport><source>/base</source></eventbus></config>");
		write("eventbus.staging.xml", "<config><eventbus><transport>redis</transport></eventbus></config>");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		LayeredConfiguration& config = *layers;
		ConfigLoader::load(config, base, "staging");
		CPPUNIT_ASSERT_EQUAL(std::string("redis"), config.getString("eventbus.transport"));
		CPPUNIT_ASSERT_EQUAL(std::string("/base"), config.getString("eventbus.source"));
	}

	void testDefinesOverrideBaseAndOverlay()
	{
		const std::string base = write("eventbus.properties",
			"eventbus.transport = memory\neventbus.source = /base\n");
		write("eventbus.staging.properties", "eventbus.transport = loopback\neventbus.source = /overlay\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		LayeredConfiguration& config = *layers;
		ConfigLoader::load(config, base, "staging", {{"eventbus.transport", "redis"}, {"eventbus.extra", "x"}});
		CPPUNIT_ASSERT_EQUAL(std::string("redis"), config.getString("eventbus.transport"));
		CPPUNIT_ASSERT_EQUAL(std::string("/overlay"), config.getString("eventbus.source"));
		CPPUNIT_ASSERT_EQUAL(std::string("x"), config.getString("eventbus.extra"));
	}

	void testLoadSetsEnv()
	{
		const std::string base = write("eventbus.properties", "eventbus.env = local\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		LayeredConfiguration& config = *layers;
		ConfigLoader::load(config, base, "staging");
		CPPUNIT_ASSERT_EQUAL(std::string("staging"), config.getString("eventbus.env"));
		CPPUNIT_ASSERT_EQUAL(std::string("staging"), BusSettings::fromConfig(config).env);
	}

	void testLoadOfMissingBaseIsNamed()
	{
		const std::string base = _dir->path() + "/nothere.properties";
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		LayeredConfiguration& config = *layers;
		const std::string msg = expectThrow<ConfigException>([&] { ConfigLoader::load(config, base, "test"); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, base));
	}

	void testInvalidEnvIsRefused()
	{
		const std::string base = write("eventbus.properties", "eventbus.transport = memory\n");
		for (const char* env : {"Prod.1", "../etc", "a*b"})
		{
			Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
			LayeredConfiguration& config = *layers;
			const std::string msg = expectThrow<EventBusException>([&] { ConfigLoader::load(config, base, env); }, env);
			CPPUNIT_ASSERT_MESSAGE(msg, containsNoCase(msg, "env"));
		}
	}

	void testSystemEnvReferenceExpandsInApplicationConfig()
	{
		// As inside a Poco::Util::Application, whose configuration has the system layer.
		ScopedEnv secret("EVENTBUS_UNIT_SECRET", "s3cret-value");
		const std::string base = write("eventbus.properties",
			"eventbus.redis.url = redis://user:${system.env.EVENTBUS_UNIT_SECRET}@h:1\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		layers->add(new Poco::Util::SystemConfiguration, Poco::Util::Application::PRIO_SYSTEM, false);
		ConfigLoader::load(*layers, base, "test");
		CPPUNIT_ASSERT_EQUAL(std::string("redis://user:s3cret-value@h:1"), layers->getString("eventbus.redis.url"));
	}

	void testSystemEnvReferenceExpands()
	{
		// A host that is not a Poco application builds its configuration with ConfigLoader alone.
		ScopedEnv secret("EVENTBUS_UNIT_SECRET", "s3cret-value");
		const std::string base = write("eventbus.properties",
			"eventbus.redis.url = redis://user:${system.env.EVENTBUS_UNIT_SECRET}@h:1\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		LayeredConfiguration& config = *layers;
		ConfigLoader::load(config, base, "test");
		CPPUNIT_ASSERT_EQUAL(std::string("redis://user:s3cret-value@h:1"), config.getString("eventbus.redis.url"));
	}

	void testUnsetEnvironmentVariableIsNamedWithItsKey()
	{
		ScopedEnv unset("EVENTBUS_UNIT_UNSET_URL", nullptr);
		const std::string base = write("eventbus.properties",
			"eventbus.transport = redis\neventbus.redis.url = ${system.env.EVENTBUS_UNIT_UNSET_URL}\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		ConfigLoader::load(*layers, base, "production");
		const std::string msg = expectThrow<ConfigException>([&] { ConfigAudit::checkValues(*layers); });
		CPPUNIT_ASSERT_EQUAL(std::string("eventbus.redis.url: environment variable EVENTBUS_UNIT_UNSET_URL is not set"), msg);
	}

	void testBusRefusesAValueWithAnUnsetEnvironmentVariable()
	{
		ScopedEnv unset("EVENTBUS_UNIT_UNSET_SOURCE", nullptr);
		const std::string base = write("eventbus.properties",
			"eventbus.transport = memory\neventbus.source = /app/${system.env.EVENTBUS_UNIT_UNSET_SOURCE}\n"
			"eventbus.plugins.path = " + pluginDir() + "\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		ConfigLoader::load(*layers, base, "test");
		const std::string msg = expectThrow<ConfigException>([&] { EventBus bus(*layers); });
		CPPUNIT_ASSERT_EQUAL(std::string("eventbus.source: environment variable EVENTBUS_UNIT_UNSET_SOURCE is not set"), msg);
	}

	void testCircularReferenceIsAConfigErrorNamingTheKey()
	{
		const std::string base = write("eventbus.properties",
			"eventbus.transport = memory\neventbus.source = ${eventbus.channel.prefix}\n"
			"eventbus.channel.prefix = ${eventbus.source}\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		ConfigLoader::load(*layers, base, "test");
		const std::string msg = expectThrow<ConfigException>([&] { ConfigAudit::checkValues(*layers); });
		CPPUNIT_ASSERT_MESSAGE(msg, startsWith(msg, "eventbus.channel.prefix: ") || startsWith(msg, "eventbus.source: "));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "loop"));
	}

	void testBusRefusesACircularReference()
	{
		const std::string base = write("eventbus.properties",
			"eventbus.transport = memory\neventbus.plugins.path = " + pluginDir() + "\n"
			"eventbus.metrics.tenantLabel = ${eventbus.metrics.tenantLabel}\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		ConfigLoader::load(*layers, base, "test");
		const std::string msg = expectThrow<ConfigException>([&] { EventBus bus(*layers); });
		CPPUNIT_ASSERT_MESSAGE(msg, startsWith(msg, "eventbus.metrics.tenantLabel: "));
	}

	void testExpandableValuesPassTheCheck()
	{
		ScopedEnv secret("EVENTBUS_UNIT_SECRET", "s3cret-value");
		const std::string base = write("eventbus.properties",
			"eventbus.redis.url = redis://user:${system.env.EVENTBUS_UNIT_SECRET}@h:1\n"
			"eventbus.source = /${eventbus.channel.prefix}\neventbus.channel.prefix = c2pro\n");
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		ConfigLoader::load(*layers, base, "test");
		ConfigAudit::checkValues(*layers);
		CPPUNIT_ASSERT_EQUAL(std::string("/c2pro"), layers->getString("eventbus.source"));
	}

	void testChooseEnvPrefersExplicit()
	{
		ScopedEnv env("EVENTBUS_ENV", "test");
		CPPUNIT_ASSERT_EQUAL(std::string("staging"), ConfigLoader::chooseEnv("staging"));
	}

	void testChooseEnvReadsEventbusEnv()
	{
		ScopedEnv env("EVENTBUS_ENV", "test");
		CPPUNIT_ASSERT_EQUAL(std::string("test"), ConfigLoader::chooseEnv(""));
	}

	void testChooseEnvDefaultsToLocal()
	{
		ScopedEnv env("EVENTBUS_ENV", nullptr);
		CPPUNIT_ASSERT_EQUAL(std::string("local"), ConfigLoader::chooseEnv(""));
	}

	void testShippedBaseLoadsForEveryEnv()
	{
		const std::string base = shipped("eventbus.properties");
		for (const char* env : {"local", "test", "staging", "production"})
		{
			const std::string overlay = ConfigLoader::overlayPath(base, env);
			CPPUNIT_ASSERT_MESSAGE("missing " + overlay, Poco::File(overlay).exists());
			Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
			LayeredConfiguration& config = *layers;
			ConfigLoader::load(config, base, env);
			const BusSettings s = BusSettings::fromConfig(config);
			CPPUNIT_ASSERT_EQUAL(std::string(env), s.env);
			CPPUNIT_ASSERT(!s.transport.empty());
		}
	}

	void testShippedProductionUsesRedis()
	{
		Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
		LayeredConfiguration& config = *layers;
		ConfigLoader::load(config, shipped("eventbus.properties"), "production");
		const BusSettings s = BusSettings::fromConfig(config);
		CPPUNIT_ASSERT_EQUAL(std::string("redis"), s.transport);
		CPPUNIT_ASSERT(!s.inMemoryAllowed());
		CPPUNIT_ASSERT(!s.allowCrossTenant);
	}

	void testShippedLocalAndTestAllowInMemory()
	{
		for (const char* env : {"local", "test"})
		{
			Poco::AutoPtr<LayeredConfiguration> layers(new LayeredConfiguration);
			LayeredConfiguration& config = *layers;
			ConfigLoader::load(config, shipped("eventbus.properties"), env);
			CPPUNIT_ASSERT_MESSAGE(env, BusSettings::fromConfig(config).inMemoryAllowed());
		}
	}

	void testShippedXmlExampleMatchesProperties()
	{
		compareWithProperties("eventbus.example.xml");
	}

	void testShippedIniExampleMatchesProperties()
	{
		compareWithProperties("eventbus.example.ini");
	}

private:
	std::string write(const std::string& name, const std::string& content)
	{
		const std::string path = _dir->path() + "/" + name;
		Poco::FileOutputStream out(path);
		out << content;
		out.close();
		return path;
	}

	static std::string shipped(const std::string& name)
	{
		const std::string path = configDir() + "/" + name;
		CPPUNIT_ASSERT_MESSAGE("missing shipped configuration file " + path, Poco::File(path).exists());
		return path;
	}

	/// Every eventbus.* and logging.* key of the example has the value the
	/// base properties give it, and the example carries the core keys.
	static void compareWithProperties(const std::string& example)
	{
		auto properties = ConfigLoader::open(shipped("eventbus.properties"));
		auto other = ConfigLoader::open(shipped(example));
		for (const char* root : {"eventbus", "logging"})
		{
			std::map<std::string, std::string> expected, actual;
			collect(*properties, root, expected);
			collect(*other, root, actual);
			CPPUNIT_ASSERT_MESSAGE(example + " has no " + root + ".* keys", !actual.empty());
			for (const auto& kv : actual)
			{
				auto it = expected.find(kv.first);
				CPPUNIT_ASSERT_MESSAGE(example + ": " + kv.first + " is not in eventbus.properties", it != expected.end());
				CPPUNIT_ASSERT_EQUAL_MESSAGE(example + ": " + kv.first, it->second, kv.second);
			}
		}
		for (const char* key : {"eventbus.transport", "eventbus.plugins.path", "eventbus.channel.prefix",
		                        "eventbus.source", "eventbus.maxPayloadBytes", "eventbus.policy.inMemoryEnvs",
		                        "eventbus.security.allowCrossTenant", "eventbus.middleware", "eventbus.redaction.mode"})
			CPPUNIT_ASSERT_MESSAGE(example + " lacks " + key, other->hasProperty(key));
		const BusSettings fromExample = BusSettings::fromConfig(*other);
		const BusSettings fromProperties = BusSettings::fromConfig(*properties);
		CPPUNIT_ASSERT_EQUAL(fromProperties.transport, fromExample.transport);
		CPPUNIT_ASSERT_EQUAL(fromProperties.prefix, fromExample.prefix);
		CPPUNIT_ASSERT_EQUAL(fromProperties.maxPayloadBytes, fromExample.maxPayloadBytes);
		CPPUNIT_ASSERT(fromProperties.middleware == fromExample.middleware);
		CPPUNIT_ASSERT(fromProperties.inMemoryEnvs == fromExample.inMemoryEnvs);
	}

	std::unique_ptr<Poco::TemporaryFile> _dir;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigLoaderTest);
