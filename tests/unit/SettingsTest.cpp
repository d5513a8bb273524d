// Suite ID: unit.settings
//
// SettingsTest.cpp
//
// BusSettings::fromConfig: defaults, every key, and refusals naming the key.
//
#include "UnitSupport.h"
#include "eventbus/BusSettings.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Redactor.h"
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

namespace {

BusSettings settingsWith(const std::map<std::string, std::string>& keys)
{
	Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
	for (const auto& kv : keys)
		config->setString(kv.first, kv.second);
	return BusSettings::fromConfig(*config);
}

/// fromConfig must refuse `value` for `key` with a ConfigException naming the key.
void refusedNamingKey(const std::string& key, const std::string& value)
{
	const std::string msg = expectThrow<ConfigException>([&] { settingsWith({{key, value}}); }, key + "=" + value);
	CPPUNIT_ASSERT_MESSAGE(key + "=" + value + " -> " + msg, contains(msg, key));
}

} // namespace

class SettingsTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SettingsTest);
	CPPUNIT_TEST(testDefaultsWhenNothingIsSet);
	CPPUNIT_TEST(testEveryKeyIsRead);
	CPPUNIT_TEST(testListsAreTrimmed);
	CPPUNIT_TEST(testNegativeMaxPayloadBytesIsRefused);
	CPPUNIT_TEST(testNonNumericMaxPayloadBytesIsRefused);
	CPPUNIT_TEST(testUnknownRedactionModeIsRefused);
	CPPUNIT_TEST(testInvalidEnvIsRefused);
	CPPUNIT_TEST(testPrefixWithGlobIsRefused);
	CPPUNIT_TEST(testNonBooleanAllowCrossTenantIsRefused);
	CPPUNIT_TEST(testNegativeIdempotencyValuesAreRefused);
	CPPUNIT_TEST(testInvalidEnvInInMemoryEnvsIsRefused);
	CPPUNIT_TEST(testMaxAgeBeyondWindowIsRefused);
	CPPUNIT_TEST(testStrictModesDefaultOnAndCanBeTurnedOff);
	CPPUNIT_TEST(testUnknownMiddlewareIsRefusedByEventBus);
	CPPUNIT_TEST(testRepeatedMiddlewareIsRefusedByEventBus);
	CPPUNIT_TEST(testInMemoryAllowedInLocalAndTest);
	CPPUNIT_TEST(testInMemoryRefusedInProduction);
	CPPUNIT_TEST(testInMemoryEnvsAreConfigurable);
	CPPUNIT_TEST_SUITE_END();

