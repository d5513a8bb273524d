// Suite ID: unit.config.layers
//
// ConfigLoaderLayersTest.cpp
//
// Part of the ConfigLoaderTest suite. The layered configuration: a base file
// opened by its extension (properties, ini, xml), its env overlay beside it,
// --define overrides above both, the env the loader sets and refuses, and
// the choice of env (explicit, EVENTBUS_ENV, local).
//
#include "ConfigLoaderTestSupport.h"
#include "eventbus/BusSettings.h"
#include "eventbus/ConfigLoader.h"
#include "eventbus/Exceptions.h"
#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;
using Poco::Util::LayeredConfiguration;

class ConfigLoaderLayersTest : public ConfigFolderFixture
{
	CPPUNIT_TEST_SUITE(ConfigLoaderLayersTest);
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
	CPPUNIT_TEST(testChooseEnvPrefersExplicit);
	CPPUNIT_TEST(testChooseEnvReadsEventbusEnv);
	CPPUNIT_TEST(testChooseEnvDefaultsToLocal);
	CPPUNIT_TEST_SUITE_END();

public:
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigLoaderLayersTest);
