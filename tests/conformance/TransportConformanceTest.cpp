// Suite ID: conformance.transport
//
// TransportConformanceTest.cpp
//
// The Transport contract (eventbus/Transport.h), proved through EventBus, on
// the transport that eventbus::conformance::target() names. Every test gets a
// bus of its own on a channel prefix of its own, so a shared broker or server
// never mixes two tests. A negative ("X never arrives") is proved with a
// barrier: a later event that must arrive after X would have. After
// subscribing, a test waits for health().ready before it publishes: a
// transport whose subscriptions become active asynchronously (redis, before
// its connection is up) must say "not ready" until they are.
//
#include "TransportConformance.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <Poco/AutoPtr.h>
#include <Poco/JSON/Object.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <unistd.h>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace eventbus {
namespace conformance {

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	while (!condition())
	{
		if (std::chrono::steady_clock::now() >= deadline) return condition();
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
	}
	return true;
}

} // namespace conformance
} // namespace eventbus

using namespace eventbus;
using namespace eventbus::conformance;

namespace {

// What a handler received; declared before the bus so it outlives deliveries.
class Inbox
{
public:
	Handler handler()
	{
		return [this](const Event& event) {
			std::lock_guard<std::mutex> lock(_mutex);
			_events.push_back(event);
		};
	}
	std::size_t size() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _events.size();
	}
	std::vector<Event> events() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _events;
	}
private:
	mutable std::mutex _mutex;
	std::vector<Event> _events;
};

Poco::JSON::Object::Ptr payload(const std::string& key, const Poco::Dynamic::Var& value)
{
	Poco::JSON::Object::Ptr object(new Poco::JSON::Object);
	object->set(key, value);
	return object;
}

std::string field(const Event& event, const std::string& key)
{
	return event.data && event.data->has(key) ? event.data->getValue<std::string>(key) : std::string();
}

std::atomic<int> prefixCounter{0};

} // namespace

class TransportConformanceTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(TransportConformanceTest);
	CPPUNIT_TEST(testHealthIsReadyOnceStarted);
	CPPUNIT_TEST(testPublishedEventReachesSubscriber);
	CPPUNIT_TEST(testPayloadSurvivesTheTransport);
	CPPUNIT_TEST(testTenantsAreIsolated);
	CPPUNIT_TEST(testSeveralSubscribersEachReceiveOnce);
	CPPUNIT_TEST(testEventsFromOnePublisherArriveInOrder);
	CPPUNIT_TEST(testUnsubscribeStopsDeliveryBeforeItReturns);
	CPPUNIT_TEST(testUnsubscribeIsIdempotent);
	CPPUNIT_TEST(testUnsubscribeFromInsideHandlerDoesNotDeadlock);
	CPPUNIT_TEST(testThrowingHandlerDoesNotStopDelivery);
	CPPUNIT_TEST(testCrossTenantSubscriptionReceivesEveryTenant);
	CPPUNIT_TEST(testCrossTenantSubscriptionReceivesOnlyItsTopic);
	CPPUNIT_TEST(testStopIsIdempotentAndFinal);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_target = target();
		CPPUNIT_ASSERT_MESSAGE("target().transport must name the transport", !_target.transport.empty());
	}

	void testHealthIsReadyOnceStarted()
	{
		auto bus = makeBus();
		CPPUNIT_ASSERT_EQUAL(_target.transport, bus->transport().name());
		CPPUNIT_ASSERT_MESSAGE("health().ready within the timeout", waitReady(*bus));
		bus->close();
		TransportHealth after = bus->health();
		CPPUNIT_ASSERT(!after.ready);
		CPPUNIT_ASSERT(!after.reason.empty());
	}

	void testPublishedEventReachesSubscriber()
	{
		Inbox inbox;
		auto bus = makeBus();
		bus->subscribe("conformance.basic", inbox.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		Receipt receipt = bus->publish("conformance.basic", payload("orderId", "A-1"), "acme", "corr-1");
		CPPUNIT_ASSERT(waitUntil([&]() { return inbox.size() >= 1; }, _target.timeout));
		Event event = inbox.events().at(0);
		CPPUNIT_ASSERT_EQUAL(receipt.messageId, event.id);
		CPPUNIT_ASSERT_EQUAL(std::string("conformance.basic"), event.type);
		CPPUNIT_ASSERT_EQUAL(std::string("acme"), event.tenantId);
		CPPUNIT_ASSERT_EQUAL(std::string("corr-1"), event.correlationId);
		CPPUNIT_ASSERT_EQUAL(std::string("A-1"), field(event, "orderId"));
		CPPUNIT_ASSERT_EQUAL(bus->channelFor("acme", "conformance.basic"), receipt.channel);
	}

	void testPayloadSurvivesTheTransport()
	{
		Inbox inbox;
		auto bus = makeBus();
		bus->subscribe("conformance.payload", inbox.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		const std::string big(64 * 1024, 'x');
		const std::string text = "Gr\xC3\xBC\xC3\x9F" "e \xE2\x82\xAC \"quoted\"\n\ttab \\ slash";
		const std::string json = "{\"text\":\"Gr\\u00fc\\u00dfe \\u20ac \\\"quoted\\\"\\n\\ttab \\\\ slash\","
			"\"big\":\"" + big + "\",\"n\":-12.5,\"flag\":true,\"none\":null,"
			"\"nested\":{\"list\":[1,\"two\",{\"three\":3}]}}";
		bus->publish("conformance.payload", json, "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return inbox.size() >= 1; }, _target.timeout));
		Event event = inbox.events().at(0);
		CPPUNIT_ASSERT_EQUAL(text, field(event, "text"));
		CPPUNIT_ASSERT_EQUAL(big, field(event, "big"));
		CPPUNIT_ASSERT_DOUBLES_EQUAL(-12.5, event.data->getValue<double>("n"), 1e-9);
		CPPUNIT_ASSERT(event.data->getValue<bool>("flag"));
		CPPUNIT_ASSERT(event.data->isNull("none"));
		Poco::JSON::Object::Ptr nested = event.data->getObject("nested");
		CPPUNIT_ASSERT(nested);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), nested->getArray("list")->size());
		CPPUNIT_ASSERT_EQUAL(3, nested->getArray("list")->getObject(2)->getValue<int>("three"));
	}

	void testTenantsAreIsolated()
	{
		Inbox acme, globex;
		auto bus = makeBus();
		bus->subscribe("conformance.isolation", acme.handler(), TenantScope::tenant("acme"));
		bus->subscribe("conformance.isolation", globex.handler(), TenantScope::tenant("globex"));
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		bus->publish("conformance.isolation", payload("n", "acme-1"), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return acme.size() >= 1; }, _target.timeout));
		// Barriers: had acme's event leaked to globex, it would be there by now.
		bus->publish("conformance.isolation", payload("n", "globex-1"), "globex");
		CPPUNIT_ASSERT(waitUntil([&]() { return globex.size() >= 1; }, _target.timeout));
		bus->publish("conformance.isolation", payload("n", "acme-2"), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return acme.size() >= 2; }, _target.timeout));
		for (const Event& e : acme.events()) CPPUNIT_ASSERT_EQUAL(std::string("acme"), e.tenantId);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), acme.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), globex.size());
		CPPUNIT_ASSERT_EQUAL(std::string("globex-1"), field(globex.events().at(0), "n"));
	}

	void testSeveralSubscribersEachReceiveOnce()
	{
		Inbox first, second, third, barrier;
		auto bus = makeBus();
		bus->subscribe("conformance.fanout", first.handler(), TenantScope::tenant("acme"));
		bus->subscribe("conformance.fanout", second.handler(), TenantScope::tenant("acme"));
		bus->subscribe("conformance.fanout", third.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		Receipt receipt = bus->publish("conformance.fanout", payload("n", 1), "acme");
		for (Inbox* inbox : {&first, &second, &third})
			CPPUNIT_ASSERT(waitUntil([&]() { return inbox->size() >= 1; }, _target.timeout));
		// A second event behind the first: no subscriber got the first twice.
		bus->subscribe("conformance.fanout", barrier.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		bus->publish("conformance.fanout", payload("n", 2), "acme");
		for (Inbox* inbox : {&first, &second, &third, &barrier})
			CPPUNIT_ASSERT(waitUntil([&]() { return inbox->size() >= (inbox == &barrier ? 1u : 2u); }, _target.timeout));
		for (Inbox* inbox : {&first, &second, &third})
		{
			CPPUNIT_ASSERT_EQUAL(std::size_t(2), inbox->size());
			CPPUNIT_ASSERT_EQUAL(receipt.messageId, inbox->events().at(0).id);
		}
	}

	void testEventsFromOnePublisherArriveInOrder()
	{
		const int count = 200;
		Inbox inbox;
		auto bus = makeBus();
		bus->subscribe("conformance.order", inbox.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		for (int i = 0; i < count; ++i) bus->publish("conformance.order", payload("seq", i), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return inbox.size() >= static_cast<std::size_t>(count); }, _target.timeout));
		std::vector<Event> events = inbox.events();
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(count), events.size());
		for (int i = 0; i < count; ++i)
			CPPUNIT_ASSERT_EQUAL(i, events[static_cast<std::size_t>(i)].data->getValue<int>("seq"));
	}

	void testUnsubscribeStopsDeliveryBeforeItReturns()
	{
		Inbox barrier;
		std::atomic<bool> returned{false};
		std::atomic<int> calls{0}, lateCalls{0};
		auto bus = makeBus();
		SubscriptionToken token = bus->subscribe("conformance.unsubscribe", [&](const Event&) {
			if (returned.load()) ++lateCalls;
			++calls;
		}, TenantScope::tenant("acme"));
		bus->subscribe("conformance.unsubscribe", barrier.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));

		// A publisher keeps events flowing while the main thread unsubscribes.
		std::atomic<bool> stopPublishing{false};
		std::atomic<bool> publisherFailed{false};
		std::thread publisher([&]() {
			for (int i = 0; !stopPublishing.load(); ++i)
			{
				try
				{
					bus->publish("conformance.unsubscribe", payload("seq", i), "acme");
				}
				catch (std::exception&)
				{
					publisherFailed = true;
					return;
				}
				// Never run ahead of delivery by more than a few events.
				waitUntil([&]() { return stopPublishing.load() || barrier.size() + 4 > static_cast<std::size_t>(i); },
					_target.timeout);
			}
		});
		bool flowing = waitUntil([&]() { return calls.load() >= 5; }, _target.timeout);
		if (flowing)
		{
			bus->unsubscribe(token);
			returned = true;
		}
		const std::size_t atReturn = barrier.size();
		// Twenty more events pass the barrier subscription after the return.
		bool passed = flowing && waitUntil([&]() { return barrier.size() >= atReturn + 20; }, _target.timeout);
		stopPublishing = true;
		publisher.join();
		CPPUNIT_ASSERT_MESSAGE("events flowed before unsubscribe", flowing);
		CPPUNIT_ASSERT_MESSAGE("events flowed after unsubscribe", passed);
		CPPUNIT_ASSERT(!publisherFailed.load());
		CPPUNIT_ASSERT_EQUAL_MESSAGE("handler calls after unsubscribe returned", 0, lateCalls.load());
	}

	void testUnsubscribeIsIdempotent()
	{
		Inbox inbox, barrier;
		auto bus = makeBus();
		SubscriptionToken token = bus->subscribe("conformance.idempotent", inbox.handler(), TenantScope::tenant("acme"));
		bus->subscribe("conformance.idempotent", barrier.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		bus->unsubscribe(token);
		bus->unsubscribe(token);
		bus->unsubscribe(token + 1000000); // never issued
		bus->publish("conformance.idempotent", payload("n", 1), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return barrier.size() >= 1; }, _target.timeout));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), inbox.size());
	}

	void testUnsubscribeFromInsideHandlerDoesNotDeadlock()
	{
		Inbox barrier;
		std::atomic<int> calls{0};
		std::atomic<bool> unsubscribed{false};
		auto bus = makeBus();
		auto token = std::make_shared<std::atomic<SubscriptionToken>>(0);
		EventBus* raw = bus.get();
		*token = bus->subscribe("conformance.self", [&, token, raw](const Event&) {
			++calls;
			raw->unsubscribe(token->load());
			unsubscribed = true;
		}, TenantScope::tenant("acme"));
		bus->subscribe("conformance.self", barrier.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		bus->publish("conformance.self", payload("n", 1), "acme");
		CPPUNIT_ASSERT_MESSAGE("unsubscribe inside the handler returned",
			waitUntil([&]() { return unsubscribed.load(); }, _target.timeout));
		bus->publish("conformance.self", payload("n", 2), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return barrier.size() >= 2; }, _target.timeout));
		CPPUNIT_ASSERT_EQUAL(1, calls.load());
	}

	void testThrowingHandlerDoesNotStopDelivery()
	{
		Inbox good;
		auto bus = makeBus();
		bus->subscribe("conformance.errors", [](const Event&) { throw std::runtime_error("handler failure"); },
			TenantScope::tenant("acme"));
		bus->subscribe("conformance.errors", good.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		bus->publish("conformance.errors", payload("n", 1), "acme");
		bus->publish("conformance.errors", payload("n", 2), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return good.size() >= 2; }, _target.timeout));
		CPPUNIT_ASSERT(waitUntil([&]() { return bus->metrics().counterValue(Metrics::HandlerErrors) >= 2; },
			_target.timeout));
	}

	void testCrossTenantSubscriptionReceivesEveryTenant()
	{
		Inbox all;
		auto bus = makeBus({{"eventbus.security.allowCrossTenant", "true"}});
		bus->subscribe("conformance.fanin", all.handler(), TenantScope::allTenants());
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		bus->publish("conformance.fanin", payload("n", 1), "acme");
		bus->publish("conformance.fanin", payload("n", 2), "globex");
		bus->publish("conformance.fanin", payload("n", 3), "initech");
		CPPUNIT_ASSERT(waitUntil([&]() { return all.size() >= 3; }, _target.timeout));
		std::set<std::string> tenants;
		for (const Event& e : all.events()) tenants.insert(e.tenantId);
		CPPUNIT_ASSERT(tenants == (std::set<std::string>{"acme", "globex", "initech"}));
	}

	void testCrossTenantSubscriptionReceivesOnlyItsTopic()
	{
		Inbox all;
		auto bus = makeBus({{"eventbus.security.allowCrossTenant", "true"}});
		bus->subscribe("conformance.fanin", all.handler(), TenantScope::allTenants());
		CPPUNIT_ASSERT_MESSAGE("subscriptions active", waitReady(*bus));
		// {prefix}.{env}.acme.extra.conformance.fanin matches the glob
		// {prefix}.{env}.*.conformance.fanin, but its topic is another one.
		bus->publish("extra.conformance.fanin", payload("n", "other-topic"), "acme");
		bus->publish("conformance.other", payload("n", "other-topic"), "acme");
		bus->publish("conformance.fanin", payload("n", "barrier"), "globex");
		CPPUNIT_ASSERT(waitUntil([&]() { return all.size() >= 1; }, _target.timeout));
		bus->publish("conformance.fanin", payload("n", "barrier-2"), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return all.size() >= 2; }, _target.timeout));
		std::vector<Event> events = all.events();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), events.size());
		for (const Event& e : events) CPPUNIT_ASSERT_EQUAL(std::string("conformance.fanin"), e.type);
	}

	void testStopIsIdempotentAndFinal()
	{
		auto bus = makeBus();
		CPPUNIT_ASSERT(waitReady(*bus));
		Transport& transport = bus->transport();
		std::atomic<int> calls{0};
		const std::string channel = bus->channelFor("acme", "conformance.stop");
		transport.subscribe(ChannelSubscription{channel, false}, [&](const InboundMessage&) { ++calls; return DeliveryResult::handled(); });
		bus->close();
		bus->close();
		transport.stop();
		transport.stop();
		CPPUNIT_ASSERT(!transport.health().ready);
		CPPUNIT_ASSERT_THROW(bus->publish("conformance.stop", payload("n", 1), "acme"), EventBusException);
		OutboundMessage message{channel, nullptr, "{}"};
		CPPUNIT_ASSERT_THROW(transport.publish(message), TransportException);
		CPPUNIT_ASSERT_EQUAL(0, calls.load());
		transport.unsubscribe(1); // after stop: still no error
	}

private:
	std::unique_ptr<EventBus> makeBus(const std::map<std::string, std::string>& extra = {})
	{
		Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
		config->setString("eventbus.env", "test");
		config->setString("eventbus.transport", _target.transport);
		for (const auto& kv : _target.keys) config->setString(kv.first, kv.second);
		// A prefix per test (and per process): nothing of another test, or of
		// another run against the same server, reaches this one.
		config->setString("eventbus.channel.prefix",
			"cf" + std::to_string(::getpid() % 100000) + "-" + std::to_string(++prefixCounter));
		for (const auto& kv : extra) config->setString(kv.first, kv.second);
		std::unique_ptr<EventBus> bus(new EventBus(*config));
		CPPUNIT_ASSERT_MESSAGE("transport ready", waitReady(*bus));
		return bus;
	}

	bool waitReady(EventBus& bus)
	{
		return waitUntil([&]() { return bus.health().ready; }, _target.timeout);
	}

	Target _target;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TransportConformanceTest);
