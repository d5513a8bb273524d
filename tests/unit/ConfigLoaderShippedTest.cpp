// Suite ID: unit.config.shipped
//
// ConfigLoaderShippedTest.cpp
//
// Part of the ConfigLoaderTest suite. The configuration files shipped in
// config/: the base loads with the overlay of every env, production uses
// redis and refuses in-memory transports, local and test allow them, and the
// xml and ini examples hold the same keys and values as the properties.
//
#include "UnitSupport.h"
#include "eventbus/BusSettings.h"
#include "eventbus/ConfigLoader.h"
#include <Poco/AutoPtr.h>
#include <Poco/File.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>
#include <map>

using namespace eventbus;
using namespace eventbus::test;
using Poco::Util::LayeredConfiguration;

namespace {

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

class ConfigLoaderShippedTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ConfigLoaderShippedTest);
	CPPUNIT_TEST(testShippedBaseLoadsForEveryEnv);
	CPPUNIT_TEST(testShippedProductionUsesRedis);
	CPPUNIT_TEST(testShippedLocalAndTestAllowInMemory);
	CPPUNIT_TEST(testShippedXmlExampleMatchesProperties);
	CPPUNIT_TEST(testShippedIniExampleMatchesProperties);
	CPPUNIT_TEST_SUITE_END();

public:
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigLoaderShippedTest);
