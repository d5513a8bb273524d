// Suite ID: unit.eventbus.publish
//
// EventBusPublishTest.cpp
//
// The bus contract, publish: receipts and message ids, correlation ids, what reaches
// the wire, input refused before anything is sent, transport failures,
// idempotency keys and publishAsync.
// Through the loopback transport (deterministic), the memory transport (with
// waitUntil) and a spy transport (EventBusTestSupport.h).
//
#include "EventBusTestSupport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>

using namespace eventbus;
using namespace eventbus::test;

class EventBusPublishTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EventBusPublishTest);
	CPPUNIT_TEST(testReceiptHasUuidMessageId);
	CPPUNIT_TEST(testEveryPublishHasFreshMessageId);
	CPPUNIT_TEST(testReceiptChannelIsPrefixEnvTenantTopic);
	CPPUNIT_TEST(testConfiguredPrefixIsUsed);
	CPPUNIT_TEST(testEmptyCorrelationIdIsGenerated);
	CPPUNIT_TEST(testGivenCorrelationIdIsKept);
	CPPUNIT_TEST(testDeliveredEventCarriesEveryAttribute);
	CPPUNIT_TEST(testJsonTextPayloadIsDelivered);
	CPPUNIT_TEST(testPublishThroughEventPublisherInterface);
	CPPUNIT_TEST(testInvalidTenantIsRefusedBeforeSending);
	CPPUNIT_TEST(testInvalidTopicIsRefusedBeforeSending);
	CPPUNIT_TEST(testInvalidJsonTextIsRefusedBeforeSending);
	CPPUNIT_TEST(testJsonArrayPayloadIsRefusedBeforeSending);
	CPPUNIT_TEST(testNullPayloadIsRefusedBeforeSending);
	CPPUNIT_TEST(testOversizedPayloadIsRefusedBeforeSending);
	CPPUNIT_TEST(testPayloadWithinLimitIsSent);
	CPPUNIT_TEST(testRefusedPublishDeliversNothing);
	CPPUNIT_TEST(testTransportFailureIsRethrownAndCounted);
	CPPUNIT_TEST(testOverflowIsRethrownAndCounted);
	CPPUNIT_TEST(testPublishFromHandlerInheritsCorrelationId);
	CPPUNIT_TEST(testPublishOutsideHandlerGetsFreshCorrelationId);
	CPPUNIT_TEST(testRetriesWithSameIdempotencyKeyAreDeliveredOnce);
	CPPUNIT_TEST(testDifferentIdempotencyKeysAreBothDelivered);
	CPPUNIT_TEST(testInvalidIdempotencyKeyIsRefused);
	CPPUNIT_TEST(testSameIdempotencyKeyOfTwoTenantsReachesCrossTenantSubscriber);
	CPPUNIT_TEST(testPublishAsyncDeliversAndReturnsReceipt);
	CPPUNIT_TEST(testPublishAsyncRefusesInvalidInputBeforeSending);
	CPPUNIT_TEST(testPublishAsyncTransportErrorIsInTheFuture);
	CPPUNIT_TEST(testPublishAsyncKeepsOrderFromOneThread);
	CPPUNIT_TEST(testPublishAsyncCallbackGetsReceiptOrError);
	CPPUNIT_TEST_SUITE_END();

