// Suite ID: integration.redis.config
//
// RedisConfigTest.cpp
//
// The eventbus.redis.* keys: refused values name the key, the URL's user,
// password and database are used, and the password never shows in an error,
// a health reason or a log line.
//
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <cppunit/extensions/HelperMacros.h>
#include <chrono>
#include <memory>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Topic = "orders.created";

std::string configError(const std::map<std::string, std::string>& overrides)
{
	return messageOf<ConfigException>([&]() { EventBus bus(*redisConfig("redis://127.0.0.1:1/0", overrides)); });
}

} // namespace

class RedisConfigTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisConfigTest);
	CPPUNIT_TEST(testRedissIsTlsAndItsKeysAreChecked);
	CPPUNIT_TEST(testOtherSchemesAreRefused);
	CPPUNIT_TEST(testMalformedUrlIsRefusedWithoutEchoingIt);
	CPPUNIT_TEST(testInvalidNumbersNameTheKey);
	CPPUNIT_TEST(testInvalidOutagePolicyNamesTheKey);
	CPPUNIT_TEST(testInitialBackoffAboveMaximumIsRefused);
	CPPUNIT_TEST(testUrlDatabaseIsSelected);
	CPPUNIT_TEST(testDatabaseOutOfRangeMakesHealthNameTheCause);
	CPPUNIT_TEST(testAclUserAndPasswordAuthenticate);
	CPPUNIT_TEST(testPasswordNeverShowsInErrorsHealthOrLogs);
	CPPUNIT_TEST(testUnreachableServerStartsNotReady);
	CPPUNIT_TEST(testUnresolvableHostFailsWithinConnectTimeout);
	CPPUNIT_TEST(testTopologyKeysAreCheckedAndNameTheKey);
	CPPUNIT_TEST_SUITE_END();

