// Suite ID: integration.redis.streams
//
// RedisStreamsRecoveryTest.cpp
//
// The redis-streams transport against a real redis-server: pending entries re-read after a restart, idle entries of
// a gone consumer reclaimed, NOGROUP after FLUSHALL, trimmed pending entries, a
// group behind retention, a reader cut off and reconnected, pattern discovery.
// Every count is asserted exactly.
//
#include "RedisStreamsTestSupport.h"

using namespace eventbus;
using namespace eventbus::test;
using namespace eventbus::test::streams;

class RedisStreamsRecoveryTest : public StreamsSuite
{
	CPPUNIT_TEST_SUITE(RedisStreamsRecoveryTest);
	CPPUNIT_TEST(testRestartedConsumerRereadsItsPendingEntriesFirst);
	CPPUNIT_TEST(testIdleEntriesOfAGoneConsumerAreReclaimed);
	CPPUNIT_TEST(testGroupLostByFlushAllIsRecreatedWithAGap);
	CPPUNIT_TEST(testTrimmedPendingEntriesAreAcknowledgedAndCounted);
	CPPUNIT_TEST(testGroupBehindRetentionIsAGap);
	CPPUNIT_TEST(testEventsPublishedWhileTheReaderIsCutOffArriveAfterTheReconnect);
	CPPUNIT_TEST(testAllTenantsDiscoversANewTenantsStream);
	CPPUNIT_TEST_SUITE_END();

public:
	void testRestartedConsumerRereadsItsPendingEntriesFirst()
	{
		const std::map<std::string, std::string> named = fast({{"eventbus.redis.streams.consumer", "worker-1"},
			{"eventbus.redis.streams.retryBackoffMs", "60000"}, {"eventbus.redis.streams.retryBackoffMaxMs", "60000"}});
		{
			// The first run fails every entry and stops before any retry.
			StreamsHarness first(*_server, named);
			std::atomic<int> calls{0};
			first.transport().subscribe(ChannelSubscription(Channel), [&](const InboundMessage&) {
				++calls;
				return DeliveryResult::failed("crash");
			});
			for (int i = 0; i < 5; ++i)
				first.publish(Channel, wireOf(i));
			CPPUNIT_ASSERT(waitUntil([&]() { return calls.load() == 5; }));
		}
		CPPUNIT_ASSERT_EQUAL(5LL, pendingCount(*_server, Channel, "eventbus"));
		// Published while no consumer runs: new to the group.
		RedisValue added = _server->command({"XADD", Channel, "*", "e", wireOf(100)});
		CPPUNIT_ASSERT(!added.isError());

		StreamsHarness second(*_server, fast({{"eventbus.redis.streams.consumer", "worker-1"}}));
		SeenLog seen;
		second.transport().subscribe(ChannelSubscription(Channel), [&](const InboundMessage& m) {
			seen.add(m);
			return DeliveryResult::handled();
		});
		const bool six = waitUntil([&]() { return seen.size() == 6; });
		const auto all = seen.all();
		std::string got;
		for (const auto& m : all) got += m.wire.substr(0, 40) + "#" + std::to_string(m.deliveryCount) + " ";
		CPPUNIT_ASSERT_MESSAGE(got, six);
		for (int i = 0; i < 5; ++i)
		{
			CPPUNIT_ASSERT_EQUAL(wireOf(i), all[i].wire);
			CPPUNIT_ASSERT_EQUAL(std::uint32_t(2), all[i].deliveryCount);
		}
		CPPUNIT_ASSERT_EQUAL(wireOf(100), all[5].wire);
		CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), all[5].deliveryCount);
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingCount(*_server, Channel, "eventbus") == 0; }));
		// Each once: the new entry is not read again as part of the history.
		CPPUNIT_ASSERT_EQUAL_MESSAGE(got, std::size_t(6), seen.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), second.metrics().counterValue("eventbus_streams_redelivered_total"));
	}

	void testIdleEntriesOfAGoneConsumerAreReclaimed()
	{
		// A consumer that read three entries and vanished (another name).
		_server->command({"XGROUP", "CREATE", Channel, "eventbus", "$", "MKSTREAM"});
		for (int i = 0; i < 3; ++i)
			_server->command({"XADD", Channel, "*", "e", wireOf(i)});
		RedisValue read = _server->command({"XREADGROUP", "GROUP", "eventbus", "gone", "COUNT", "10", "STREAMS", Channel, ">"});
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), read.elements.at(0).elements.at(1).elements.size());

		StreamsHarness harness(*_server, fast({{"eventbus.redis.streams.claimIdleMs", "200"}}));
		SeenLog seen;
		harness.transport().subscribe(ChannelSubscription(Channel), [&](const InboundMessage& m) {
			seen.add(m);
			return DeliveryResult::handled();
		});
		CPPUNIT_ASSERT(waitUntil([&]() { return seen.size() == 3; }));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingCount(*_server, Channel, "eventbus") == 0; }));
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), seen.distinct());
		for (const Seen& s : seen.all())
			CPPUNIT_ASSERT_EQUAL(std::uint32_t(2), s.deliveryCount);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), harness.metrics().counterValue("eventbus_streams_redelivered_total"));
	}

	void testGroupLostByFlushAllIsRecreatedWithAGap()
	{
		StreamsHarness harness(*_server, fast());
		SeenLog seen;
		harness.transport().subscribe(ChannelSubscription(Channel), [&](const InboundMessage& m) {
			seen.add(m);
			return DeliveryResult::handled();
		});
		harness.publish(Channel, wireOf(1));
		CPPUNIT_ASSERT(waitUntil([&]() { return seen.size() == 1; }));
		CPPUNIT_ASSERT_EQUAL(std::string("OK"), _server->command({"FLUSHALL"}).str);
		// Published before the group is back: the recreated group reads it too.
		harness.publish(Channel, wireOf(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return seen.size() == 2; }));
		CPPUNIT_ASSERT_EQUAL(wireOf(2), seen.all()[1].wire);
		CPPUNIT_ASSERT(waitUntil([&]() { return harness.gaps().count() == 1; }));
		CPPUNIT_ASSERT(contains(harness.gaps().lastReason(), "was lost"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), harness.metrics().counterValue("eventbus_streams_gap_total",
			{{"reason", "group-lost"}, {"transport", "redis-streams"}}));
		CPPUNIT_ASSERT(waitUntil([&]() { return harness.transport().health().ready; }));
		harness.publish(Channel, wireOf(3));
		CPPUNIT_ASSERT(waitUntil([&]() { return seen.size() == 3; }));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.gaps().count());
	}

	void testTrimmedPendingEntriesAreAcknowledgedAndCounted()
	{
		_server->command({"XGROUP", "CREATE", Channel, "eventbus", "$", "MKSTREAM"});
		for (int i = 0; i < 3; ++i)
			_server->command({"XADD", Channel, "*", "e", wireOf(i)});
		_server->command({"XREADGROUP", "GROUP", "eventbus", "gone", "COUNT", "10", "STREAMS", Channel, ">"});
		CPPUNIT_ASSERT_EQUAL(3LL, _server->command({"XTRIM", Channel, "MAXLEN", "0"}).integer);
		CPPUNIT_ASSERT_EQUAL(3LL, pendingCount(*_server, Channel, "eventbus"));

		StreamsHarness harness(*_server, fast({{"eventbus.redis.streams.claimIdleMs", "100"}}));
		std::atomic<int> calls{0};
		harness.transport().subscribe(ChannelSubscription(Channel), [&](const InboundMessage&) {
			++calls;
			return DeliveryResult::handled();
		});
		CPPUNIT_ASSERT(waitUntil([&]() {
			return harness.metrics().counterValue("eventbus_streams_gap_total", {{"reason", "trimmed"}, {"transport", "redis-streams"}}) == 3;
		}));
		CPPUNIT_ASSERT_EQUAL(0LL, pendingCount(*_server, Channel, "eventbus"));
		CPPUNIT_ASSERT_EQUAL(0, calls.load());
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.gaps().count());
		CPPUNIT_ASSERT(contains(harness.gaps().lastReason(), "trimmed"));
	}

	void testGroupBehindRetentionIsAGap()
	{
		// The group read up to here, then its service was down while 50
		// events came and retention kept only the last 10.
		_server->command({"XGROUP", "CREATE", Channel, "eventbus", "$", "MKSTREAM"});
		for (int i = 0; i < 50; ++i)
			_server->command({"XADD", Channel, "*", "e", wireOf(i)});
		CPPUNIT_ASSERT_EQUAL(40LL, _server->command({"XTRIM", Channel, "MAXLEN", "10"}).integer);

		StreamsHarness harness(*_server, fast());
		SeenLog seen;
		harness.transport().subscribe(ChannelSubscription(Channel), [&](const InboundMessage& m) {
			seen.add(m);
			return DeliveryResult::handled();
		});
		CPPUNIT_ASSERT(waitUntil([&]() { return seen.size() == 10; }));
		CPPUNIT_ASSERT(waitUntil([&]() {
			return harness.metrics().counterValue("eventbus_streams_gap_total", {{"reason", "behind-retention"}, {"transport", "redis-streams"}}) == 1;
		}));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), harness.gaps().count());
		CPPUNIT_ASSERT(contains(harness.gaps().lastReason(), "fell behind the retention"));
		CPPUNIT_ASSERT_EQUAL(wireOf(40), seen.all().front().wire);
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingCount(*_server, Channel, "eventbus") == 0; }));
		CPPUNIT_ASSERT_EQUAL(std::size_t(10), seen.size());
	}

	void testEventsPublishedWhileTheReaderIsCutOffArriveAfterTheReconnect()
	{
		TcpProxy proxy("127.0.0.1", _server->port());
		EventLog log;
		EventBus subscriber(*redisConfig(proxy.url(), fast()));
		auto publisher = bus();
		subscriber.subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		publisher->publish(Topic, wireOf(0), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));
		proxy.setEnabled(false);
		CPPUNIT_ASSERT(waitUntil([&]() { return !subscriber.health().ready; }));
		for (int i = 1; i <= 10; ++i)
			publisher->publish(Topic, wireOf(i), "acme");
		proxy.setEnabled(true);
		CPPUNIT_ASSERT(log.waitFor(11, std::chrono::seconds(15)));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingCount(*_server, Channel, "eventbus") == 0; }));
		std::vector<int> expected;
		for (int i = 0; i <= 10; ++i)
			expected.push_back(i);
		CPPUNIT_ASSERT(expected == log.intField("n")); // missing 0, duplicates 0, in order
		CPPUNIT_ASSERT(subscriber.metrics().counterValue(Metrics::Reconnects) >= 1);
	}

	void testAllTenantsDiscoversANewTenantsStream()
	{
		EventLog log;
		auto subscriber = bus({{"eventbus.security.allowCrossTenant", "true"},
			{"eventbus.redis.streams.discoveryIntervalMs", "200"}});
		auto publisher = bus();
		publisher->publish(Topic, wireOf(0), "acme"); // exists before the subscription: not read (start=new)
		subscriber->subscribe(Topic, log.handler(), TenantScope::allTenants());
		publisher->publish(Topic, wireOf(1), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));
		// A tenant whose stream appears after the subscription: found by the
		// next discovery pass, and read from the stream's start.
		const auto start = std::chrono::steady_clock::now();
		publisher->publish(Topic, wireOf(2), "newco");
		publisher->publish(Topic, wireOf(3), "newco");
		CPPUNIT_ASSERT(log.waitFor(3, std::chrono::seconds(5)));
		const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
		CPPUNIT_ASSERT(took.count() < 200 + 200 + 1000); // discovery interval + block + slack
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingCount(*_server, "c2pro.production.newco.orders.created", "eventbus") == 0; }));
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), log.size());
		std::set<std::string> tenants;
		for (const Event& event : log.events())
			tenants.insert(event.tenantId);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), tenants.size());
		CPPUNIT_ASSERT((std::vector<int>{1, 2, 3}) == log.intField("n"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisStreamsRecoveryTest);
