// Suite ID: unit.eventbus.delivery
//
// EventBusDeliveryTest.cpp
//
// The bus contract, delivery: handler errors contained and counted, duplicates, stale,
// forged and malformed messages dropped, payload redaction, and the metrics
// of what was delivered.
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

class EventBusDeliveryTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EventBusDeliveryTest);
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
	CPPUNIT_TEST(testMetricsCountPublishedAndDelivered);
	CPPUNIT_TEST(testMetricsHaveNoTenantLabelByDefault);
	CPPUNIT_TEST(testMetricsHaveTenantLabelWhenConfigured);
	CPPUNIT_TEST(testMetricsNeverCarryPayloadValues);
	CPPUNIT_TEST(testPayloadChangedAfterPublishDoesNotReachMemoryHandler);
	CPPUNIT_TEST_SUITE_END();

public:
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventBusDeliveryTest);