public:
	void testRedissIsTlsAndItsKeysAreChecked()
	{
		// rediss:// is TLS (tests/integration/RedisTlsKeysTest.cpp); its keys are read at start.
		const std::string message = configError({{"eventbus.redis.url", "rediss://:pw@127.0.0.1:6380/0"},
			{"eventbus.redis.tls.caFile", "/nonexistent/ca.pem"}});
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.caFile"));
		CPPUNIT_ASSERT_MESSAGE(message, !contains(message, "TLS not supported yet"));
	}

	void testOtherSchemesAreRefused()
	{
		for (const char* url : {"http://127.0.0.1:6379", "tcp://127.0.0.1:6379", "127.0.0.1:6379"})
		{
			const std::string message = configError({{"eventbus.redis.url", url}});
			CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.url"));
			CPPUNIT_ASSERT_MESSAGE(message, contains(message, "redis://"));
		}
	}

	void testMalformedUrlIsRefusedWithoutEchoingIt()
	{
		for (const char* url : {"redis://:hunter2@127.0.0.1:99999/0", "redis://:hunter2@127.0.0.1:6379/x",
				 "redis://hunter2@127.0.0.1:6379/0", "redis://:hunter2@127.0.0.1:6379/0?db=1"})
		{
			const std::string message = configError({{"eventbus.redis.url", url}});
			CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.url"));
			CPPUNIT_ASSERT_MESSAGE(message, !contains(message, "hunter2"));
		}
	}

	void testInvalidNumbersNameTheKey()
	{
		for (const char* key : {"eventbus.redis.connectTimeoutMs", "eventbus.redis.commandTimeoutMs",
				 "eventbus.redis.healthIntervalMs", "eventbus.redis.healthTimeoutMs",
				 "eventbus.redis.reconnect.initialMs", "eventbus.redis.reconnect.maxMs",
				 "eventbus.redis.deliveryQueueCapacity", "eventbus.redis.maxMessageBytes",
				 "eventbus.redis.buffer.maxEvents", "eventbus.redis.buffer.maxBytes"})
		{
			for (const char* value : {"abc", "0", "-5", "12ms"})
			{
				const std::string message = configError({{key, value}});
				CPPUNIT_ASSERT_MESSAGE(message, contains(message, key));
			}
		}
	}

	void testInvalidOutagePolicyNamesTheKey()
	{
		const std::string message = configError({{"eventbus.redis.onOutage", "retry"}});
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.onOutage"));
	}

	void testInitialBackoffAboveMaximumIsRefused()
	{
		const std::string message = configError({{"eventbus.redis.reconnect.initialMs", "1000"},
			{"eventbus.redis.reconnect.maxMs", "500"}});
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.reconnect.initialMs"));
	}

	void testUrlDatabaseIsSelected()
	{
		RedisServer server;
		EventLog log;
		EventBus bus(*redisConfig("redis://127.0.0.1:" + std::to_string(server.port()) + "/3"));
		bus.subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT(bus.health().ready);
		const std::string clients = server.command({"CLIENT", "LIST"}).str;
		CPPUNIT_ASSERT_MESSAGE(clients, contains(clients, "db=3"));

		bus.publish(Topic, std::string(R"({"n":1})"), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));
	}

	void testDatabaseOutOfRangeMakesHealthNameTheCause()
	{
		RedisServer server;
		EventBus bus(*redisConfig("redis://127.0.0.1:" + std::to_string(server.port()) + "/99"));
		TransportHealth health = bus.health();
		CPPUNIT_ASSERT(!health.ready);
		CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, server.endpoint()));
		CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, "DB index is out of range"));
	}

	void testAclUserAndPasswordAuthenticate()
	{
		RedisServer server({}, "admin-pw");
		server.command({"ACL", "SETUSER", "orders", "on", ">orders-pw", "~*", "&*", "+@all"});
		EventLog log;
		EventBus bus(*redisConfig("redis://orders:orders-pw@" + server.endpoint() + "/0"));
		bus.subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		TransportHealth health = bus.health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
		const std::string clients = server.command({"CLIENT", "LIST"}).str;
		CPPUNIT_ASSERT_MESSAGE(clients, contains(clients, "user=orders"));

		bus.publish(Topic, std::string(R"({"n":1})"), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));
	}

	void testPasswordNeverShowsInErrorsHealthOrLogs()
	{
		const std::string secret = "Sup3r-S3cret-Pw";
		RedisServer server({}, "the-right-one");
		LogCapture transportLog;
		LogCapture busLog("eventbus.bus");
		{
			EventLog log;
			EventBus bus(*redisConfig("redis://:" + secret + "@" + server.endpoint() + "/0"));
			bus.subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
			const std::string published = messageOf<TransportException>([&]() {
				bus.publish(Topic, std::string(R"({"n":1})"), "acme");
			});
			CPPUNIT_ASSERT_MESSAGE(published, contains(published, server.endpoint()));
			CPPUNIT_ASSERT_MESSAGE(published, !contains(published, secret));
			TransportHealth health = bus.health();
			CPPUNIT_ASSERT(!health.ready);
			CPPUNIT_ASSERT_MESSAGE(health.reason, !contains(health.reason, secret));
			CPPUNIT_ASSERT(transportLog.waitFor("WRONGPASS"));
		}
		for (const auto& line : transportLog.lines())
			CPPUNIT_ASSERT_MESSAGE(line, !contains(line, secret));
		for (const auto& line : busLog.lines())
			CPPUNIT_ASSERT_MESSAGE(line, !contains(line, secret));
	}

	void testUnreachableServerStartsNotReady()
	{
		const unsigned short port = freeLoopbackPort();
		EventBus bus(*redisConfig("redis://127.0.0.1:" + std::to_string(port) + "/0"));
		TransportHealth health = bus.health();
		CPPUNIT_ASSERT(!health.ready);
		CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, "redis 127.0.0.1:" + std::to_string(port) + " unreachable: Connection refused"));
	}

	void testUnresolvableHostFailsWithinConnectTimeout()
	{
		// `.invalid` never resolves (RFC 2606). Whether this machine's resolver
		// answers at once or waits for an unreachable DNS server (seconds per
		// attempt), publish fails naming the host, bounded by connectTimeoutMs.
		const auto start = std::chrono::steady_clock::now();
		EventBus bus(*redisConfig("redis://eventbus-test-host.invalid:6379/0", {{"eventbus.redis.connectTimeoutMs", "300"}}));
		std::string message;
		try
		{
			bus.publish("orders.created", std::string(R"({"n":1})"), "acme");
		}
		catch (TransportException& exc)
		{
			message = exc.message();
		}
		const auto elapsed = std::chrono::steady_clock::now() - start;
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus-test-host.invalid:6379"));
		CPPUNIT_ASSERT_MESSAGE(std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()) + " ms",
			elapsed < std::chrono::milliseconds(2500));
	}

	void testTopologyKeysAreCheckedAndNameTheKey()
	{
		const std::map<std::string, std::vector<std::map<std::string, std::string>>> refusals = {
			{"choose one", {{{"eventbus.redis.sentinel.nodes", "127.0.0.1:26379"}, {"eventbus.redis.sentinel.master", "m"},
				{"eventbus.redis.cluster.nodes", "127.0.0.1:7000"}}}},
			{"eventbus.redis.sentinel.master", {{{"eventbus.redis.sentinel.nodes", "127.0.0.1:26379"}},
				{{"eventbus.redis.sentinel.nodes", "127.0.0.1:26379"}, {"eventbus.redis.sentinel.master", "my master"}}}},
			{"eventbus.redis.sentinel.nodes", {{{"eventbus.redis.sentinel.master", "m"}},
				{{"eventbus.redis.sentinel.nodes", " , "}, {"eventbus.redis.sentinel.master", "m"}},
				{{"eventbus.redis.sentinel.nodes", "127.0.0.1"}, {"eventbus.redis.sentinel.master", "m"}}}},
			{"eventbus.redis.cluster.nodes", {{{"eventbus.redis.cluster.nodes", "127.0.0.1:0"}},
				{{"eventbus.redis.cluster.nodes", "127.0.0.1:70000"}}, {{"eventbus.redis.cluster.nodes", "::1:7000"}},
				{{"eventbus.redis.cluster.nodes", "127.0.0.1:7000,*:7001"}}}},
			{"database 0 only", {{{"eventbus.redis.url", "redis://127.0.0.1:7000/3"}, {"eventbus.redis.cluster.nodes", "127.0.0.1:7000"}}}},
			{"eventbus.redis.cluster.refreshMs", {{{"eventbus.redis.cluster.nodes", "127.0.0.1:7000"}, {"eventbus.redis.cluster.refreshMs", "50"}},
				{{"eventbus.redis.cluster.nodes", "127.0.0.1:7000"}, {"eventbus.redis.cluster.refreshMs", "soon"}}}},
			{"eventbus.redis.cluster.allTenants", {{{"eventbus.redis.cluster.nodes", "127.0.0.1:7000"},
				{"eventbus.redis.cluster.allTenants", "pattern"}}}},
			{"eventbus.redis.sentinel.password", {{{"eventbus.redis.sentinel.nodes", "127.0.0.1:26379"},
				{"eventbus.redis.sentinel.master", "m"}, {"eventbus.redis.sentinel.user", "u"}}}}};
		// redis-streams on a cluster: its own key is checked too.
		for (const char* poll : {"0", "1001", "soon"})
		{
			const std::string cluster = configError({{"eventbus.transport", "redis-streams"},
				{"eventbus.redis.cluster.nodes", "127.0.0.1:7000"}, {"eventbus.redis.streams.clusterPollMs", poll}});
			CPPUNIT_ASSERT_MESSAGE(cluster, contains(cluster, "eventbus.redis.streams.clusterPollMs")
				&& contains(cluster, poll));
		}
		for (const auto& [expected, cases] : refusals)
		{
			for (const auto& overrides : cases)
			{
				const std::string message = configError(overrides);
				CPPUNIT_ASSERT_MESSAGE(expected + " <- " + message, contains(message, expected));
			}
		}
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisConfigTest);
