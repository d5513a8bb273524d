// Suite ID: integration.redis.streams
//
// RedisStreamsPublishTest.cpp
//
// The redis-streams transport against a real redis-server: MAXLEN retention, a key that is not a stream, WAIT with
// a real replica, an XADD without a reply, a wrong password, a BLOCK at the
// command timeout.
// Every count is asserted exactly.
//
#include "RedisStreamsTestSupport.h"

using namespace eventbus;
using namespace eventbus::test;
using namespace eventbus::test::streams;

class RedisStreamsPublishTest : public StreamsSuite
{
	CPPUNIT_TEST_SUITE(RedisStreamsPublishTest);
	CPPUNIT_TEST(testMaxLenBoundsTheStream);
	CPPUNIT_TEST(testAKeyThatIsNotAStreamIsRetriedWithBackoffNotInATightLoop);
	CPPUNIT_TEST(testWaitForARealReplica);
	CPPUNIT_TEST(testPublishWrittenWithoutAReplyIsOutcomeUnknown);
	CPPUNIT_TEST(testWrongPasswordFailsPublishFastAndIsNotReady);
	CPPUNIT_TEST(testBlockAtOrAboveTheCommandTimeoutIsRefused);
	CPPUNIT_TEST_SUITE_END();

public:
	void testMaxLenBoundsTheStream()
	{
		StreamsHarness harness(*_server, fast({{"eventbus.redis.streams.maxLen", "10"}}));
		for (int i = 0; i < 500; ++i)
			harness.publish(Channel, wireOf(i));
		// MAXLEN ~ trims whole radix-tree nodes (100 entries by default): bounded, not exact.
		const long long length = streamLength(*_server, Channel);
		CPPUNIT_ASSERT(length >= 10);
		CPPUNIT_ASSERT(length < 500);
	}

	void testAKeyThatIsNotAStreamIsRetriedWithBackoffNotInATightLoop()
	{
		_server->command({"SET", Channel, "not a stream"});
		StreamsHarness harness(*_server, fast());
		harness.transport().subscribe(ChannelSubscription(Channel), [](const InboundMessage&) {
			return DeliveryResult::handled();
		});
		CPPUNIT_ASSERT(waitUntil([&]() { return contains(harness.transport().health().reason, "WRONGTYPE"); }));
		CPPUNIT_ASSERT(!harness.transport().health().ready);
		const auto calls = [&]() {
			const std::string stats = _server->command({"INFO", "commandstats"}).str;
			const std::size_t at = stats.find("cmdstat_xgroup|create:calls=");
			return at == std::string::npos ? 0LL : std::atoll(stats.c_str() + at + 28);
		};
		const long long before = calls();
		std::this_thread::sleep_for(std::chrono::seconds(2)); // measuring a rate, not waiting for a condition
		const long long during = calls() - before;
		// Backoff 50 ms doubling to 500 ms (the suites' reconnect keys): a handful, not thousands.
		CPPUNIT_ASSERT_MESSAGE(std::to_string(during), during >= 1 && during <= 12);
		// Fixed by the operator: the group is made and delivery starts.
		_server->command({"DEL", Channel});
		CPPUNIT_ASSERT(waitUntil([&]() { return harness.transport().health().ready; }));
	}

	void testWaitForARealReplica()
	{
		RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(_server->port())});
		CPPUNIT_ASSERT(waitUntil([&]() {
			return contains(_server->command({"INFO", "replication"}).str, "connected_slaves:1")
				&& contains(replica.command({"INFO", "replication"}).str, "master_link_status:up");
		}, std::chrono::seconds(10)));
		// WAIT returns as soon as the replica acknowledges: a generous bound
		// only matters on a loaded machine (suites run side by side).
		auto one = bus({{"eventbus.redis.streams.waitReplicas", "1"}, {"eventbus.redis.streams.waitTimeoutMs", "3000"},
			{"eventbus.redis.commandTimeoutMs", "5000"}});
		one->publish(Topic, wireOf(1), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return streamLength(replica, Channel) == 1; }));

		auto two = bus({{"eventbus.redis.streams.waitReplicas", "2"}, {"eventbus.redis.streams.waitTimeoutMs", "200"}});
		const std::string message = messageOf<TransportException>([&]() { two->publish(Topic, wireOf(2), "acme"); });
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "replicated to 1 of 2"));
		CPPUNIT_ASSERT_EQUAL(2LL, streamLength(*_server, Channel)); // written, not replicated enough
	}

	void testPublishWrittenWithoutAReplyIsOutcomeUnknown()
	{
		auto publisher = bus();
		publisher->publish(Topic, wireOf(1), "acme");
		_server->pause();
		const std::string message = messageOf<OutcomeUnknownException>([&]() { publisher->publish(Topic, wireOf(2), "acme"); });
		_server->resume();
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "may or may not be in the stream"));
		// The server had it in its input buffer: it is in the stream now.
		CPPUNIT_ASSERT(waitUntil([&]() { return streamLength(*_server, Channel) == 2; }));
		CPPUNIT_ASSERT(waitUntil([&]() { return publisher->health().ready; })); // reconnected after its backoff
		publisher->publish(Topic, wireOf(3), "acme");
		CPPUNIT_ASSERT_EQUAL(3LL, streamLength(*_server, Channel));
	}

	void testWrongPasswordFailsPublishFastAndIsNotReady()
	{
		RedisServer guarded({}, "s3cret-pw");
		const std::string url = "redis://:wrong-pw@127.0.0.1:" + std::to_string(guarded.port()) + "/0";
		EventBus bus(*redisConfig(url, fast()));
		std::string message;
		const auto ms = millisecondsOf([&]() {
			message = messageOf<AccessDeniedException>([&]() { bus.publish(Topic, wireOf(1), "acme"); });
		});
		CPPUNIT_ASSERT(ms < 2000);
		CPPUNIT_ASSERT(!contains(message, "wrong-pw"));
		CPPUNIT_ASSERT(waitUntil([&]() { return !bus.health().ready; }));
		CPPUNIT_ASSERT(!contains(bus.health().reason, "wrong-pw"));
		// Fails as fast again, without a new login meanwhile (capped backoff).
		messageOf<AccessDeniedException>([&]() { bus.publish(Topic, wireOf(2), "acme"); });
	}

	void testBlockAtOrAboveTheCommandTimeoutIsRefused()
	{
		const std::string message = messageOf<ConfigException>([&]() {
			EventBus bus(*redisConfig(_server->url(), fast({{"eventbus.redis.streams.blockMs", "1000"}})));
		});
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.streams.blockMs"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisStreamsPublishTest);