public:
	void testDefaultsWhenNothingIsSet()
	{
		const BusSettings s = settingsWith({});
		CPPUNIT_ASSERT_EQUAL(std::string("local"), s.env);
		CPPUNIT_ASSERT_EQUAL(std::string("memory"), s.transport);
		CPPUNIT_ASSERT_EQUAL(std::string("c2pro"), s.prefix);
		CPPUNIT_ASSERT_EQUAL(std::string("/eventbus"), s.source);
		CPPUNIT_ASSERT_EQUAL(std::size_t(256 * 1024), s.maxPayloadBytes);
		CPPUNIT_ASSERT(!s.allowCrossTenant);
		CPPUNIT_ASSERT(s.inMemoryEnvs == std::vector<std::string>({"local", "test"}));
		CPPUNIT_ASSERT(s.middleware == std::vector<std::string>({"tenant-guard", "redaction", "idempotency", "metrics"}));
		CPPUNIT_ASSERT(s.redactionKeys == Redactor::defaultKeys());
		CPPUNIT_ASSERT(s.redactionMode == RedactionMode::Log);
		CPPUNIT_ASSERT_EQUAL(std::size_t(100000), s.idempotencyMaxEntries);
		CPPUNIT_ASSERT_EQUAL(3600, s.idempotencyWindowSeconds);
		CPPUNIT_ASSERT_EQUAL(3600, s.maxEventAgeSeconds);
		CPPUNIT_ASSERT_EQUAL(60, s.maxClockSkewSeconds);
		CPPUNIT_ASSERT(!s.metricsTenantLabel);
		CPPUNIT_ASSERT_EQUAL(5000, s.drainTimeoutMs);
		CPPUNIT_ASSERT(s.pluginsStrictModes);
	}

	void testEveryKeyIsRead()
	{
		const BusSettings s = settingsWith({
			{"eventbus.env", "staging"},
			{"eventbus.transport", "redis"},
			{"eventbus.channel.prefix", "acme-app"},
			{"eventbus.source", "/billing"},
			{"eventbus.maxPayloadBytes", "1024"},
			{"eventbus.security.allowCrossTenant", "true"},
			{"eventbus.policy.inMemoryEnvs", "local,dev"},
			{"eventbus.middleware", "metrics,tenant-guard"},
			{"eventbus.redaction.keys", "ssn,pin"},
			{"eventbus.redaction.mode", "payload"},
			{"eventbus.idempotency.maxEntries", "10"},
			{"eventbus.idempotency.windowSeconds", "5"},
			{"eventbus.idempotency.maxAgeSeconds", "0"},
			{"eventbus.idempotency.maxClockSkewSeconds", "1"},
			{"eventbus.metrics.tenantLabel", "true"},
			{"eventbus.plugins.path", "/opt/eventbus/plugins"},
			{"eventbus.delivery.drainTimeoutMs", "100"},
		});
		CPPUNIT_ASSERT_EQUAL(std::string("staging"), s.env);
		CPPUNIT_ASSERT_EQUAL(std::string("redis"), s.transport);
		CPPUNIT_ASSERT_EQUAL(std::string("acme-app"), s.prefix);
		CPPUNIT_ASSERT_EQUAL(std::string("/billing"), s.source);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1024), s.maxPayloadBytes);
		CPPUNIT_ASSERT(s.allowCrossTenant);
		CPPUNIT_ASSERT(s.inMemoryEnvs == std::vector<std::string>({"local", "dev"}));
		CPPUNIT_ASSERT(s.middleware == std::vector<std::string>({"metrics", "tenant-guard"}));
		CPPUNIT_ASSERT(s.redactionKeys == std::vector<std::string>({"ssn", "pin"}));
		CPPUNIT_ASSERT(s.redactionMode == RedactionMode::Payload);
		CPPUNIT_ASSERT_EQUAL(std::size_t(10), s.idempotencyMaxEntries);
		CPPUNIT_ASSERT_EQUAL(5, s.idempotencyWindowSeconds);
		CPPUNIT_ASSERT_EQUAL(0, s.maxEventAgeSeconds);
		CPPUNIT_ASSERT_EQUAL(1, s.maxClockSkewSeconds);
		CPPUNIT_ASSERT(s.metricsTenantLabel);
		CPPUNIT_ASSERT_EQUAL(std::string("/opt/eventbus/plugins"), s.pluginsPath);
		CPPUNIT_ASSERT_EQUAL(100, s.drainTimeoutMs);
	}

	void testListsAreTrimmed()
	{
		const BusSettings s = settingsWith({
			{"eventbus.middleware", " tenant-guard , metrics "},
			{"eventbus.policy.inMemoryEnvs", "local, test ,dev"},
		});
		CPPUNIT_ASSERT(s.middleware == std::vector<std::string>({"tenant-guard", "metrics"}));
		CPPUNIT_ASSERT(s.inMemoryEnvs == std::vector<std::string>({"local", "test", "dev"}));
	}

	void testNegativeMaxPayloadBytesIsRefused()
	{
		refusedNamingKey("eventbus.maxPayloadBytes", "-1");
	}

	void testNonNumericMaxPayloadBytesIsRefused()
	{
		refusedNamingKey("eventbus.maxPayloadBytes", "lots");
	}

	void testUnknownRedactionModeIsRefused()
	{
		refusedNamingKey("eventbus.redaction.mode", "foo");
	}

	void testInvalidEnvIsRefused()
	{
		refusedNamingKey("eventbus.env", "Prod.1");
		refusedNamingKey("eventbus.env", "");
	}

	void testPrefixWithGlobIsRefused()
	{
		refusedNamingKey("eventbus.channel.prefix", "a*b");
		refusedNamingKey("eventbus.channel.prefix", "a.b");
	}

	void testNonBooleanAllowCrossTenantIsRefused()
	{
		refusedNamingKey("eventbus.security.allowCrossTenant", "maybe");
	}

	void testNegativeIdempotencyValuesAreRefused()
	{
		refusedNamingKey("eventbus.idempotency.windowSeconds", "-5");
		refusedNamingKey("eventbus.idempotency.maxAgeSeconds", "-1");
		refusedNamingKey("eventbus.idempotency.maxEntries", "-1");
	}

	void testInvalidEnvInInMemoryEnvsIsRefused()
	{
		refusedNamingKey("eventbus.policy.inMemoryEnvs", "local,Te*st");
	}

	void testMaxAgeBeyondWindowIsRefused()
	{
		// A replay older than the window but younger than the maximum age would pass.
		const std::string msg = expectThrow<ConfigException>([] {
			settingsWith({{"eventbus.idempotency.windowSeconds", "60"}, {"eventbus.idempotency.maxAgeSeconds", "120"}});
		});
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.idempotency.maxAgeSeconds"));
	}

	void testStrictModesDefaultOnAndCanBeTurnedOff()
	{
		CPPUNIT_ASSERT(settingsWith({}).pluginsStrictModes);
		CPPUNIT_ASSERT(!settingsWith({{"eventbus.plugins.strictModes", "false"}}).pluginsStrictModes);
		refusedNamingKey("eventbus.plugins.strictModes", "sometimes");
	}

	void testUnknownMiddlewareIsRefusedByEventBus()
	{
		auto config = makeConfig("loopback", {{"eventbus.middleware", "tenant-guard,bogus"}});
		const std::string msg = expectThrow<ConfigException>([&] { EventBus bus(*config); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.middleware"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "bogus"));
	}

	void testRepeatedMiddlewareIsRefusedByEventBus()
	{
		auto config = makeConfig("loopback", {{"eventbus.middleware", "metrics,metrics"}});
		const std::string msg = expectThrow<ConfigException>([&] { EventBus bus(*config); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.middleware"));
	}

	void testInMemoryAllowedInLocalAndTest()
	{
		CPPUNIT_ASSERT(settingsWith({{"eventbus.env", "local"}}).inMemoryAllowed());
		CPPUNIT_ASSERT(settingsWith({{"eventbus.env", "test"}}).inMemoryAllowed());
	}

	void testInMemoryRefusedInProduction()
	{
		CPPUNIT_ASSERT(!settingsWith({{"eventbus.env", "production"}}).inMemoryAllowed());
		CPPUNIT_ASSERT(!settingsWith({{"eventbus.env", "staging"}}).inMemoryAllowed());
	}

	void testInMemoryEnvsAreConfigurable()
	{
		CPPUNIT_ASSERT(settingsWith({{"eventbus.env", "staging"}, {"eventbus.policy.inMemoryEnvs", "staging"}}).inMemoryAllowed());
		CPPUNIT_ASSERT(!settingsWith({{"eventbus.env", "local"}, {"eventbus.policy.inMemoryEnvs", "test"}}).inMemoryAllowed());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(SettingsTest);
