// Suite ID: fault.redis.outage
//
// RedisOutageTest.cpp
//
// eventbus.redis.onOutage: `fail` refuses a publish within the connect (or
// command) timeout with a message naming host, port and cause; `buffer`
// keeps events while the server is away and delivers them in order once it
// is back, and refuses (and counts) what does not fit. A write to a dead
// server never raises SIGPIPE. A PUBLISH written without a reply in time is
// OutcomeUnknownException (it may be delivered), never buffered or resent.
//
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <cppunit/extensions/HelperMacros.h>
#include <csignal>
#include <future>
#include <memory>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Topic = "orders.created";

std::string numbered(int n)
{
	return R"({"n":)" + std::to_string(n) + "}";
}

} // namespace

class RedisOutageTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisOutageTest);
	CPPUNIT_TEST(testFailPolicyPublishToStoppedServerThrowsNamingHostPortAndCause);
	CPPUNIT_TEST(testFailPolicyPublishToPausedServerTimesOutInBoundedTime);
	CPPUNIT_TEST(testFailPolicyPublishSucceedsAgainAfterRestart);
	CPPUNIT_TEST(testHealthNamesHostPortAndCauseWhenUnreachable);
	CPPUNIT_TEST(testBufferPolicyDeliversEventsOfTheOutageInOrder);
	CPPUNIT_TEST(testBufferPolicyFlushesAfterServerRestart);
	CPPUNIT_TEST(testBufferPolicyOverflowOfEventsThrowsAndIsCounted);
	CPPUNIT_TEST(testBufferPolicyOverflowOfBytesThrowsAndIsCounted);
	CPPUNIT_TEST(testAsyncPublishFailsFastDuringOutage);
	CPPUNIT_TEST(testBufferedAsyncPublishesCompleteInOrderAfterRecovery);
	CPPUNIT_TEST(testCloseCompletesAsyncPublishesStillQueued);
	CPPUNIT_TEST(testPublishToKilledServerDoesNotRaiseSigpipe);
	CPPUNIT_TEST(testTimedOutPublishIsOutcomeUnknownAndDeliveredOnResume);
	CPPUNIT_TEST(testTimedOutAsyncPublishIsOutcomeUnknownAndNotResent);
	CPPUNIT_TEST(testPublishThatNeverReachedTheServerIsNotOutcomeUnknown);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_server.reset(new RedisServer);
	}

	void tearDown() override
	{
		_server.reset();
	}

	std::unique_ptr<EventBus> bus(const std::map<std::string, std::string>& overrides = {}, const std::string& url = "")
	{
		return std::unique_ptr<EventBus>(new EventBus(*redisConfig(url.empty() ? _server->url() : url, overrides)));
	}

	void testFailPolicyPublishToStoppedServerThrowsNamingHostPortAndCause()
	{
		auto publisher = bus();
		publisher->publish(Topic, numbered(0), "acme");
		_server->kill();

		std::string message;
		const long long took = millisecondsOf([&]() {
			message = messageOf<TransportException>([&]() { publisher->publish(Topic, numbered(1), "acme"); });
		});
		CPPUNIT_ASSERT_MESSAGE(std::to_string(took) + " ms", took < 500 + 1000);
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "redis " + _server->endpoint()));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "Connection refused"));

		// Later attempts fail as fast and as clearly.
		const long long again = millisecondsOf([&]() {
			message = messageOf<TransportException>([&]() { publisher->publish(Topic, numbered(2), "acme"); });
		});
		CPPUNIT_ASSERT_MESSAGE(std::to_string(again) + " ms", again < 500 + 1000);
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, _server->endpoint()));
	}

	void testFailPolicyPublishToPausedServerTimesOutInBoundedTime()
	{
		auto publisher = bus();
		publisher->publish(Topic, numbered(0), "acme");
		_server->pause();

		std::string message;
		const long long took = millisecondsOf([&]() {
			message = messageOf<TransportException>([&]() { publisher->publish(Topic, numbered(1), "acme"); });
		});
		// commandTimeoutMs is 1000.
		CPPUNIT_ASSERT_MESSAGE(std::to_string(took) + " ms", took >= 900 && took < 2500);
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, _server->endpoint()));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "timed out"));
	}

	void testFailPolicyPublishSucceedsAgainAfterRestart()
	{
		EventLog log;
		auto subscriber = bus();
		auto publisher = bus();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		_server->kill();
		messageOf<TransportException>([&]() { publisher->publish(Topic, numbered(0), "acme"); });

		_server->restart();
		CPPUNIT_ASSERT(waitUntil([&]() { return publisher->health().ready && subscriber->health().ready; },
			std::chrono::milliseconds(10000)));
		publisher->publish(Topic, numbered(1), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(1, log.intField("n").at(0));
	}

	void testHealthNamesHostPortAndCauseWhenUnreachable()
	{
		auto publisher = bus();
		CPPUNIT_ASSERT(publisher->health().ready);
		_server->kill();
		TransportHealth health = publisher->health();
		CPPUNIT_ASSERT(!health.ready);
		// Either the dropped connection or the refused reconnect, depending on timing.
		CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, "redis " + _server->endpoint()));
		CPPUNIT_ASSERT(waitUntil([&]() {
			return contains(publisher->health().reason, "redis " + _server->endpoint() + " unreachable: Connection refused");
		}));
	}

	void testBufferPolicyDeliversEventsOfTheOutageInOrder()
	{
		// The publisher reaches Redis through a proxy that the test cuts: an
		// outage of the publisher only, while the subscriber stays connected.
		TcpProxy proxy(_server->host(), _server->port());
		EventLog log;
		auto subscriber = bus();
		auto publisher = bus({{"eventbus.redis.onOutage", "buffer"}}, proxy.url());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		publisher->publish(Topic, numbered(0), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));

		proxy.setEnabled(false);
		for (int i = 1; i <= 50; ++i)
			publisher->publish(Topic, numbered(i), "acme"); // accepted, buffered
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.size());

		proxy.setEnabled(true);
		CPPUNIT_ASSERT(log.waitFor(51));
		for (int i = 51; i <= 60; ++i)
			publisher->publish(Topic, numbered(i), "acme");
		CPPUNIT_ASSERT(log.waitFor(61));
		const std::vector<int> seq = log.intField("n");
		CPPUNIT_ASSERT_EQUAL(std::size_t(61), seq.size());
		for (int i = 0; i <= 60; ++i)
			CPPUNIT_ASSERT_EQUAL(i, seq[static_cast<std::size_t>(i)]);
	}

	void testBufferPolicyFlushesAfterServerRestart()
	{
		// The server is killed and restarted; the proxy holds the publisher
		// back until the subscriber has resubscribed, since Pub/Sub delivers
		// only to subscribers present when the flush happens.
		TcpProxy proxy(_server->host(), _server->port());
		EventLog log;
		auto subscriber = bus();
		GapCounter gaps(*subscriber);
		auto publisher = bus({{"eventbus.redis.onOutage", "buffer"}}, proxy.url());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT(publisher->health().ready);

		_server->kill();
		for (int i = 0; i < 20; ++i)
			publisher->publish(Topic, numbered(i), "acme");
		proxy.setEnabled(false);
		_server->restart();
		CPPUNIT_ASSERT(waitUntil([&]() { return gaps.count() >= 1; }, std::chrono::milliseconds(10000)));
		proxy.setEnabled(true);

		CPPUNIT_ASSERT(log.waitFor(20));
		const std::vector<int> seq = log.intField("n");
		for (int i = 0; i < 20; ++i)
			CPPUNIT_ASSERT_EQUAL(i, seq[static_cast<std::size_t>(i)]);
	}

	void testBufferPolicyOverflowOfEventsThrowsAndIsCounted()
	{
		auto publisher = bus({{"eventbus.redis.onOutage", "buffer"}, {"eventbus.redis.buffer.maxEvents", "5"}});
		_server->kill();
		for (int i = 0; i < 5; ++i)
			publisher->publish(Topic, numbered(i), "acme");
		const std::string message = messageOf<OverflowException>([&]() { publisher->publish(Topic, numbered(5), "acme"); });
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.buffer.maxEvents=5"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), publisher->metrics().counterValue(Metrics::PublishFailed,
			{{"transport", "redis"}, {"reason", "overflow"}}));
	}

	void testBufferPolicyOverflowOfBytesThrowsAndIsCounted()
	{
		auto publisher = bus({{"eventbus.redis.onOutage", "buffer"}, {"eventbus.redis.buffer.maxBytes", "8000"}});
		_server->kill();
		const std::string payload = R"({"blob":")" + std::string(3000, 'x') + R"("})";
		publisher->publish(Topic, payload, "acme");
		publisher->publish(Topic, payload, "acme");
		const std::string message = messageOf<OverflowException>([&]() { publisher->publish(Topic, payload, "acme"); });
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.buffer.maxBytes=8000"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), publisher->metrics().counterValue(Metrics::PublishFailed,
			{{"transport", "redis"}, {"reason", "overflow"}}));
	}

	void testAsyncPublishFailsFastDuringOutage()
	{
		auto publisher = bus();
		publisher->publish(Topic, numbered(0), "acme");
		_server->kill();
		for (int attempt = 0; attempt < 2; ++attempt)
		{
			// A shared_future keeps the result alive while its exception is read:
			// libstdc++'s exception refcount is invisible to ThreadSanitizer.
			std::shared_future<Receipt> receipt = publisher->publishAsync(Topic, numbered(1), "acme").share();
			CPPUNIT_ASSERT(receipt.wait_for(std::chrono::milliseconds(1500)) == std::future_status::ready);
			const std::string message = messageOf<TransportException>([&]() { receipt.get(); });
			CPPUNIT_ASSERT_MESSAGE(message, contains(message, "redis " + _server->endpoint()));
		}
	}

	void testBufferedAsyncPublishesCompleteInOrderAfterRecovery()
	{
		TcpProxy proxy(_server->host(), _server->port());
		EventLog log;
		auto subscriber = bus();
		auto publisher = bus({{"eventbus.redis.onOutage", "buffer"}}, proxy.url());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT(publisher->health().ready);

		proxy.setEnabled(false);
		std::vector<std::future<Receipt>> receipts;
		for (int i = 0; i < 30; ++i)
			receipts.push_back(publisher->publishAsync(Topic, numbered(i), "acme"));
		CPPUNIT_ASSERT(receipts.back().wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);

		proxy.setEnabled(true);
		for (auto& receipt : receipts)
			receipt.get();
		CPPUNIT_ASSERT(log.waitFor(30));
		const std::vector<int> seq = log.intField("n");
		for (int i = 0; i < 30; ++i)
			CPPUNIT_ASSERT_EQUAL(i, seq[static_cast<std::size_t>(i)]);
	}

	void testCloseCompletesAsyncPublishesStillQueued()
	{
		auto publisher = bus({{"eventbus.redis.onOutage", "buffer"}});
		_server->kill();
		std::vector<std::shared_future<Receipt>> receipts; // shared: see testAsyncPublishFailsFastDuringOutage
		for (int i = 0; i < 10; ++i)
			receipts.push_back(publisher->publishAsync(Topic, numbered(i), "acme").share());
		publisher->close();
		for (auto& receipt : receipts)
		{
			CPPUNIT_ASSERT(receipt.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
			const std::string message = messageOf<TransportException>([&]() { receipt.get(); });
			CPPUNIT_ASSERT_MESSAGE(message, contains(message, _server->endpoint()));
		}
	}

	void testPublishToKilledServerDoesNotRaiseSigpipe()
	{
		// The suites ignore SIGPIPE (TestMain); a host application may not.
		struct DefaultSigpipe
		{
			DefaultSigpipe() { previous = std::signal(SIGPIPE, SIG_DFL); }
			~DefaultSigpipe() { std::signal(SIGPIPE, previous); }
			void (*previous)(int);
		} restore;

		EventLog log;
		auto subscriber = bus();
		auto publisher = bus();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		publisher->publish(Topic, numbered(0), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));
		_server->kill();

		// A large write to a peer that is gone: the second send() gets EPIPE.
		const std::string payload = R"({"blob":")" + std::string(200 * 1024, 'x') + R"("})";
		for (int i = 0; i < 3; ++i)
		{
			try
			{
				publisher->publish(Topic, payload, "acme");
			}
			catch (TransportException&)
			{
			}
		}
		// The subscriber's heartbeat writes to its dead connection too.
		CPPUNIT_ASSERT(waitUntil([&]() { return !subscriber->health().ready; }));
	}

	/// A subscriber that keeps its connection through a pause of a few seconds.
	std::unique_ptr<EventBus> patientSubscriber()
	{
		return bus({{"eventbus.redis.healthIntervalMs", "10000"}, {"eventbus.redis.healthTimeoutMs", "20000"}});
	}

	void testTimedOutPublishIsOutcomeUnknownAndDeliveredOnResume()
	{
		EventLog log;
		auto subscriber = patientSubscriber();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		auto publisher = bus({{"eventbus.redis.commandTimeoutMs", "1000"}});
		publisher->publish(Topic, numbered(0), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));
		_server->pause();

		// Written, no reply within the command timeout: not "failed", unknown.
		std::string message;
		const long long took = millisecondsOf([&]() {
			message = messageOf<OutcomeUnknownException>([&]() { publisher->publish(Topic, numbered(1), "acme"); });
		});
		CPPUNIT_ASSERT_MESSAGE(std::to_string(took) + " ms", took >= 900 && took < 2500);
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, _server->endpoint()));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "timed out (reply)"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "outcome is unknown"));
		_server->resume();

		// The server had it: delivered once resumed, exactly once.
		CPPUNIT_ASSERT(log.waitFor(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return publisher->health().ready; })); // past the reconnect backoff
		publisher->publish(Topic, numbered(2), "acme");
		CPPUNIT_ASSERT(log.waitFor(3));
		CPPUNIT_ASSERT(log.intField("n") == std::vector<int>({0, 1, 2}));
	}

	void testTimedOutAsyncPublishIsOutcomeUnknownAndNotResent()
	{
		// With onOutage=buffer too: an event whose fate is unknown is not buffered.
		EventLog log;
		auto subscriber = patientSubscriber();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		auto publisher = bus({{"eventbus.redis.commandTimeoutMs", "1000"}, {"eventbus.redis.onOutage", "buffer"}});
		publisher->publish(Topic, numbered(0), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));
		_server->pause();

		std::future<Receipt> receipt = publisher->publishAsync(Topic, numbered(1), "acme");
		CPPUNIT_ASSERT(receipt.wait_for(std::chrono::milliseconds(5000)) == std::future_status::ready);
		const std::string message = messageOf<OutcomeUnknownException>([&]() { receipt.get(); });
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "timed out (reply)"));
		_server->resume();

		CPPUNIT_ASSERT(log.waitFor(2));
		publisher->publish(Topic, numbered(2), "acme");
		CPPUNIT_ASSERT(log.waitFor(3));
		// Not sent a second time on the next connection.
		CPPUNIT_ASSERT(log.intField("n") == std::vector<int>({0, 1, 2}));
	}

	void testPublishThatNeverReachedTheServerIsNotOutcomeUnknown()
	{
		auto publisher = bus();
		publisher->publish(Topic, numbered(0), "acme");
		_server->kill();
		bool unknown = false;
		std::string message;
		try
		{
			publisher->publish(Topic, numbered(1), "acme");
		}
		catch (OutcomeUnknownException& exc)
		{
			unknown = true;
			message = exc.message();
		}
		catch (TransportException& exc)
		{
			message = exc.message();
		}
		CPPUNIT_ASSERT_MESSAGE(message, !unknown);
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "Connection refused"));
	}

private:
	std::unique_ptr<RedisServer> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisOutageTest);
