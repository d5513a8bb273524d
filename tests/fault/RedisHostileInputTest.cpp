// Suite ID: fault.redis.hostile
//
// RedisHostileInputTest.cpp
//
// What arrives from the wire is not trusted: malformed, forged and oversized
// messages injected with a raw PUBLISH are dropped and counted while the next
// valid event still arrives (a message of any size is skipped without being
// buffered, on the same connection: one tenant cannot cost another its events); a server speaking garbage gets a clean
// disconnect, never a crash; a wrong password fails clearly without a storm
// of reconnects.
//
#include "LogCapture.h"
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <cppunit/extensions/HelperMacros.h>
#include <memory>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Topic = "orders.created";
const std::string AcmeChannel = "c2pro.production.acme.orders.created";

std::uint64_t dropped(EventBus& bus, const std::string& reason)
{
	return bus.metrics().counterValue(Metrics::Dropped, {{"transport", "redis"}, {"reason", reason}});
}

} // namespace

class RedisHostileInputTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisHostileInputTest);
	CPPUNIT_TEST(testNonJsonMessageIsDroppedAndCounted);
	CPPUNIT_TEST(testJsonThatIsNotACloudEventIsDroppedAndCounted);
	CPPUNIT_TEST(testFloodOfMalformedMessagesIsLoggedAFewTimesAndCountedEveryTime);
	CPPUNIT_TEST(testEventOfAnotherTenantOnTheChannelIsDropped);
	CPPUNIT_TEST(testUnsignedEventInjectedRawIsDropped);
	CPPUNIT_TEST(testOversizedMessageIsDroppedWithoutReconnecting);
	CPPUNIT_TEST(testMessageBeyondTheReaderLimitIsSkippedWithoutReconnecting);
	CPPUNIT_TEST(testHugeMessageOfOneTenantCostsOtherTenantsNothing);
	CPPUNIT_TEST(testHostileReplyBeyondTheReaderLimitClosesAndReconnects);
	CPPUNIT_TEST(testProtocolGarbageIsAProtocolErrorNotACrash);
	CPPUNIT_TEST(testHugeArrayHeaderIsRefused);
	CPPUNIT_TEST(testGarbageAfterSubscribeConfirmationReconnectsWithBackoff);
	CPPUNIT_TEST(testWrongPasswordFailsClearlyWithoutRetryStorm);
	CPPUNIT_TEST_SUITE_END();

