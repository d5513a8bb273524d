// Suite ID: integration.redis.tls.session
//
// RedisTlsSessionTest.cpp
//
// Part of the redis_tls_integration suite. Events over rediss:// to a real
// redis-server serving TLS only (--port 0 --tls-port N): delivery and health,
// messages close to 1 MiB (many TLS records, partial records on most reads),
// SUBSCRIBE / UNSUBSCRIBE sent while the reader waits inside the same
// session, and the subscriber reconnecting after the server restarts.
//
#include "RedisTlsTestSupport.h"
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <thread>

using namespace eventbus;
using namespace eventbus::test;

class RedisTlsSessionTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisTlsSessionTest);
	CPPUNIT_TEST(testPublishSubscribeRoundTripOverTls);
	CPPUNIT_TEST(testLargeMessagesRoundTripOverTls);
	CPPUNIT_TEST(testSubscribeWhileTheReaderWaitsOnTheSameSession);
	CPPUNIT_TEST(testSubscriberReconnectsOverTlsAfterServerRestart);
	CPPUNIT_TEST_SUITE_END();

public:
	void testPublishSubscribeRoundTripOverTls()
	{
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(), certs());
		LogCapture capture;
		auto subscriber = bus(server.url(), tlsKeys());
		auto publisher = bus(server.url(), tlsKeys());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_EQUAL(1LL, server.subscribers(AcmeChannel));
		Receipt receipt = publisher->publish(Topic, std::string(R"({"orderId":42,"note":"héllo"})"), "acme", "corr-1");

		CPPUNIT_ASSERT(log.waitFor(1));
		const Event event = log.events().at(0);
		CPPUNIT_ASSERT_EQUAL(receipt.messageId, event.id);
		CPPUNIT_ASSERT_EQUAL(42, event.data->getValue<int>("orderId"));
		CPPUNIT_ASSERT_EQUAL(std::string("héllo"), event.data->getValue<std::string>("note"));
		TransportHealth health = subscriber->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
		CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, server.endpoint()));
		CPPUNIT_ASSERT_MESSAGE("start-up line names TLS", capture.contains("TLS (server name 127.0.0.1, CA file " + certs().caFile));
	}

	void testLargeMessagesRoundTripOverTls()
	{
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(), certs());
		// Payloads close to eventbus.redis.maxMessageBytes (1 MiB + 16 KiB):
		// many TLS records per message, partial records on most reads.
		const std::map<std::string, std::string> keys = with(tlsKeys(), {{"eventbus.maxPayloadBytes", "1048576"}});
		auto subscriber = bus(server.url(), keys);
		auto publisher = bus(server.url(), keys);
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		std::vector<std::string> blobs;
		for (int i = 0; i < 4; ++i)
		{
			std::string blob(1040000, 'a');
			for (std::size_t j = 0; j < blob.size(); ++j)
				blob[j] = static_cast<char>('a' + (j * 7 + static_cast<std::size_t>(i)) % 26);
			blobs.push_back(blob);
			publisher->publish(Topic, R"({"n":)" + std::to_string(i) + R"(,"blob":")" + blob + R"("})", "acme");
		}
		CPPUNIT_ASSERT(log.waitFor(4, std::chrono::milliseconds(20000)));
		const std::vector<Event> events = log.events();
		for (int i = 0; i < 4; ++i)
		{
			CPPUNIT_ASSERT_EQUAL(i, events[static_cast<std::size_t>(i)].data->getValue<int>("n"));
			CPPUNIT_ASSERT(blobs[static_cast<std::size_t>(i)] == events[static_cast<std::size_t>(i)].data->getValue<std::string>("blob"));
		}
	}

	void testSubscribeWhileTheReaderWaitsOnTheSameSession()
	{
		// The subscriber's SUBSCRIBE / UNSUBSCRIBE go out from this thread while
		// its reader thread is inside the same TLS session; a publisher keeps
		// it busy meanwhile. Every event arrives, in order, and every
		// subscription is confirmed.
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(), certs());
		auto subscriber = bus(server.url(), with(tlsKeys(), {{"eventbus.redis.healthIntervalMs", "20"}}));
		auto publisher = bus(server.url(), tlsKeys());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		const int count = 300;
		std::atomic<bool> failed{false};
		std::thread sender([&]() {
			try
			{
				for (int i = 0; i < count; ++i)
					publisher->publish(Topic, numbered(i), "acme");
			}
			catch (...)
			{
				failed = true;
			}
		});
		for (int i = 0; i < 40; ++i)
		{
			EventLog other;
			SubscriptionToken token = subscriber->subscribe("orders.t" + std::to_string(i), other.handler(),
				TenantScope::tenant("acme"));
			subscriber->unsubscribe(token);
		}
		sender.join();
		CPPUNIT_ASSERT(!failed);
		CPPUNIT_ASSERT(log.waitFor(count));
		const std::vector<int> seq = log.intField("n");
		for (int i = 0; i < count; ++i)
			CPPUNIT_ASSERT_EQUAL(i, seq[static_cast<std::size_t>(i)]);
		TransportHealth health = subscriber->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
	}

	void testSubscriberReconnectsOverTlsAfterServerRestart()
	{
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(true), certs());
		auto subscriber = bus(server.url(), tlsKeys(true));
		auto publisher = bus(server.url(), tlsKeys(true));
		GapCounter gaps(*subscriber);
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		publisher->publish(Topic, numbered(0), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));

		server.restart();
		CPPUNIT_ASSERT(waitUntil([&]() { return gaps.count() >= 1; }, std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT_MESSAGE(gaps.lastReason(), contains(gaps.lastReason(), server.endpoint()));
		CPPUNIT_ASSERT_EQUAL(1LL, server.subscribers(AcmeChannel));
		CPPUNIT_ASSERT(waitUntil([&]() { return publisher->health().ready; }, std::chrono::milliseconds(10000)));
		publisher->publish(Topic, numbered(1), "acme");
		CPPUNIT_ASSERT(log.waitFor(2));
		CPPUNIT_ASSERT((std::vector<int>{0, 1}) == log.intField("n"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisTlsSessionTest);
