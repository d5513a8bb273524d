// Suite ID: integration.redis.pubsub
//
// RedisPubSubTest.cpp
//
// Publish/subscribe through the EventBus API on the redis transport against a
// real redis-server: delivery, canonical channels, tenant isolation, shared
// server subscriptions, unsubscribe, fan-out, ordering and cross-tenant scopes.
//
#include "RedisBusFixture.h"
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Metrics.h"
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>
#include <future>
#include <memory>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Topic = "orders.created";
const std::string AcmeChannel = "c2pro.production.acme.orders.created";

} // namespace

class RedisPubSubTest : public RedisBusFixture
{
	CPPUNIT_TEST_SUITE(RedisPubSubTest);
	CPPUNIT_TEST(testPublishedEventReachesSubscriber);
	CPPUNIT_TEST(testChannelIsPrefixEnvTenantTopic);
	CPPUNIT_TEST(testWireIsACloudEvent);
	CPPUNIT_TEST(testTenantsOnTheSameTopicAreIsolated);
	CPPUNIT_TEST(testUnsubscribedHandlerIsNotCalledAgain);
	CPPUNIT_TEST(testSubscriptionsOfOneChannelShareOneServerSubscription);
	CPPUNIT_TEST(testEverySubscriberReceivesEveryEvent);
	CPPUNIT_TEST(testEventsOfOnePublisherArriveInOrder);
	CPPUNIT_TEST(testAsyncPublishesCompleteAndArriveInOrder);
	CPPUNIT_TEST(testCrossTenantSubscriptionReceivesEveryTenant);
	CPPUNIT_TEST(testHealthIsReadyWhenServerAnswersPing);
	CPPUNIT_TEST(testTransportIsNotInProcess);
	CPPUNIT_TEST_SUITE_END();

public:
	void testPublishedEventReachesSubscriber()
	{
		EventLog log;
		auto subscriber = bus();
		auto publisher = bus();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		Receipt receipt = publisher->publish(Topic, std::string(R"({"orderId":42,"note":"héllo"})"), "acme", "corr-1");

		CPPUNIT_ASSERT(log.waitFor(1));
		const Event event = log.events().at(0);
		CPPUNIT_ASSERT_EQUAL(receipt.messageId, event.id);
		CPPUNIT_ASSERT_EQUAL(std::string("acme"), event.tenantId);
		CPPUNIT_ASSERT_EQUAL(Topic, event.type);
		CPPUNIT_ASSERT_EQUAL(std::string("corr-1"), event.correlationId);
		CPPUNIT_ASSERT_EQUAL(42, event.data->getValue<int>("orderId"));
		CPPUNIT_ASSERT_EQUAL(std::string("héllo"), event.data->getValue<std::string>("note"));
	}

	void testChannelIsPrefixEnvTenantTopic()
	{
		RedisObserver observer(*_server, "c2pro.*");
		auto publisher = bus();
		Receipt receipt = publisher->publish(Topic, std::string(R"({"orderId":1})"), "acme");

		CPPUNIT_ASSERT_EQUAL(AcmeChannel, receipt.channel);
		CPPUNIT_ASSERT(waitUntil([&]() { return observer.count() == 1; }));
		CPPUNIT_ASSERT_EQUAL(AcmeChannel, observer.messages().at(0).channel);
	}

