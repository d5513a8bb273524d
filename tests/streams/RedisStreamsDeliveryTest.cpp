// Suite ID: integration.redis.streams
//
// RedisStreamsDeliveryTest.cpp
//
// The redis-streams transport against a real redis-server: delivery through the bus, entry ids, acknowledgement after the handler,
// redelivery with backoff, the dead-letter stream, rejected entries, two groups
// and two consumers of one group.
// Every count is asserted exactly.
//
#include "RedisStreamsTestSupport.h"

using namespace eventbus;
using namespace eventbus::test;
using namespace eventbus::test::streams;

class RedisStreamsDeliveryTest : public StreamsSuite
{
	CPPUNIT_TEST_SUITE(RedisStreamsDeliveryTest);
	CPPUNIT_TEST(testEventsPublishedThroughTheBusReachTheSubscriber);
	CPPUNIT_TEST(testMessageCarriesTheEntryIdAndTheWireIsFieldE);
	CPPUNIT_TEST(testHandledEntriesAreAcknowledged);
	CPPUNIT_TEST(testFailingEntryIsRedeliveredThenHandled);
	CPPUNIT_TEST(testHandlerThatThrowsIsCalledAgainThroughTheDefaultChain);
	CPPUNIT_TEST(testAlwaysFailingEntryEndsInTheDeadLetterStream);
	CPPUNIT_TEST(testRefusedDeadLetterLeavesTheEntryPending);
	CPPUNIT_TEST(testRejectedEntryIsAcknowledgedAndCounted);
	CPPUNIT_TEST(testTwoGroupsEachGetEveryEvent);
	CPPUNIT_TEST(testTwoConsumersOfOneGroupSplitTheWork);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEventsPublishedThroughTheBusReachTheSubscriber()
	{
		EventLog log;
		auto subscriber = bus();
		auto publisher = bus();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		std::set<std::string> sent;
		for (int i = 0; i < 20; ++i)
			sent.insert(publisher->publish(Topic, wireOf(i), "acme").messageId);
		CPPUNIT_ASSERT(log.waitFor(20));
		std::set<std::string> received;
		for (const Event& event : log.events())
			received.insert(event.id);
		CPPUNIT_ASSERT_EQUAL(std::size_t(20), log.size());
		CPPUNIT_ASSERT(sent == received);
		CPPUNIT_ASSERT_EQUAL(20LL, streamLength(*_server, Channel));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingCount(*_server, Channel, "eventbus") == 0; }));
		CPPUNIT_ASSERT(waitUntil([&]() { return subscriber->metrics().counterValue("eventbus_streams_acked_total") == 20; }));
		CPPUNIT_ASSERT(subscriber->health().ready);
	}

	void testMessageCarriesTheEntryIdAndTheWireIsFieldE()
	{
		StreamsHarness harness(*_server, fast());
		SeenLog seen;
		harness.transport().subscribe(ChannelSubscription(Channel), [&](const InboundMessage& m) {
			seen.add(m);
			return DeliveryResult::handled();
		});
		harness.publish(Channel, wireOf(1));
		CPPUNIT_ASSERT(waitUntil([&]() { return seen.size() == 1; }));
		const auto stored = entries(*_server, Channel);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), stored.size());
		CPPUNIT_ASSERT_EQUAL(stored[0].first, seen.all()[0].id);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), stored[0].second.size()); // one field
		CPPUNIT_ASSERT_EQUAL(wireOf(1), stored[0].second.at("e"));
		CPPUNIT_ASSERT_EQUAL(wireOf(1), seen.all()[0].wire);
		CPPUNIT_ASSERT_EQUAL(Channel, seen.all()[0].channel);
		CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), seen.all()[0].deliveryCount);
	}

	void testHandledEntriesAreAcknowledged()
	{
		StreamsHarness harness(*_server, fast());
		SeenLog seen;
		harness.transport().subscribe(ChannelSubscription(Channel, false, "billing"), [&](const InboundMessage& m) {
			seen.add(m);
			return DeliveryResult::handled();
		});
		for (int i = 0; i < 10; ++i)
			harness.publish(Channel, wireOf(i));
		CPPUNIT_ASSERT(waitUntil([&]() { return seen.size() == 10; }));
		CPPUNIT_ASSERT(waitUntil([&]() { return harness.metrics().counterValue("eventbus_streams_acked_total") == 10; }));
		CPPUNIT_ASSERT_EQUAL(0LL, pendingCount(*_server, Channel, "billing"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(10), seen.distinct());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), harness.metrics().counterValue("eventbus_streams_redelivered_total"));
	}

	void testFailingEntryIsRedeliveredThenHandled()
	{
		const int failures = 2;
		StreamsHarness harness(*_server, fast());
		SeenLog seen;
		std::atomic<int> calls{0};
		harness.transport().subscribe(ChannelSubscription(Channel), [&](const InboundMessage& m) {
			seen.add(m);
			return ++calls <= failures ? DeliveryResult::failed("not yet") : DeliveryResult::handled();
		});
		harness.publish(Channel, wireOf(7));
		CPPUNIT_ASSERT(waitUntil([&]() { return harness.metrics().counterValue("eventbus_streams_acked_total") == 1; }));
		const auto all = seen.all();
		CPPUNIT_ASSERT_EQUAL(std::size_t(failures + 1), all.size());
		for (std::size_t i = 0; i < all.size(); ++i)
		{
			CPPUNIT_ASSERT_EQUAL(std::uint32_t(i + 1), all[i].deliveryCount);
			CPPUNIT_ASSERT_EQUAL(all[0].id, all[i].id);
			CPPUNIT_ASSERT_EQUAL(wireOf(7), all[i].wire);
		}
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(failures), harness.metrics().counterValue("eventbus_streams_redelivered_total"));
		CPPUNIT_ASSERT_EQUAL(0LL, pendingCount(*_server, Channel, "eventbus"));
		CPPUNIT_ASSERT_EQUAL(0LL, streamLength(*_server, DeadLetters));
	}

	void testHandlerThatThrowsIsCalledAgainThroughTheDefaultChain()
	{
		// The idempotency middleware must not take a retry for a duplicate.
		auto subscriber = bus();
		auto publisher = bus();
		std::atomic<int> calls{0};
		std::atomic<int> handled{0};
		subscriber->subscribe(Topic, [&](const Event&) {
			if (++calls <= 2)
				throw Poco::RuntimeException("not yet");
			++handled;
		}, TenantScope::tenant("acme"));
		publisher->publish(Topic, wireOf(1), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return handled.load() == 1; }));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingCount(*_server, Channel, "eventbus") == 0; }));
		CPPUNIT_ASSERT_EQUAL(3, calls.load());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), subscriber->metrics().counterValue(Metrics::Duplicates));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), subscriber->metrics().counterValue("eventbus_streams_redelivered_total"));
		CPPUNIT_ASSERT_EQUAL(0LL, streamLength(*_server, DeadLetters));
	}

	void testAlwaysFailingEntryEndsInTheDeadLetterStream()
	{
		// Through the bus, default chain: the handler's exception is the
		// recorded reason, redacted.
		auto subscriber = bus({{"eventbus.redis.streams.maxDeliveries", "3"}});
		auto publisher = bus();
		std::atomic<int> attempts{0};
		subscriber->subscribe(Topic, [&](const Event&) {
			++attempts;
			throw Poco::RuntimeException("cannot book it, token=abc123secret");
		}, TenantScope::tenant("acme"));
		const Receipt receipt = publisher->publish(Topic, wireOf(1), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return streamLength(*_server, DeadLetters) == 1; }));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingCount(*_server, Channel, "eventbus") == 0; }));
		CPPUNIT_ASSERT_EQUAL(3, attempts.load());
		const auto original = entries(*_server, Channel);
		const auto dead = entries(*_server, DeadLetters);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), dead.size());
		const auto& fields = dead[0].second;
		CPPUNIT_ASSERT_EQUAL(Channel, fields.at("channel"));
		CPPUNIT_ASSERT_EQUAL(original.at(0).first, fields.at("id"));
		CPPUNIT_ASSERT_EQUAL(std::string("eventbus"), fields.at("group"));
		CPPUNIT_ASSERT_EQUAL(std::string("3"), fields.at("deliveries"));
		CPPUNIT_ASSERT(contains(fields.at("error"), "cannot book it"));
		CPPUNIT_ASSERT(!contains(fields.at("error"), "abc123secret"));
		CPPUNIT_ASSERT_EQUAL(original.at(0).second.at("e"), fields.at("e"));
		CPPUNIT_ASSERT(contains(fields.at("e"), receipt.messageId));
		// Counted once the delivery thread has read the replies, which may be
		// after the server shows the entry settled: awaited, not assumed.
		CPPUNIT_ASSERT(waitUntil([&]() {
			return subscriber->metrics().counterValue("eventbus_streams_dead_lettered_total") == 1; }));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), subscriber->metrics().counterValue("eventbus_streams_dead_lettered_total"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), subscriber->metrics().counterValue("eventbus_streams_redelivered_total"));
	}

	void testRefusedDeadLetterLeavesTheEntryPending()
	{
		// The dead-letter key holds a string: XADD to it is refused (WRONGTYPE).
		// The entry must not be acknowledged unwritten: it stays pending, is
		// reclaimed (its delivery count rises) and lands once the key is usable.
		CPPUNIT_ASSERT(!_server->command({"SET", DeadLetters, "not a stream"}).isError());
		auto subscriber = bus({{"eventbus.redis.streams.maxDeliveries", "2"}, {"eventbus.redis.streams.claimIdleMs", "300"}});
		auto publisher = bus();
		std::atomic<int> attempts{0};
		subscriber->subscribe(Topic, [&](const Event&) {
			++attempts;
			throw Poco::RuntimeException("cannot book it");
		}, TenantScope::tenant("acme"));
		publisher->publish(Topic, wireOf(1), "acme");
		auto deliveries = [&]() -> long long {
			const RedisValue pending = _server->command({"XPENDING", Channel, "eventbus", "-", "+", "10"});
			return pending.elements.size() == 1 && pending.elements[0].elements.size() == 4
				? pending.elements[0].elements[3].integer : -1;
		};
		// Reclaimed twice more after its dead letter was refused: still pending.
		CPPUNIT_ASSERT_MESSAGE(std::to_string(deliveries()), waitUntil([&]() { return deliveries() >= 4; },
			std::chrono::milliseconds(15000)));
		CPPUNIT_ASSERT_EQUAL(2, attempts.load());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), subscriber->metrics().counterValue("eventbus_streams_dead_lettered_total"));
		CPPUNIT_ASSERT(!_server->command({"DEL", DeadLetters}).isError());
		CPPUNIT_ASSERT(waitUntil([&]() { return streamLength(*_server, DeadLetters) == 1; }, std::chrono::milliseconds(15000)));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingCount(*_server, Channel, "eventbus") == 0; }));
		CPPUNIT_ASSERT(waitUntil([&]() {
			return subscriber->metrics().counterValue("eventbus_streams_dead_lettered_total") == 1; }));
		CPPUNIT_ASSERT_EQUAL(2, attempts.load()); // dead-lettered without another delivery
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), entries(*_server, DeadLetters).size());
	}

	void testRejectedEntryIsAcknowledgedAndCounted()
	{
		StreamsHarness harness(*_server, fast());
		std::atomic<int> calls{0};
		harness.transport().subscribe(ChannelSubscription(Channel), [&](const InboundMessage&) {
			++calls;
			return DeliveryResult::rejected("duplicate");
		});
		harness.publish(Channel, wireOf(1));
		harness.publish(Channel, wireOf(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return harness.metrics().counterValue("eventbus_streams_acked_total") == 2; }));
		CPPUNIT_ASSERT_EQUAL(2, calls.load());
		CPPUNIT_ASSERT_EQUAL(0LL, pendingCount(*_server, Channel, "eventbus"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), harness.metrics().counterValue("eventbus_streams_rejected_total",
			{{"reason", "duplicate"}, {"transport", "redis-streams"}}));
		CPPUNIT_ASSERT_EQUAL(0LL, streamLength(*_server, DeadLetters));
	}

	void testTwoGroupsEachGetEveryEvent()
	{
		EventLog billing;
		EventLog shipping;
		auto a = bus({{"eventbus.redis.streams.group", "billing"}});
		auto b = bus({{"eventbus.redis.streams.group", "shipping"}});
		auto publisher = bus();
		a->subscribe(Topic, billing.handler(), TenantScope::tenant("acme"));
		b->subscribe(Topic, shipping.handler(), TenantScope::tenant("acme"));
		for (int i = 0; i < 30; ++i)
			publisher->publish(Topic, wireOf(i), "acme");
		CPPUNIT_ASSERT(billing.waitFor(30));
		CPPUNIT_ASSERT(shipping.waitFor(30));
		CPPUNIT_ASSERT(waitUntil([&]() {
			return pendingCount(*_server, Channel, "billing") == 0 && pendingCount(*_server, Channel, "shipping") == 0;
		}));
		CPPUNIT_ASSERT_EQUAL(std::size_t(30), billing.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(30), shipping.size());
		CPPUNIT_ASSERT(billing.intField("n") == shipping.intField("n"));
	}

	void testTwoConsumersOfOneGroupSplitTheWork()
	{
		const int sent = 200;
		EventLog first;
		EventLog second;
		auto a = bus({{"eventbus.redis.streams.batch", "8"}});
		auto b = bus({{"eventbus.redis.streams.batch", "8"}});
		auto publisher = bus();
		a->subscribe(Topic, first.handler(), TenantScope::tenant("acme"));
		b->subscribe(Topic, second.handler(), TenantScope::tenant("acme"));
		std::vector<std::future<Receipt>> receipts;
		for (int i = 0; i < sent; ++i)
			receipts.push_back(publisher->publishAsync(Topic, wireOf(i), "acme"));
		for (auto& receipt : receipts)
			receipt.get();
		CPPUNIT_ASSERT(waitUntil([&]() { return first.size() + second.size() >= sent; }, std::chrono::seconds(15)));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingCount(*_server, Channel, "eventbus") == 0; }));
		std::set<int> distinct;
		for (int n : first.intField("n"))
			distinct.insert(n);
		for (int n : second.intField("n"))
			distinct.insert(n);
		const std::size_t received = first.size() + second.size();
		CPPUNIT_ASSERT_EQUAL(std::size_t(sent), received);          // duplicates: 0
		CPPUNIT_ASSERT_EQUAL(std::size_t(sent), distinct.size());   // missing: 0
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), a->metrics().counterValue("eventbus_streams_redelivered_total")
			+ b->metrics().counterValue("eventbus_streams_redelivered_total"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisStreamsDeliveryTest);