public:
	void testReceiptHasUuidMessageId()
	{
		auto bus = loopbackBus();
		const Receipt r = bus->publish(Topic, payload("a", 1), "acme");
		CPPUNIT_ASSERT_MESSAGE(r.messageId, isUuid(r.messageId));
	}

	void testEveryPublishHasFreshMessageId()
	{
		auto bus = loopbackBus();
		const Receipt a = bus->publish(Topic, payload("a", 1), "acme", "same");
		const Receipt b = bus->publish(Topic, payload("a", 1), "acme", "same");
		CPPUNIT_ASSERT(a.messageId != b.messageId);
	}

	void testReceiptChannelIsPrefixEnvTenantTopic()
	{
		auto bus = loopbackBus();
		const Receipt r = bus->publish(Topic, payload("a", 1), "acme");
		CPPUNIT_ASSERT_EQUAL(std::string("c2pro.test.acme.orders.created"), r.channel);
		CPPUNIT_ASSERT_EQUAL(r.channel, bus->channelFor("acme", Topic));
	}

	void testConfiguredPrefixIsUsed()
	{
		auto bus = loopbackBus({{"eventbus.channel.prefix", "shop"}});
		CPPUNIT_ASSERT_EQUAL(std::string("shop.test.acme.orders.created"), bus->publish(Topic, payload("a", 1), "acme").channel);
	}

	void testEmptyCorrelationIdIsGenerated()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		const Receipt r = bus->publish(Topic, payload("a", 1), "acme");
		CPPUNIT_ASSERT_MESSAGE(r.correlationId, isUuid(r.correlationId));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		CPPUNIT_ASSERT_EQUAL(r.correlationId, got.at(0).correlationId);
		CPPUNIT_ASSERT(r.correlationId != bus->publish(Topic, payload("a", 1), "acme").correlationId);
	}

	void testGivenCorrelationIdIsKept()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		const Receipt r = bus->publish(Topic, payload("a", 1), "acme", "order-77");
		CPPUNIT_ASSERT_EQUAL(std::string("order-77"), r.correlationId);
		CPPUNIT_ASSERT_EQUAL(std::string("order-77"), got.at(0).correlationId);
	}

	void testDeliveredEventCarriesEveryAttribute()
	{
		Collector got;
		auto bus = loopbackBus({{"eventbus.source", "/billing"}});
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		const Poco::Timestamp before;
		const Receipt r = bus->publish(Topic, payload("orderId", 17), "acme", "c-1");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		const Event e = got.at(0);
		CPPUNIT_ASSERT_EQUAL(r.messageId, e.id);
		CPPUNIT_ASSERT_EQUAL(std::string("/billing"), e.source);
		CPPUNIT_ASSERT_EQUAL(Topic, e.topic());
		CPPUNIT_ASSERT_EQUAL(std::string("acme"), e.tenantId);
		CPPUNIT_ASSERT_EQUAL(std::string("c-1"), e.correlationId);
		CPPUNIT_ASSERT_EQUAL(std::string("application/json"), e.dataContentType);
		CPPUNIT_ASSERT(e.time >= before - Poco::Timespan(0, 1000));
		CPPUNIT_ASSERT(e.time <= Poco::Timestamp());
		CPPUNIT_ASSERT(!e.data.isNull());
		CPPUNIT_ASSERT_EQUAL(17, e.data->getValue<int>("orderId"));
	}

	void testJsonTextPayloadIsDelivered()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		bus->publish(Topic, std::string(R"({"x":[1,2],"y":"z"})"), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		CPPUNIT_ASSERT_EQUAL(std::string("z"), got.at(0).data->getValue<std::string>("y"));
	}

	void testPublishThroughEventPublisherInterface()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		EventPublisher& publisher = *bus;
		publisher.publish(Topic, payload("a", 1), "acme");
		publisher.publish(Topic, std::string("{\"a\":2}"), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), got.size());
	}

	void testInvalidTenantIsRefusedBeforeSending()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		for (const char* tenant : {"ac.me", "ac*me", "", "a b"})
			refusedNaming("tenantId", [&] { bus->publish(Topic, payload("a", 1), tenant); });
		CPPUNIT_ASSERT(spy->published().empty());
	}

	void testInvalidTopicIsRefusedBeforeSending()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		for (const char* topic : {"Orders", "orders.*", "", "orders..created"})
			refusedNaming("topic", [&] { bus->publish(topic, payload("a", 1), "acme"); });
		CPPUNIT_ASSERT(spy->published().empty());
	}

	void testInvalidJsonTextIsRefusedBeforeSending()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		refusedNaming("payload", [&] { bus->publish(Topic, std::string("{\"a\": "), "acme"); });
		refusedNaming("payload", [&] { bus->publish(Topic, std::string("not json"), "acme"); });
		refusedNaming("payload", [&] { bus->publish(Topic, std::string(""), "acme"); });
		CPPUNIT_ASSERT(spy->published().empty());
	}

	void testJsonArrayPayloadIsRefusedBeforeSending()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		refusedNaming("payload", [&] { bus->publish(Topic, std::string("[1,2,3]"), "acme"); });
		refusedNaming("payload", [&] { bus->publish(Topic, std::string("42"), "acme"); });
		CPPUNIT_ASSERT(spy->published().empty());
	}

	void testNullPayloadIsRefusedBeforeSending()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		refusedNaming("payload", [&] { bus->publish(Topic, Poco::JSON::Object::Ptr(), "acme"); });
		CPPUNIT_ASSERT(spy->published().empty());
	}

	void testOversizedPayloadIsRefusedBeforeSending()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy, {{"eventbus.maxPayloadBytes", "100"}});
		refusedNaming("payload", [&] { bus->publish(Topic, payload("blob", std::string(200, 'x')), "acme"); });
		refusedNaming("payload", [&] { bus->publish(Topic, "{\"blob\":\"" + std::string(200, 'x') + "\"}", "acme"); });
		CPPUNIT_ASSERT(spy->published().empty());
	}

	void testPayloadWithinLimitIsSent()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy, {{"eventbus.maxPayloadBytes", "100"}});
		bus->publish(Topic, payload("blob", std::string(50, 'x')), "acme");
		const auto sent = spy->published();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), sent.size());
		CPPUNIT_ASSERT_EQUAL(std::string("c2pro.test.acme.orders.created"), sent[0].channel);
		CPPUNIT_ASSERT(sent[0].event);
		CPPUNIT_ASSERT(!sent[0].wire.empty());
		CPPUNIT_ASSERT_EQUAL(sent[0].event->id, CloudEventCodec::decode(sent[0].wire, 1 << 20).id);
	}

	void testRefusedPublishDeliversNothing()
	{
		Collector got;
		auto bus = loopbackBus({{"eventbus.maxPayloadBytes", "100"}});
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		try { bus->publish(Topic, payload("blob", std::string(200, 'x')), "acme"); } catch (ValidationException&) {}
		try { bus->publish(Topic, std::string("[1]"), "acme"); } catch (ValidationException&) {}
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), got.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), bus->metrics().counterValue(Metrics::Published));
	}

	void testTransportFailureIsRethrownAndCounted()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		spy->failWith = 1;
		expectThrow<TransportException>([&] { bus->publish(Topic, payload("a", 1), "acme"); });
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus->metrics().counterValue(Metrics::PublishFailed));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), bus->metrics().counterValue(Metrics::Published));
		spy->failWith = 0;
		bus->publish(Topic, payload("a", 1), "acme");
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus->metrics().counterValue(Metrics::Published));
	}

	void testOverflowIsRethrownAndCounted()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		spy->failWith = 2;
		expectThrow<OverflowException>([&] { bus->publish(Topic, payload("a", 1), "acme"); });
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus->metrics().counterValue(Metrics::PublishFailed,
			{{"reason", "overflow"}, {"transport", "spy"}}));
	}

	void testPublishFromHandlerInheritsCorrelationId()
	{
		Collector second;
		auto bus = loopbackBus();
		EventBus* b = bus.get();
		bus->subscribe("orders.second", second.handler(), TenantScope::tenant("acme"));
		bus->subscribe(Topic, [b](const Event& e) { b->publish("orders.second", payload("a", 1), e.tenantId); },
			TenantScope::tenant("acme"));
		const Receipt r = bus->publish(Topic, payload("a", 1), "acme", "chain-7");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), second.size());
		CPPUNIT_ASSERT_EQUAL(std::string("chain-7"), second.at(0).correlationId);
		CPPUNIT_ASSERT_EQUAL(std::string("chain-7"), r.correlationId);
	}

	void testPublishOutsideHandlerGetsFreshCorrelationId()
	{
		auto bus = loopbackBus();
		EventBus* b = bus.get();
		bus->subscribe(Topic, [b](const Event& e) { b->publish("orders.second", payload("a", 1), e.tenantId); },
			TenantScope::tenant("acme"));
		bus->publish(Topic, payload("a", 1), "acme", "chain-8");
		// The handler has returned: nothing of its correlation id may leak.
		const Receipt after = bus->publish("orders.second", payload("a", 1), "acme");
		CPPUNIT_ASSERT(after.correlationId != "chain-8");
		CPPUNIT_ASSERT(isUuid(after.correlationId));
	}

	void testRetriesWithSameIdempotencyKeyAreDeliveredOnce()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		PublishOptions options;
		options.idempotencyKey = "order-17-created";
		const Receipt first = bus->publish(Topic, payload("a", 1), "acme", options);
		const Receipt retry = bus->publish(Topic, payload("a", 1), "acme", options);
		CPPUNIT_ASSERT(first.messageId != retry.messageId);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		CPPUNIT_ASSERT_EQUAL(first.messageId, got.at(0).id);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus->metrics().counterValue(Metrics::Duplicates));
	}

	void testDifferentIdempotencyKeysAreBothDelivered()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		PublishOptions a, b;
		a.idempotencyKey = "key-a";
		b.idempotencyKey = "key-b";
		bus->publish(Topic, payload("a", 1), "acme", a);
		bus->publish(Topic, payload("a", 1), "acme", b);
		bus->publish(Topic, payload("a", 1), "acme"); // no key: its message id stands for it
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), got.size());
	}

	void testInvalidIdempotencyKeyIsRefused()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		PublishOptions options;
		options.idempotencyKey = std::string(129, 'k');
		refusedNaming("idempotencyKey", [&] { bus->publish(Topic, payload("a", 1), "acme", options); });
		options.idempotencyKey = "bad\nkey";
		refusedNaming("idempotencyKey", [&] { bus->publish(Topic, payload("a", 1), "acme", options); });
		CPPUNIT_ASSERT(spy->published().empty());
	}

	void testSameIdempotencyKeyOfTwoTenantsReachesCrossTenantSubscriber()
	{
		// Keys are chosen by each tenant (order numbers restart per tenant): one
		// tenant's key must never suppress another tenant's event.
		Collector all;
		auto bus = loopbackBus({{"eventbus.security.allowCrossTenant", "true"}});
		bus->subscribe(Topic, all.handler(), TenantScope::allTenants());
		PublishOptions options;
		options.idempotencyKey = "order-1-created";
		bus->publish(Topic, payload("a", 1), "acme", options);
		bus->publish(Topic, payload("a", 1), "globex", options);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), bus->metrics().counterValue(Metrics::Duplicates));
	}

	void testPublishAsyncDeliversAndReturnsReceipt()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		std::future<Receipt> future = bus->publishAsync(Topic, payload("a", 1), "acme", "async-1");
		const Receipt r = future.get();
		CPPUNIT_ASSERT(isUuid(r.messageId));
		CPPUNIT_ASSERT_EQUAL(std::string("async-1"), r.correlationId);
		CPPUNIT_ASSERT_EQUAL(std::string("c2pro.test.acme.orders.created"), r.channel);
		CPPUNIT_ASSERT(got.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(r.messageId, got.at(0).id);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus->metrics().counterValue(Metrics::Published));
	}

	void testPublishAsyncRefusesInvalidInputBeforeSending()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		refusedNaming("tenantId", [&] { bus->publishAsync(Topic, payload("a", 1), "ac.me"); });
		refusedNaming("topic", [&] { bus->publishAsync("Orders", payload("a", 1), "acme"); });
		refusedNaming("payload", [&] { bus->publishAsync(Topic, std::string("[1]"), "acme"); });
		CPPUNIT_ASSERT(spy->published().empty());
	}

	void testPublishAsyncTransportErrorIsInTheFuture()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		spy->failWith = 1;
		std::future<Receipt> future = bus->publishAsync(Topic, payload("a", 1), "acme");
		expectThrow<TransportException>([&] { future.get(); });
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus->metrics().counterValue(Metrics::PublishFailed));
	}

	void testPublishAsyncKeepsOrderFromOneThread()
	{
		std::mutex mutex;
		std::vector<int> seen;
		auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory")));
		bus->subscribe("orders.async", [&](const Event& e) {
			std::lock_guard<std::mutex> lock(mutex);
			seen.push_back(e.data->getValue<int>("i"));
		}, TenantScope::tenant("mem-async"));
		std::vector<std::future<Receipt>> futures;
		for (int i = 0; i < 200; ++i)
			futures.push_back(bus->publishAsync("orders.async", payload("i", i), "mem-async"));
		for (auto& f : futures)
			f.get();
		CPPUNIT_ASSERT(waitUntil([&] { std::lock_guard<std::mutex> lock(mutex); return seen.size() >= 200; }));
		std::lock_guard<std::mutex> lock(mutex);
		for (int i = 0; i < 200; ++i)
			CPPUNIT_ASSERT_EQUAL(i, seen[i]);
	}

	void testPublishAsyncCallbackGetsReceiptOrError()
	{
		// The future-less form: the outcome comes to the callback, once.
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		std::mutex mutex;
		std::vector<Receipt> receipts;
		int errors = 0;
		bus->publishAsync(Topic, payload("a", 1), "acme", [&](const Receipt& receipt, std::exception_ptr error) {
			std::lock_guard<std::mutex> lock(mutex);
			if (error) ++errors;
			else receipts.push_back(receipt);
		}, "cb-1");
		CPPUNIT_ASSERT(waitUntil([&] { std::lock_guard<std::mutex> lock(mutex); return receipts.size() == 1; }));
		CPPUNIT_ASSERT(got.waitFor(1));
		{
			std::lock_guard<std::mutex> lock(mutex);
			CPPUNIT_ASSERT_EQUAL(0, errors);
			CPPUNIT_ASSERT_EQUAL(std::string("cb-1"), receipts[0].correlationId);
			CPPUNIT_ASSERT_EQUAL(got.at(0).id, receipts[0].messageId);
		}

		auto spy = std::make_shared<SpyTransport>();
		auto failing = spyBus(spy);
		spy->failWith = 1;
		std::atomic<int> failed{0};
		std::string failedId = "unset";
		failing->publishAsync(Topic, std::string("{\"a\":1}"), "acme", [&](const Receipt& receipt, std::exception_ptr error) {
			failedId = receipt.messageId;
			if (error) ++failed;
		});
		CPPUNIT_ASSERT(waitUntil([&] { return failed.load() == 1; }));
		CPPUNIT_ASSERT(failedId.empty());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), failing->metrics().counterValue(Metrics::PublishFailed));
		// Invalid input throws here, and the callback is not called.
		bool called = false;
		refusedNaming("tenantId", [&] { failing->publishAsync(Topic, payload("a", 1), "ac.me",
			[&](const Receipt&, std::exception_ptr) { called = true; }); });
		CPPUNIT_ASSERT(!called);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventBusPublishTest);