public:
	std::unique_ptr<EventBus> bus(const std::string& url, const std::map<std::string, std::string>& overrides = {})
	{
		return std::unique_ptr<EventBus>(new EventBus(*redisConfig(url, overrides)));
	}

	/// Injects `raw` on the acme channel, then publishes a valid event that must
	/// be the only one the handler sees.
	void injectThenValid(RedisServer& server, EventBus& subscriber, EventLog& log, const std::string& raw)
	{
		auto publisher = bus(server.url());
		RedisValue receivers = server.command({"PUBLISH", AcmeChannel, raw});
		CPPUNIT_ASSERT_EQUAL(1LL, receivers.integer);
		publisher->publish(Topic, std::string(R"({"valid":true})"), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.size());
		CPPUNIT_ASSERT(log.events().at(0).data->getValue<bool>("valid"));
		CPPUNIT_ASSERT(subscriber.health().ready);
	}

	void testNonJsonMessageIsDroppedAndCounted()
	{
		RedisServer server;
		EventLog log;
		auto subscriber = bus(server.url());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		injectThenValid(server, *subscriber, log, "not json {\x01\x02");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), dropped(*subscriber, "malformed"));
	}

	void testJsonThatIsNotACloudEventIsDroppedAndCounted()
	{
		RedisServer server;
		EventLog log;
		auto subscriber = bus(server.url());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		injectThenValid(server, *subscriber, log, R"({"hello":"world","password":"x"})");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), dropped(*subscriber, "malformed"));
	}

	void testFloodOfMalformedMessagesIsLoggedAFewTimesAndCountedEveryTime()
	{
		// Anyone who can publish on a channel must not be able to flood every
		// subscriber's log: the first few lines, then a counted summary.
		const int flood = 500;
		RedisServer server;
		LogCapture capture("eventbus.bus");
		{
			EventLog log;
			auto subscriber = bus(server.url());
			subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
			auto publisher = bus(server.url());
			for (int i = 0; i < flood; ++i)
				server.command({"PUBLISH", AcmeChannel, "garbage " + std::to_string(i)});
			publisher->publish(Topic, std::string(R"({"valid":true})"), "acme");
			CPPUNIT_ASSERT(log.waitFor(1));
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(flood), dropped(*subscriber, "malformed"));
			std::size_t lines = 0;
			for (const auto& line : capture.lines())
				lines += contains(line, "dropped malformed message") ? 1 : 0;
			CPPUNIT_ASSERT_MESSAGE(std::to_string(lines), lines >= 1 && lines <= 4);
		}
		// The bus is gone: what was not shown is summarised with its count.
		bool summary = false;
		for (const auto& line : capture.lines())
			summary = summary || (contains(line, "more like it not shown") && contains(line, "dropped malformed message"));
		CPPUNIT_ASSERT(summary);
		CPPUNIT_ASSERT(capture.contains("(" + std::to_string(flood - 3) + " more like it not shown)"));
	}

	void testEventOfAnotherTenantOnTheChannelIsDropped()
	{
		// Validly signed, so only the tenant guard stands in the way.
		RedisServer server;
		EventLog log;
		auto subscriber = bus(server.url());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		injectThenValid(server, *subscriber, log, cloudEventJson("globex", Topic, R"({"forged":true})"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), dropped(*subscriber, "tenant-mismatch"));
		for (const Event& event : log.events())
			CPPUNIT_ASSERT_EQUAL(std::string("acme"), event.tenantId);
	}

	void testUnsignedEventInjectedRawIsDropped()
	{
		RedisServer server;
		EventLog log;
		auto subscriber = bus(server.url());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		injectThenValid(server, *subscriber, log, cloudEventJson("acme", Topic, R"({"forged":true})", false));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), dropped(*subscriber, "unsigned"));
	}

	void testOversizedMessageIsDroppedWithoutReconnecting()
	{
		RedisServer server;
		EventLog log;
		auto subscriber = bus(server.url());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		injectThenValid(server, *subscriber, log, std::string(2 * 1024 * 1024, 'x'));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), dropped(*subscriber, "oversized"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), subscriber->metrics().counterValue(Metrics::Reconnects));
	}

	void testMessageBeyondTheReaderLimitIsSkippedWithoutReconnecting()
	{
		// 512 KiB is beyond 4 x maxMessageBytes + 64 KiB, the limit of any
		// other reply: a message is skipped as it streams in, whatever its size.
		RedisServer server;
		EventLog log;
		auto subscriber = bus(server.url(), {{"eventbus.redis.maxMessageBytes", "2048"}});
		GapCounter gaps(*subscriber);
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		injectThenValid(server, *subscriber, log, std::string(512 * 1024, 'x'));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), dropped(*subscriber, "oversized"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), subscriber->metrics().counterValue(Metrics::Reconnects));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), gaps.count());
	}

	void testHugeMessageOfOneTenantCostsOtherTenantsNothing()
	{
		// Tenant evil publishes 5 MB (beyond 4 x maxMessageBytes + 64 KiB =
		// 4,325,376 bytes) on its own channel; the acme event right behind it
		// reaches a platform service subscribed to all tenants, every time.
		RedisServer server;
		EventLog log;
		LogCapture transportLog;
		auto platform = bus(server.url(), {{"eventbus.security.allowCrossTenant", "true"}});
		GapCounter gaps(*platform);
		platform->subscribe(Topic, log.handler(), TenantScope::allTenants());
		auto publisher = bus(server.url());
		const std::string evilChannel = "c2pro.production.evil.orders.created";
		const std::string huge(5 * 1000 * 1000, 'x');
		for (int attempt = 1; attempt <= 3; ++attempt)
		{
			RedisClient raw(server.host(), server.port(), std::chrono::milliseconds(10000));
			CPPUNIT_ASSERT_EQUAL(1LL, raw.command({"PUBLISH", evilChannel, huge}).integer);
			publisher->publish(Topic, R"({"n":)" + std::to_string(attempt) + "}", "acme");
			CPPUNIT_ASSERT(log.waitFor(static_cast<std::size_t>(attempt)));
			CPPUNIT_ASSERT_EQUAL(std::string("acme"), log.events().back().tenantId);
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(attempt), dropped(*platform, "oversized"));
		}
		CPPUNIT_ASSERT(log.intField("n") == std::vector<int>({1, 2, 3}));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), platform->metrics().counterValue(Metrics::Reconnects));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), gaps.count());
		CPPUNIT_ASSERT(transportLog.waitFor("dropped a message of 5000000 bytes"));
		CPPUNIT_ASSERT(platform->health().ready);
	}

	void testHostileReplyBeyondTheReaderLimitClosesAndReconnects()
	{
		// Not a message: a 200 KiB status line after the SUBSCRIBE confirmation
		// exceeds the reader's limit (4 x 2048 + 64 KiB) and closes the connection.
		const std::string confirmation = "*3\r\n$9\r\nsubscribe\r\n$" + std::to_string(AcmeChannel.size()) + "\r\n"
			+ AcmeChannel + "\r\n:1\r\n";
		FakeRespServer fake(confirmation + "+" + std::string(200 * 1024, 'x') + "\r\n");
		EventLog log;
		auto subscriber = bus(fake.url(), {{"eventbus.redis.maxMessageBytes", "2048"}});
		GapCounter gaps(*subscriber);
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT(waitUntil([&]() { return gaps.count() >= 1; }, std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT_MESSAGE(gaps.lastReason(), contains(gaps.lastReason(), "protocol error"));
		CPPUNIT_ASSERT_MESSAGE(gaps.lastReason(), contains(gaps.lastReason(), "exceeds"));
	}

	void testProtocolGarbageIsAProtocolErrorNotACrash()
	{
		FakeRespServer fake("%%% this is not RESP %%%\r\n");
		LogCapture transportLog;
		EventLog log;
		{
			auto b = bus(fake.url());
			const std::string published = messageOf<TransportException>([&]() {
				b->publish(Topic, std::string(R"({"n":1})"), "acme");
			});
			CPPUNIT_ASSERT_MESSAGE(published, contains(published, fake.endpoint()));
			CPPUNIT_ASSERT_MESSAGE(published, contains(published, "protocol error"));
			TransportHealth health = b->health();
			CPPUNIT_ASSERT(!health.ready);
			CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, fake.endpoint()));

			b->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
			CPPUNIT_ASSERT(transportLog.waitFor("protocol error"));
			const long long took = millisecondsOf([&]() { b->close(); });
			CPPUNIT_ASSERT_MESSAGE(std::to_string(took) + " ms", took < 2000);
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), log.size());
	}

	void testHugeArrayHeaderIsRefused()
	{
		// hiredis would allocate 16 GiB of element pointers for this header.
		FakeRespServer fake("*2147483647\r\n");
		auto b = bus(fake.url());
		TransportHealth health = b->health();
		CPPUNIT_ASSERT(!health.ready);
		CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, "protocol error"));
	}

	void testGarbageAfterSubscribeConfirmationReconnectsWithBackoff()
	{
		// A valid confirmation of the subscription, then bytes that are not RESP.
		const std::string confirmation = "*3\r\n$9\r\nsubscribe\r\n$" + std::to_string(AcmeChannel.size()) + "\r\n"
			+ AcmeChannel + "\r\n:1\r\n";
		FakeRespServer fake(confirmation + "!!garbage!!\r\n");
		LogCapture transportLog;
		EventLog log;
		auto b = bus(fake.url(), {{"eventbus.redis.reconnect.initialMs", "100"}, {"eventbus.redis.reconnect.maxMs", "400"}});
		b->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));

		CPPUNIT_ASSERT(waitUntil([&]() { return fake.connections() >= 4; }, std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT(transportLog.contains("protocol error"));
		// The failures back off: 100, 200, 400, 400 ms (jittered down to half).
		const std::size_t before = fake.connections();
		const long long window = millisecondsOf([&]() {
			waitUntil([&]() { return fake.connections() >= before + 2; }, std::chrono::milliseconds(10000));
		});
		CPPUNIT_ASSERT_MESSAGE(std::to_string(window) + " ms", window >= 300);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), log.size());
	}

	void testWrongPasswordFailsClearlyWithoutRetryStorm()
	{
		RedisServer server({}, "right-password");
		LogCapture transportLog;
		EventLog log;
		auto b = bus("redis://:wrong-password@" + server.endpoint() + "/0");
		b->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));

		const std::string published = messageOf<TransportException>([&]() {
			b->publish(Topic, std::string(R"({"n":1})"), "acme");
		});
		CPPUNIT_ASSERT_MESSAGE(published, contains(published, server.endpoint()));
		CPPUNIT_ASSERT_MESSAGE(published, contains(published, "WRONGPASS") || contains(published, "authentication"));
		TransportHealth health = b->health();
		CPPUNIT_ASSERT(!health.ready);
		CPPUNIT_ASSERT(transportLog.waitFor("WRONGPASS"));

		// An observation window, not synchronisation: with reconnect.maxMs 500 an
		// authentication failure waits 250..500 ms per attempt, so the server sees a
		// handful of connections, not hundreds, while publishes keep failing fast.
		const long long before = server.info("total_connections_received");
		const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
		int refused = 0;
		while (std::chrono::steady_clock::now() < end)
		{
			try
			{
				b->publish(Topic, std::string(R"({"n":2})"), "acme");
			}
			catch (TransportException&)
			{
				++refused;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
		const long long connections = server.info("total_connections_received") - before;
		CPPUNIT_ASSERT_MESSAGE(std::to_string(connections) + " connections", connections <= 16);
		CPPUNIT_ASSERT(refused > 50);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), log.size());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisHostileInputTest);
