// Suite ID: unit.eventbus.subscribe
//
// EventBusSubscribeTest.cpp
//
// The bus contract, subscribe and unsubscribe: tenant scopes and their channels, the
// cross-tenant pattern, tokens, no call after unsubscribe, calls back into
// the bus from inside a handler, the memory transport's delivery.
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

class EventBusSubscribeTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EventBusSubscribeTest);
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
	CPPUNIT_TEST(testMemoryTransportDelivers);
	CPPUNIT_TEST(testMemoryTransportIsolatesTenants);
	CPPUNIT_TEST(testMemoryUnsubscribeFromInsideHandler);
	CPPUNIT_TEST_SUITE_END();

public:
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventBusSubscribeTest);
