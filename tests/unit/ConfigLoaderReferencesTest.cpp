// Suite ID: unit.config.references
//
// ConfigLoaderReferencesTest.cpp
//
// Part of the ConfigLoaderTest suite. ${...} references in loaded values:
// ${system.env.NAME} secrets expand with and without Poco's system layer, an
// unset variable and a ${...} loop are configuration errors naming their key
// (from ConfigAudit::checkValues and from the bus), and expandable values
// pass the check.
//
#include "ConfigLoaderTestSupport.h"
#include "eventbus/ConfigAudit.h"
#include "eventbus/ConfigLoader.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <Poco/AutoPtr.h>
#include <Poco/Util/Application.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/SystemConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;
using Poco::Util::LayeredConfiguration;

class ConfigLoaderReferencesTest : public ConfigFolderFixture
{
	CPPUNIT_TEST_SUITE(ConfigLoaderReferencesTest);
	CPPUNIT_TEST(testSystemEnvReferenceExpandsInApplicationConfig);
	CPPUNIT_TEST(testSystemEnvReferenceExpands);
	CPPUNIT_TEST(testUnsetEnvironmentVariableIsNamedWithItsKey);
	CPPUNIT_TEST(testBusRefusesAValueWithAnUnsetEnvironmentVariable);
	CPPUNIT_TEST(testCircularReferenceIsAConfigErrorNamingTheKey);
	CPPUNIT_TEST(testBusRefusesACircularReference);
	CPPUNIT_TEST(testExpandableValuesPassTheCheck);
	CPPUNIT_TEST_SUITE_END();

public:
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigLoaderReferencesTest);
