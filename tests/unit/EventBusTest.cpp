// Suite ID: unit.eventbus
//
// EventBusTest.cpp
//
// The bus contract, through the synchronous loopback transport (deterministic),
// the memory transport (with waitUntil) and a spy transport (to see exactly
// what reaches the wire and to hand-deliver forged messages).
//
#include "BusTestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Topic = "orders.created";

std::unique_ptr<EventBus> loopbackBus(const std::map<std::string, std::string>& overrides = {})
{
	return std::unique_ptr<EventBus>(new EventBus(*makeConfig("loopback", overrides)));
}

std::unique_ptr<EventBus> spyBus(std::shared_ptr<SpyTransport> spy, const std::map<std::string, std::string>& overrides = {})
{
	return std::unique_ptr<EventBus>(new EventBus(*makeConfig("loopback", overrides), spy));
}

/// publish must throw ValidationException whose message starts with `field`.
void refusedNaming(const std::string& field, const std::function<void()>& publish)
{
	const std::string msg = expectThrow<ValidationException>(publish, field);
	CPPUNIT_ASSERT_MESSAGE("expected '" + field + "' first: " + msg, startsWith(msg, field));
}

} // namespace

class EventBusTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EventBusTest);
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
	CPPUNIT_TEST(testTwoTenantsOnSameTopicReceiveOnlyTheirOwn);
	CPPUNIT_TEST(testTenantSubscriptionUsesConcreteChannel);
	CPPUNIT_TEST(testSubscribeRefusesInvalidTopic);
	CPPUNIT_TEST(testSubscribeRefusesInvalidTenantScope);
	CPPUNIT_TEST(testCrossTenantScopeIsRefusedByDefault);
	CPPUNIT_TEST(testCrossTenantScopeReceivesEveryTenantWhenAllowed);
	CPPUNIT_TEST(testCrossTenantScopeSubscribesToFrameworkPattern);
	CPPUNIT_TEST(testCrossTenantScopeIgnoresLongerTopicWithSameSuffix);
	CPPUNIT_TEST(testTokensArePositiveAndDistinct);
	CPPUNIT_TEST(testHandlerIsNotCalledAfterUnsubscribe);
	CPPUNIT_TEST(testUnsubscribeIsIdempotent);
	CPPUNIT_TEST(testUnsubscribeFromInsideHandlerDoesNotDeadlock);
	CPPUNIT_TEST(testPublishFromInsideHandlerDoesNotDeadlock);
	CPPUNIT_TEST(testSubscribeFromInsideHandlerDoesNotDeadlock);
	CPPUNIT_TEST(testThrowingHandlerIsCountedAndOthersStillReceive);
	CPPUNIT_TEST(testThrowingHandlerDoesNotFailPublish);
	CPPUNIT_TEST(testHandlerThrowingNonStandardExceptionIsContained);
	CPPUNIT_TEST(testDuplicateDeliveryIsDroppedAndCounted);
	CPPUNIT_TEST(testStaleEventIsDropped);
	CPPUNIT_TEST(testForgedTenantOnWireIsDropped);
	CPPUNIT_TEST(testForgedInProcessEventIsDropped);
	CPPUNIT_TEST(testMalformedWireIsDroppedWithoutThrowing);
	CPPUNIT_TEST(testEventOnChannelOfAnotherTopicIsDropped);
	CPPUNIT_TEST(testPayloadRedactionMasksTheWire);
	CPPUNIT_TEST(testPayloadRedactionMasksWhatHandlersSee);
	CPPUNIT_TEST(testPayloadRedactionLeavesCallerObjectUnchanged);
	CPPUNIT_TEST(testLogRedactionLeavesPayloadForHandler);
	CPPUNIT_TEST(testDefaultMiddlewareOrder);
	CPPUNIT_TEST(testMiddlewareOrderFollowsConfig);
	CPPUNIT_TEST(testUnknownMiddlewareIsRefused);
	CPPUNIT_TEST(testMemoryTransportIsRefusedInProduction);
	CPPUNIT_TEST(testLoopbackTransportIsRefusedInProduction);
	CPPUNIT_TEST(testInProcessTransportGivenByCallerIsRefusedInProduction);
	CPPUNIT_TEST(testMetricsCountPublishedAndDelivered);
	CPPUNIT_TEST(testMetricsHaveNoTenantLabelByDefault);
	CPPUNIT_TEST(testMetricsHaveTenantLabelWhenConfigured);
	CPPUNIT_TEST(testMetricsNeverCarryPayloadValues);
	CPPUNIT_TEST(testMemoryTransportDelivers);
	CPPUNIT_TEST(testMemoryTransportIsolatesTenants);
	CPPUNIT_TEST(testMemoryUnsubscribeFromInsideHandler);
	CPPUNIT_TEST(testPayloadChangedAfterPublishDoesNotReachMemoryHandler);
	CPPUNIT_TEST(testHealthIsReady);
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
	CPPUNIT_TEST(testCloseIsIdempotent);
	CPPUNIT_TEST(testPublishAfterCloseIsRefused);
	CPPUNIT_TEST(testCloseStopsTheTransport);
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

	void testTwoTenantsOnSameTopicReceiveOnlyTheirOwn()
	{
		Collector acme, globex;
		auto bus = loopbackBus();
		bus->subscribe(Topic, acme.handler(), TenantScope::tenant("acme"));
		bus->subscribe(Topic, globex.handler(), TenantScope::tenant("globex"));
		bus->publish(Topic, payload("who", "acme-1"), "acme");
		bus->publish(Topic, payload("who", "globex-1"), "globex");
		bus->publish(Topic, payload("who", "acme-2"), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), acme.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), globex.size());
		for (const auto& e : acme.events())
			CPPUNIT_ASSERT_EQUAL(std::string("acme"), e.tenantId);
		CPPUNIT_ASSERT_EQUAL(std::string("globex"), globex.at(0).tenantId);
		CPPUNIT_ASSERT_EQUAL(std::string("globex-1"), globex.at(0).data->getValue<std::string>("who"));
	}

	void testTenantSubscriptionUsesConcreteChannel()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		bus->subscribe(Topic, [](const Event&) {}, TenantScope::tenant("acme"));
		const auto subs = spy->subscriptions();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), subs.size());
		CPPUNIT_ASSERT_EQUAL(std::string("c2pro.test.acme.orders.created"), subs[0].channel);
		CPPUNIT_ASSERT(!subs[0].pattern);
	}

	void testSubscribeRefusesInvalidTopic()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		refusedNaming("topic", [&] { bus->subscribe("orders.*", [](const Event&) {}, TenantScope::tenant("acme")); });
		CPPUNIT_ASSERT(spy->subscriptions().empty());
	}

	void testSubscribeRefusesInvalidTenantScope()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		refusedNaming("tenantId", [&] { bus->subscribe(Topic, [](const Event&) {}, TenantScope::tenant("*")); });
		refusedNaming("tenantId", [&] { bus->subscribe(Topic, [](const Event&) {}, TenantScope::tenant("acme.eu")); });
		CPPUNIT_ASSERT(spy->subscriptions().empty());
	}

	void testCrossTenantScopeIsRefusedByDefault()
	{
		auto bus = loopbackBus();
		const std::string msg = expectThrow<PolicyException>(
			[&] { bus->subscribe(Topic, [](const Event&) {}, TenantScope::allTenants()); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.security.allowCrossTenant"));
	}

	void testCrossTenantScopeReceivesEveryTenantWhenAllowed()
	{
		Collector all;
		auto bus = loopbackBus({{"eventbus.security.allowCrossTenant", "true"}});
		bus->subscribe(Topic, all.handler(), TenantScope::allTenants());
		bus->publish(Topic, payload("a", 1), "acme");
		bus->publish(Topic, payload("a", 2), "globex");
		bus->publish("orders.updated", payload("a", 3), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), all.size());
		CPPUNIT_ASSERT_EQUAL(std::string("acme"), all.at(0).tenantId);
		CPPUNIT_ASSERT_EQUAL(std::string("globex"), all.at(1).tenantId);
	}

	void testCrossTenantScopeSubscribesToFrameworkPattern()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy, {{"eventbus.security.allowCrossTenant", "true"}});
		bus->subscribe(Topic, [](const Event&) {}, TenantScope::allTenants());
		const auto subs = spy->subscriptions();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), subs.size());
		CPPUNIT_ASSERT_EQUAL(std::string("c2pro.test.*.orders.created"), subs[0].channel);
		CPPUNIT_ASSERT(subs[0].pattern);
	}

	void testCrossTenantScopeIgnoresLongerTopicWithSameSuffix()
	{
		// c2pro.test.*.orders.created also matches c2pro.test.acme.x.orders.created
		Collector all;
		auto bus = loopbackBus({{"eventbus.security.allowCrossTenant", "true"}});
		bus->subscribe(Topic, all.handler(), TenantScope::allTenants());
		bus->publish("x.orders.created", payload("a", 1), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), all.size());
		bus->publish(Topic, payload("a", 1), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), all.size());
	}

	void testTokensArePositiveAndDistinct()
	{
		auto bus = loopbackBus();
		const auto a = bus->subscribe(Topic, [](const Event&) {}, TenantScope::tenant("acme"));
		const auto b = bus->subscribe(Topic, [](const Event&) {}, TenantScope::tenant("acme"));
		CPPUNIT_ASSERT(a > 0 && b > 0);
		CPPUNIT_ASSERT(a != b);
	}

	void testHandlerIsNotCalledAfterUnsubscribe()
	{
		Collector got, other;
		auto bus = loopbackBus();
		const auto token = bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		bus->subscribe(Topic, other.handler(), TenantScope::tenant("acme"));
		bus->publish(Topic, payload("a", 1), "acme");
		bus->unsubscribe(token);
		bus->publish(Topic, payload("a", 2), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), other.size());
	}

	void testUnsubscribeIsIdempotent()
	{
		Collector got;
		auto bus = loopbackBus();
		const auto token = bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		bus->unsubscribe(token);
		bus->unsubscribe(token);
		bus->publish(Topic, payload("a", 1), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), got.size());
	}

	void testUnsubscribeFromInsideHandlerDoesNotDeadlock()
	{
		auto bus = loopbackBus();
		std::atomic<int> calls{0};
		std::atomic<SubscriptionToken> token{0};
		EventBus* b = bus.get();
		token = bus->subscribe(Topic, [&, b](const Event&) {
			++calls;
			b->unsubscribe(token.load());
		}, TenantScope::tenant("acme"));
		runOrAbort("unsubscribe inside a loopback handler", [&] {
			bus->publish(Topic, payload("a", 1), "acme");
			bus->publish(Topic, payload("a", 2), "acme");
		});
		CPPUNIT_ASSERT_EQUAL(1, calls.load());
	}

	void testPublishFromInsideHandlerDoesNotDeadlock()
	{
		Collector second;
		auto bus = loopbackBus();
		EventBus* b = bus.get();
		bus->subscribe("orders.second", second.handler(), TenantScope::tenant("acme"));
		bus->subscribe(Topic, [b](const Event& e) {
			b->publish("orders.second", payload("from", e.id), e.tenantId, e.correlationId);
		}, TenantScope::tenant("acme"));
		Receipt r;
		runOrAbort("publish inside a loopback handler", [&] { r = bus->publish(Topic, payload("a", 1), "acme", "chain-1"); });
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), second.size());
		CPPUNIT_ASSERT_EQUAL(std::string("chain-1"), second.at(0).correlationId);
		CPPUNIT_ASSERT_EQUAL(r.messageId, second.at(0).data->getValue<std::string>("from"));
	}

	void testSubscribeFromInsideHandlerDoesNotDeadlock()
	{
		Collector late;
		auto bus = loopbackBus();
		EventBus* b = bus.get();
		std::atomic<bool> subscribed{false};
		bus->subscribe(Topic, [&, b](const Event&) {
			if (!subscribed.exchange(true))
				b->subscribe("orders.late", late.handler(), TenantScope::tenant("acme"));
		}, TenantScope::tenant("acme"));
		runOrAbort("subscribe inside a loopback handler", [&] { bus->publish(Topic, payload("a", 1), "acme"); });
		bus->publish("orders.late", payload("a", 1), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), late.size());
	}

	void testThrowingHandlerIsCountedAndOthersStillReceive()
	{
		Collector before, after;
		auto bus = loopbackBus();
		bus->subscribe(Topic, before.handler(), TenantScope::tenant("acme"));
		bus->subscribe(Topic, [](const Event&) { throw std::runtime_error("handler broke: password=hunter2"); },
			TenantScope::tenant("acme"));
		bus->subscribe(Topic, after.handler(), TenantScope::tenant("acme"));
		bus->publish(Topic, payload("a", 1), "acme");
		bus->publish(Topic, payload("a", 2), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), before.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), after.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), bus->metrics().counterValue(Metrics::HandlerErrors));
	}

	void testThrowingHandlerDoesNotFailPublish()
	{
		auto bus = loopbackBus();
		bus->subscribe(Topic, [](const Event&) { throw Poco::RuntimeException("boom"); }, TenantScope::tenant("acme"));
		const Receipt r = bus->publish(Topic, payload("a", 1), "acme");
		CPPUNIT_ASSERT(isUuid(r.messageId));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus->metrics().counterValue(Metrics::HandlerErrors));
	}

	void testHandlerThrowingNonStandardExceptionIsContained()
	{
		Collector other;
		auto bus = loopbackBus();
		bus->subscribe(Topic, [](const Event&) { throw 42; }, TenantScope::tenant("acme"));
		bus->subscribe(Topic, other.handler(), TenantScope::tenant("acme"));
		bus->publish(Topic, payload("a", 1), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), other.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), bus->metrics().counterValue(Metrics::HandlerErrors));
	}

	void testDuplicateDeliveryIsDroppedAndCounted()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		const Receipt r = bus->publish(Topic, payload("a", 1), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		const Event delivered = got.at(0);
		bus->transport().publish(outbound(r.channel, delivered)); // the same message again
		bus->transport().publish(outbound(r.channel, delivered));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), bus->metrics().counterValue(Metrics::Duplicates));
		// A new message id on the same channel still gets through.
		bus->transport().publish(outbound(r.channel, handMadeEvent("acme", Topic)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), got.size());
	}

	void testStaleEventIsDropped()
	{
		Collector got;
		auto bus = loopbackBus({{"eventbus.idempotency.maxAgeSeconds", "60"}});
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		const std::string channel = bus->channelFor("acme", Topic);
		const auto dropped = bus->metrics().counterValue(Metrics::Dropped);
		bus->transport().publish(outbound(channel, handMadeEvent("acme", Topic, Poco::Timestamp() - Poco::Timespan(600, 0))));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), got.size());
		CPPUNIT_ASSERT_EQUAL(dropped + 1, bus->metrics().counterValue(Metrics::Dropped));
		bus->transport().publish(outbound(channel, handMadeEvent("acme", Topic, Poco::Timestamp() - Poco::Timespan(10, 0))));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
	}

	void testForgedTenantOnWireIsDropped()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		const auto dropped = bus->metrics().counterValue(Metrics::Dropped);
		// An event of tenant "evil" put on acme's channel.
		bus->transport().publish(outbound(bus->channelFor("acme", Topic), handMadeEvent("evil", Topic)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), got.size());
		CPPUNIT_ASSERT_EQUAL(dropped + 1, bus->metrics().counterValue(Metrics::Dropped));
	}

	void testForgedInProcessEventIsDropped()
	{
		Collector got;
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		InboundMessage in;
		in.channel = "c2pro.test.acme.orders.created";
		in.event = std::make_shared<const Event>(handMadeEvent("evil", Topic));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), spy->deliver(in));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), got.size());
		// The genuine one passes the same way.
		in.event = std::make_shared<const Event>(handMadeEvent("acme", Topic));
		spy->deliver(in);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
	}

	void testMalformedWireIsDroppedWithoutThrowing()
	{
		Collector got;
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		const auto dropped = bus->metrics().counterValue(Metrics::Dropped);
		InboundMessage in;
		in.channel = "c2pro.test.acme.orders.created";
		in.wire = "{\"password\":\"hunter2\"";
		try
		{
			spy->deliver(in);
		}
		catch (std::exception& exc)
		{
			CPPUNIT_FAIL(std::string("delivery callback threw into the transport: ") + exc.what());
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), got.size());
		CPPUNIT_ASSERT_EQUAL(dropped + 1, bus->metrics().counterValue(Metrics::Dropped));
	}

	void testEventOnChannelOfAnotherTopicIsDropped()
	{
		Collector got;
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		// The event claims orders.created, but arrived on (and was routed to us as) the channel.
		Event e = handMadeEvent("acme", "orders.deleted");
		InboundMessage in;
		in.channel = "c2pro.test.acme.orders.created";
		in.wire = CloudEventCodec::encode(e);
		spy->deliver(in);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), got.size());
	}

	void testPayloadRedactionMasksTheWire()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy, {{"eventbus.redaction.mode", "payload"}});
		Poco::JSON::Object::Ptr p = payload("user", "bob");
		p->set("password", "hunter2");
		bus->publish(Topic, p, "acme");
		const auto sent = spy->published();
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), sent.size());
		CPPUNIT_ASSERT_MESSAGE(sent[0].wire, !contains(sent[0].wire, "hunter2"));
		CPPUNIT_ASSERT_MESSAGE(sent[0].wire, contains(sent[0].wire, "bob"));
		CPPUNIT_ASSERT_EQUAL(std::string(Redactor::Mask), sent[0].event->data->getValue<std::string>("password"));
		CPPUNIT_ASSERT(bus->metrics().counterValue(Metrics::Redactions) >= 1);
	}

	void testPayloadRedactionMasksWhatHandlersSee()
	{
		Collector got;
		auto bus = loopbackBus({{"eventbus.redaction.mode", "payload"}});
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		Poco::JSON::Object::Ptr p = payload("user", "bob");
		p->set("Password", "hunter2");
		bus->publish(Topic, p, "acme");
		CPPUNIT_ASSERT_EQUAL(std::string(Redactor::Mask), got.at(0).data->getValue<std::string>("Password"));
		CPPUNIT_ASSERT_EQUAL(std::string("bob"), got.at(0).data->getValue<std::string>("user"));
	}

	void testPayloadRedactionLeavesCallerObjectUnchanged()
	{
		auto bus = loopbackBus({{"eventbus.redaction.mode", "payload"}});
		Poco::JSON::Object::Ptr p = payload("password", "hunter2");
		bus->publish(Topic, p, "acme");
		CPPUNIT_ASSERT_EQUAL(std::string("hunter2"), p->getValue<std::string>("password"));
	}

	void testLogRedactionLeavesPayloadForHandler()
	{
		Collector got;
		auto bus = loopbackBus({{"eventbus.redaction.mode", "log"}});
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		bus->publish(Topic, payload("password", "hunter2"), "acme");
		CPPUNIT_ASSERT_EQUAL(std::string("hunter2"), got.at(0).data->getValue<std::string>("password"));
	}

	void testDefaultMiddlewareOrder()
	{
		auto bus = loopbackBus();
		CPPUNIT_ASSERT(bus->middlewareNames() ==
			std::vector<std::string>({"tenant-guard", "redaction", "idempotency", "metrics"}));
	}

	void testMiddlewareOrderFollowsConfig()
	{
		auto bus = loopbackBus({{"eventbus.middleware", "metrics,idempotency,tenant-guard"}});
		CPPUNIT_ASSERT(bus->middlewareNames() == std::vector<std::string>({"metrics", "idempotency", "tenant-guard"}));
	}

	void testUnknownMiddlewareIsRefused()
	{
		const std::string msg = expectThrow<ConfigException>([] { loopbackBus({{"eventbus.middleware", "tenant-guard,nosuch"}}); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.middleware"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "nosuch"));
	}

	void testMemoryTransportIsRefusedInProduction()
	{
		auto config = makeConfig("memory", {{"eventbus.env", "production"}});
		const std::string msg = expectThrow<PolicyException>([&] { EventBus bus(*config); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.policy.inMemoryEnvs"));
	}

	void testLoopbackTransportIsRefusedInProduction()
	{
		auto config = makeConfig("loopback", {{"eventbus.env", "production"}});
		const std::string msg = expectThrow<PolicyException>([&] { EventBus bus(*config); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.policy.inMemoryEnvs"));
	}

	void testInProcessTransportGivenByCallerIsRefusedInProduction()
	{
		auto config = makeConfig("loopback", {{"eventbus.env", "production"}});
		auto spy = std::make_shared<SpyTransport>();
		const std::string msg = expectThrow<PolicyException>([&] { EventBus bus(*config, spy); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.policy.inMemoryEnvs"));
		CPPUNIT_ASSERT(!spy->started);
	}

	void testMetricsCountPublishedAndDelivered()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		for (int i = 0; i < 3; ++i)
			bus->publish(Topic, payload("i", i), "acme");
		bus->publish("orders.other", payload("i", 9), "acme"); // published, delivered to nobody
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), bus->metrics().counterValue(Metrics::Published));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), bus->metrics().counterValue(Metrics::Delivered));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), bus->metrics().counterValue(Metrics::HandlerErrors));
		const std::string text = bus->metrics().toPrometheus();
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "eventbus_events_published_total{"));
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "topic=\"orders.created\""));
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "transport=\"loopback\""));
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "eventbus_publish_latency_seconds_count"));
	}

	void testMetricsHaveNoTenantLabelByDefault()
	{
		auto bus = loopbackBus();
		bus->subscribe(Topic, [](const Event&) {}, TenantScope::tenant("tenant-xyzzy"));
		bus->publish(Topic, payload("a", 1), "tenant-xyzzy");
		const std::string text = bus->metrics().toPrometheus();
		CPPUNIT_ASSERT_MESSAGE(text, !contains(text, "tenant-xyzzy"));
	}

	void testMetricsHaveTenantLabelWhenConfigured()
	{
		auto bus = loopbackBus({{"eventbus.metrics.tenantLabel", "true"}});
		bus->publish(Topic, payload("a", 1), "tenant-xyzzy");
		const std::string text = bus->metrics().toPrometheus();
		CPPUNIT_ASSERT_MESSAGE(text, contains(text, "tenant-xyzzy"));
	}

	void testMetricsNeverCarryPayloadValues()
	{
		auto bus = loopbackBus();
		bus->subscribe(Topic, [](const Event&) { throw std::runtime_error("bad"); }, TenantScope::tenant("acme"));
		Poco::JSON::Object::Ptr p = payload("password", "hunter2");
		p->set("note", "plain-value-42");
		bus->publish(Topic, p, "acme");
		const std::string text = bus->metrics().toPrometheus() + bus->metrics().summary();
		CPPUNIT_ASSERT(!contains(text, "hunter2"));
		CPPUNIT_ASSERT(!contains(text, "plain-value-42"));
	}

	void testMemoryTransportDelivers()
	{
		Collector got;
		auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory")));
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("mem-acme"));
		const Receipt r = bus->publish(Topic, payload("a", 1), "mem-acme");
		CPPUNIT_ASSERT(got.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(r.messageId, got.at(0).id);
		CPPUNIT_ASSERT_EQUAL(std::string("memory"), bus->transport().name());
	}

	void testMemoryTransportIsolatesTenants()
	{
		Collector acme, globex;
		auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory")));
		bus->subscribe(Topic, acme.handler(), TenantScope::tenant("mem-acme"));
		bus->subscribe(Topic, globex.handler(), TenantScope::tenant("mem-globex"));
		for (int i = 0; i < 10; ++i)
			bus->publish(Topic, payload("i", i), i % 2 ? "mem-acme" : "mem-globex");
		CPPUNIT_ASSERT(acme.waitFor(5));
		CPPUNIT_ASSERT(globex.waitFor(5));
		// A marker published last on each tenant proves nothing else is in flight.
		bus->publish(Topic, payload("last", true), "mem-acme");
		bus->publish(Topic, payload("last", true), "mem-globex");
		CPPUNIT_ASSERT(acme.waitFor(6));
		CPPUNIT_ASSERT(globex.waitFor(6));
		CPPUNIT_ASSERT_EQUAL(std::size_t(6), acme.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(6), globex.size());
		for (const auto& e : acme.events())
			CPPUNIT_ASSERT_EQUAL(std::string("mem-acme"), e.tenantId);
		for (const auto& e : globex.events())
			CPPUNIT_ASSERT_EQUAL(std::string("mem-globex"), e.tenantId);
	}

	void testMemoryUnsubscribeFromInsideHandler()
	{
		Collector witness;
		auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory")));
		std::atomic<int> calls{0};
		std::atomic<SubscriptionToken> token{0};
		EventBus* b = bus.get();
		token = bus->subscribe("orders.unsub", [&, b](const Event&) {
			++calls;
			b->unsubscribe(token.load());
		}, TenantScope::tenant("mem-acme"));
		bus->subscribe("orders.unsub", witness.handler(), TenantScope::tenant("mem-acme"));
		for (int i = 0; i < 5; ++i)
			bus->publish("orders.unsub", payload("i", i), "mem-acme");
		CPPUNIT_ASSERT(waitUntil([&] { return calls.load() >= 1; }));
		CPPUNIT_ASSERT(witness.waitFor(5));
		CPPUNIT_ASSERT_EQUAL(1, calls.load());
	}

	void testPayloadChangedAfterPublishDoesNotReachMemoryHandler()
	{
		// A publisher may reuse its payload object once publish() returned; what
		// it published is what subscribers get (and what the wire carried).
		std::atomic<bool> changed{false};
		std::atomic<int> seen{-1};
		auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory")));
		bus->subscribe("orders.reuse", [&](const Event& e) {
			waitUntil([&] { return changed.load(); }, std::chrono::milliseconds(2000));
			seen = e.data->getValue<int>("x");
		}, TenantScope::tenant("mem-reuse"));
		Poco::JSON::Object::Ptr p = payload("x", 1);
		bus->publish("orders.reuse", p, "mem-reuse");
		p->set("x", 2);
		changed = true;
		CPPUNIT_ASSERT(waitUntil([&] { return seen.load() != -1; }));
		CPPUNIT_ASSERT_EQUAL(1, seen.load());
	}

	void testHealthIsReady()
	{
		auto bus = loopbackBus();
		CPPUNIT_ASSERT(bus->health().ready);
		auto mem = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory")));
		CPPUNIT_ASSERT(mem->health().ready);
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

	void testCloseIsIdempotent()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		bus->close();
		bus->close();
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), got.size());
	}

	void testPublishAfterCloseIsRefused()
	{
		auto bus = loopbackBus();
		bus->close();
		bool refused = false;
		try
		{
			bus->publish(Topic, payload("a", 1), "acme");
		}
		catch (Poco::Exception&)
		{
			refused = true;
		}
		CPPUNIT_ASSERT_MESSAGE("publish on a closed bus silently succeeded", refused);
	}

	void testCloseStopsTheTransport()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		CPPUNIT_ASSERT(spy->started);
		bus->subscribe(Topic, [](const Event&) {}, TenantScope::tenant("acme"));
		bus->close();
		CPPUNIT_ASSERT(spy->stopped);
		CPPUNIT_ASSERT(spy->subscriptions().empty());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventBusTest);