	void testWireIsACloudEvent()
	{
		RedisObserver observer(*_server, "c2pro.*");
		auto publisher = bus();
		Receipt receipt = publisher->publish(Topic, std::string(R"({"orderId":7})"), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return observer.count() == 1; }));

		Poco::JSON::Parser parser;
		auto wire = parser.parse(observer.messages().at(0).payload).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT_EQUAL(std::string("1.0"), wire->getValue<std::string>("specversion"));
		CPPUNIT_ASSERT_EQUAL(receipt.messageId, wire->getValue<std::string>("id"));
		CPPUNIT_ASSERT_EQUAL(Topic, wire->getValue<std::string>("type"));
		CPPUNIT_ASSERT_EQUAL(std::string("acme"), wire->getValue<std::string>("tenantid"));
		CPPUNIT_ASSERT_EQUAL(7, wire->getObject("data")->getValue<int>("orderId"));
	}

	void testTenantsOnTheSameTopicAreIsolated()
	{
		EventLog acme, globex;
		auto subscriber = bus();
		auto publisher = bus();
		subscriber->subscribe(Topic, acme.handler(), TenantScope::tenant("acme"));
		subscriber->subscribe(Topic, globex.handler(), TenantScope::tenant("globex"));

		for (int i = 0; i < 3; ++i)
			publisher->publish(Topic, std::string(R"({"n":)" + std::to_string(i) + "}"), "acme");
		for (int i = 0; i < 2; ++i)
			publisher->publish(Topic, std::string(R"({"n":)" + std::to_string(i) + "}"), "globex");
		// A last event per tenant: once it arrived, everything published before it did.
		publisher->publish(Topic, std::string(R"({"n":99})"), "acme");
		publisher->publish(Topic, std::string(R"({"n":99})"), "globex");

		CPPUNIT_ASSERT(acme.waitFor(4));
		CPPUNIT_ASSERT(globex.waitFor(3));
		CPPUNIT_ASSERT(waitUntil([&]() { return acme.intField("n").back() == 99 && globex.intField("n").back() == 99; }));
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), acme.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), globex.size());
		for (const Event& event : acme.events())
			CPPUNIT_ASSERT_EQUAL(std::string("acme"), event.tenantId);
		for (const Event& event : globex.events())
			CPPUNIT_ASSERT_EQUAL(std::string("globex"), event.tenantId);
	}

	void testUnsubscribedHandlerIsNotCalledAgain()
	{
		EventLog removed, kept;
		auto subscriber = bus();
		auto publisher = bus();
		SubscriptionToken token = subscriber->subscribe(Topic, removed.handler(), TenantScope::tenant("acme"));
		subscriber->subscribe(Topic, kept.handler(), TenantScope::tenant("acme"));
		publisher->publish(Topic, std::string(R"({"n":0})"), "acme");
		CPPUNIT_ASSERT(removed.waitFor(1));
		CPPUNIT_ASSERT(kept.waitFor(1));

		subscriber->unsubscribe(token);
		subscriber->unsubscribe(token); // idempotent
		for (int i = 1; i <= 5; ++i)
			publisher->publish(Topic, std::string(R"({"n":)" + std::to_string(i) + "}"), "acme");

		CPPUNIT_ASSERT(kept.waitFor(6));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), removed.size());
	}

	void testSubscriptionsOfOneChannelShareOneServerSubscription()
	{
		EventLog first, second;
		auto subscriber = bus();
		SubscriptionToken a = subscriber->subscribe(Topic, first.handler(), TenantScope::tenant("acme"));
		SubscriptionToken b = subscriber->subscribe(Topic, second.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_EQUAL(1LL, _server->subscribers(AcmeChannel));

		subscriber->unsubscribe(a);
		CPPUNIT_ASSERT_EQUAL(1LL, _server->subscribers(AcmeChannel));
		subscriber->unsubscribe(b);
		CPPUNIT_ASSERT(waitUntil([&]() { return _server->subscribers(AcmeChannel) == 0; }));
	}

	void testEverySubscriberReceivesEveryEvent()
	{
		EventLog sameBusA, sameBusB, otherBus1, otherBus2;
		auto subscriber = bus();
		auto other1 = bus();
		auto other2 = bus();
		auto publisher = bus();
		subscriber->subscribe(Topic, sameBusA.handler(), TenantScope::tenant("acme"));
		subscriber->subscribe(Topic, sameBusB.handler(), TenantScope::tenant("acme"));
		other1->subscribe(Topic, otherBus1.handler(), TenantScope::tenant("acme"));
		other2->subscribe(Topic, otherBus2.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_EQUAL(3LL, _server->subscribers(AcmeChannel));

		for (int i = 0; i < 10; ++i)
			publisher->publish(Topic, std::string(R"({"n":)" + std::to_string(i) + "}"), "acme");

		for (EventLog* log : {&sameBusA, &sameBusB, &otherBus1, &otherBus2})
		{
			CPPUNIT_ASSERT(log->waitFor(10));
			CPPUNIT_ASSERT_EQUAL(std::size_t(10), log->size());
		}
	}

	void testEventsOfOnePublisherArriveInOrder()
	{
		const int count = 1000;
		EventLog log;
		auto subscriber = bus();
		auto publisher = bus();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		for (int i = 0; i < count; ++i)
			publisher->publish(Topic, std::string(R"({"seq":)" + std::to_string(i) + "}"), "acme");

		CPPUNIT_ASSERT(log.waitFor(count, std::chrono::milliseconds(30000)));
		const std::vector<int> seq = log.intField("seq");
		CPPUNIT_ASSERT_EQUAL(std::size_t(count), seq.size());
		for (int i = 0; i < count; ++i)
			CPPUNIT_ASSERT_EQUAL(i, seq[static_cast<std::size_t>(i)]);
	}

	void testAsyncPublishesCompleteAndArriveInOrder()
	{
		const int count = 2000;
		EventLog log;
		auto subscriber = bus();
		auto publisher = bus();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		std::vector<std::future<Receipt>> receipts;
		for (int i = 0; i < count; ++i)
		{
			receipts.push_back(publisher->publishAsync(Topic, std::string(R"({"seq":)" + std::to_string(i) + "}"), "acme"));
			if (i == count / 2)
				publisher->publish(Topic, std::string(R"({"seq":-1})"), "acme"); // a synchronous one queues behind
		}
		for (auto& receipt : receipts)
			CPPUNIT_ASSERT_EQUAL(std::string(AcmeChannel), receipt.get().channel);

		CPPUNIT_ASSERT(log.waitFor(count + 1, std::chrono::milliseconds(30000)));
		std::vector<int> seq = log.intField("seq");
		CPPUNIT_ASSERT_EQUAL(-1, seq.at(count / 2 + 1));
		seq.erase(seq.begin() + count / 2 + 1);
		for (int i = 0; i < count; ++i)
			CPPUNIT_ASSERT_EQUAL(i, seq[static_cast<std::size_t>(i)]);
	}

	void testCrossTenantSubscriptionReceivesEveryTenant()
	{
		EventLog all;
		auto platform = bus({{"eventbus.security.allowCrossTenant", "true"}});
		auto publisher = bus();
		platform->subscribe(Topic, all.handler(), TenantScope::allTenants());
		CPPUNIT_ASSERT_EQUAL(1LL, _server->command({"PUBSUB", "NUMPAT"}).integer);

		publisher->publish("orders.cancelled", std::string(R"({"n":0})"), "acme"); // another topic
		publisher->publish(Topic, std::string(R"({"n":1})"), "acme");
		publisher->publish(Topic, std::string(R"({"n":2})"), "globex");

		CPPUNIT_ASSERT(all.waitFor(2));
		const std::vector<Event> events = all.events();
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), events.size());
		CPPUNIT_ASSERT_EQUAL(std::string("acme"), events[0].tenantId);
		CPPUNIT_ASSERT_EQUAL(std::string("globex"), events[1].tenantId);
		for (const Event& event : events)
			CPPUNIT_ASSERT_EQUAL(Topic, event.type);
	}

	void testHealthIsReadyWhenServerAnswersPing()
	{
		auto b = bus();
		EventLog log;
		b->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		TransportHealth health = b->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
		CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, _server->endpoint()));
	}

	void testTransportIsNotInProcess()
	{
		auto b = bus();
		CPPUNIT_ASSERT_EQUAL(std::string("redis"), b->transport().name());
		CPPUNIT_ASSERT(!b->transport().isInProcess());
	}

};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisPubSubTest);
