// Suite ID: fault.redis.redaction
//
// RedisRedactionTest.cpp
//
// The Redis and CLI failure paths print no secret, at trace level on every
// logger (captured in process by a Poco channel, and from the CLI's stderr):
//   1 onOutage=fail, server killed: publish and publishAsync refusals
//   2 onOutage=buffer, the publisher cut off by a proxy: buffer overflow
//     refusals; the buffered events flushed once it is back, and delivered
//     (debug lines)
//   3 raw PUBLISH on the channel: garbage, not an envelope, unsigned and
//     forged envelopes, a message over eventbus.redis.maxMessageBytes, a
//     handler that throws quoting the payload
//   4 `eventbus publish` while the server is down (onOutage=fail)
//   5 `eventbus subscribe` output: normal output, so it prints the payload in
//     log mode (the control) and no secret when the publisher runs in
//     eventbus.redaction.mode=payload; its stderr is clean either way
// The payloads are those of RedactionSupport.h (unit.redaction-everywhere).
//
#include "RedactionSupport.h"
#include "RedisBusFixture.h"
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <cppunit/extensions/HelperMacros.h>
#include <future>
#include <memory>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Topic = "orders.created";
const std::string Channel = "c2pro.production.acme.orders.created";

std::uint64_t dropped(EventBus& bus, const std::string& reason)
{
	return bus.metrics().counterValue(Metrics::Dropped, {{"transport", "redis"}, {"reason", reason}});
}

/// The data as the bus encodes (and signs) it: keys sorted, compact.
std::string canonical(const std::string& json)
{
	return CloudEventCodec::encodeData(*parseObject(json));
}

std::vector<std::string> cli(const std::string& url, const std::vector<std::string>& more)
{
	std::vector<std::string> args{"--env", "production",
		"--define", "eventbus.redis.url=" + url,
		"--define", "eventbus.plugins.path=" + pluginDir(),
		"--define", "eventbus.redis.connectTimeoutMs=500",
		"--define", "eventbus.redis.commandTimeoutMs=1000",
		"--define", "logging.loggers.root.level=trace"};
	args.insert(args.end(), more.begin(), more.end());
	return args;
}

} // namespace

class RedisRedactionTest: public RedisBusFixture
{
	CPPUNIT_TEST_SUITE(RedisRedactionTest);
	CPPUNIT_TEST(testFailPolicyRefusalsDuringAnOutageCarryNoPayload);
	CPPUNIT_TEST(testBufferOverflowAndFlushCarryNoPayload);
	CPPUNIT_TEST(testRawInjectedHostileMessagesAreDroppedWithoutContent);
	CPPUNIT_TEST(testHostileChannelNameOfADroppedMessageIsRedacted);
	CPPUNIT_TEST(testCliPublishDuringAnOutagePrintsNoSecret);
	CPPUNIT_TEST(testCliSubscribePrintsThePayloadOnlyInLogMode);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_trace.reset(new TraceEverything);
		RedisBusFixture::setUp();
	}

	void tearDown() override
	{
		RedisBusFixture::tearDown();
		_trace.reset();
	}

	void assertLogsClean(const std::string& where)
	{
		assertClean(_trace->capture().text(), where + " (log)");
	}

	void testFailPolicyRefusalsDuringAnOutageCarryNoPayload()
	{
		{
			auto publisher = bus({{"eventbus.redis.onOutage", "fail"}});
			publisher->publish(Topic, std::string(R"({"n":0})"), "acme");
			_server->kill();
			for (const auto& fragment : secretFragments())
			{
				const std::string shown = refusal<TransportException>("publish during outage",
					[&]() { publisher->publish(Topic, fragment, "acme"); });
				CPPUNIT_ASSERT_MESSAGE(shown, contains(shown, _server->endpoint()));
			}
			std::future<Receipt> failed = publisher->publishAsync(Topic, combinedPayload(), "acme");
			refusal<TransportException>("publishAsync during outage", [&]() { failed.get(); });
			assertClean(publisher->health().reason, "health during outage");
			assertClean(publisher->metrics().toPrometheus(), "metrics during outage");
		}
		assertLogsClean("fail policy");
	}

	void testBufferOverflowAndFlushCarryNoPayload()
	{
		{
			// The publisher reaches Redis through a proxy the test cuts: an outage
			// of the publisher only, so the subscriber is there for the flush.
			TcpProxy proxy(_server->host(), _server->port());
			EventLog log;
			auto subscriber = bus();
			subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
			auto publisher = std::unique_ptr<EventBus>(new EventBus(*redisConfig(proxy.url(),
				{{"eventbus.redis.onOutage", "buffer"}, {"eventbus.redis.buffer.maxEvents", "2"}})));
			publisher->publish(Topic, std::string(R"({"n":0})"), "acme");
			CPPUNIT_ASSERT(log.waitFor(1));
			proxy.setEnabled(false);
			const auto fragments = secretFragments();
			std::size_t buffered = 0;
			std::string shown;
			for (const auto& fragment : fragments)
			{
				try
				{
					publisher->publish(Topic, fragment, "acme");
					++buffered;
				}
				catch (OverflowException& exc)
				{
					shown = exc.displayText();
					assertClean(exc.message(), "buffer overflow message()");
					assertClean(exc.what(), "buffer overflow what()");
				}
			}
			CPPUNIT_ASSERT_EQUAL(std::size_t(2), buffered);
			CPPUNIT_ASSERT_MESSAGE("no overflow", !shown.empty());
			assertClean(shown, "buffer overflow displayText()");
			proxy.setEnabled(true);
			CPPUNIT_ASSERT(log.waitFor(1 + buffered, std::chrono::milliseconds(15000)));
			assertClean(publisher->metrics().toPrometheus(), "publisher metrics");
			assertClean(subscriber->metrics().toPrometheus(), "subscriber metrics");
		}
		CPPUNIT_ASSERT(_trace->capture().contains("deliver " + Channel));
		assertLogsClean("buffer policy");
	}

	void testRawInjectedHostileMessagesAreDroppedWithoutContent()
	{
		{
			EventLog log;
			auto subscriber = bus({{"eventbus.redis.maxMessageBytes", "8192"}});
			subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
			subscriber->subscribe(Topic, [](const Event& e) {
				throw std::runtime_error("cannot handle " + CloudEventCodec::encode(e));
			}, TenantScope::tenant("acme"));
			std::size_t injected = 0;
			for (const auto& fragment : secretFragments())
			{
				for (const std::string& raw : {"garbage " + fragment, fragment,
						 cloudEventJson("acme", Topic, canonical(fragment), false),
						 cloudEventJson("globex", Topic, canonical(fragment), true),
						 "{\"data\":" + fragment + ",\"pad\":\"" + std::string(9000, 'x') + "\"}"})
				{
					CPPUNIT_ASSERT_EQUAL(1LL, _server->command({"PUBLISH", Channel, raw}).integer);
					++injected;
				}
			}
			// A valid event with secrets, published raw and signed, reaches the
			// handlers (and the one that throws quoting it).
			CPPUNIT_ASSERT_EQUAL(1LL, _server->command({"PUBLISH", Channel,
				cloudEventJson("acme", Topic, canonical(secretFragments()[0]), true)}).integer);
			CPPUNIT_ASSERT(log.waitFor(1));
			CPPUNIT_ASSERT(waitUntil([&]() {
				return subscriber->metrics().counterValue(Metrics::HandlerErrors) == 1;
			}));
			// Every bus-side drop happens once per subscription (two of them).
			const std::uint64_t n = secretFragments().size();
			CPPUNIT_ASSERT_MESSAGE(subscriber->metrics().summary(), waitUntil([&]() {
				return dropped(*subscriber, "malformed") == 4 * n && dropped(*subscriber, "unsigned") == 2 * n
					&& dropped(*subscriber, "tenant-mismatch") == 2 * n && dropped(*subscriber, "oversized") == n;
			}));
			CPPUNIT_ASSERT_EQUAL(std::size_t(5 * n), injected);
			CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.size());
			assertClean(subscriber->metrics().toPrometheus(), "subscriber metrics");
		}
		CPPUNIT_ASSERT(_trace->capture().contains("dropped malformed message"));
		CPPUNIT_ASSERT(_trace->capture().contains("threw on event"));
		assertLogsClean("raw injection");
	}

	void testHostileChannelNameOfADroppedMessageIsRedacted()
	{
		// A cross-tenant subscription's pattern matches whatever the publisher
		// puts in the tenant position, secrets included; the subscriber's
		// diagnostic for an oversized message names the channel, redacted.
		{
			auto subscriber = bus({{"eventbus.security.allowCrossTenant", "true"},
				{"eventbus.redis.maxMessageBytes", "8192"}});
			subscriber->subscribe(Topic, [](const Event&) {}, TenantScope::allTenants());
			const std::string hostile = "c2pro.production.x password=CANARY-901-secret y.orders.created";
			CPPUNIT_ASSERT_EQUAL(1LL, _server->command({"PUBLISH", hostile, std::string(9000, 'x')}).integer);
			CPPUNIT_ASSERT(waitUntil([&]() { return dropped(*subscriber, "oversized") == 1; }));
		}
		CPPUNIT_ASSERT(_trace->capture().contains("redis subscriber: dropped a message of 9000 bytes on c2pro.production.x"));
		assertLogsClean("hostile channel");
	}

	void testCliPublishDuringAnOutagePrintsNoSecret()
	{
		const std::string url = _server->url();
		_server->kill();
		for (const std::string& payload : {combinedPayload(), secretFragments()[5]})
		{
			CommandResult result = runCommand(eventbusExecutable(),
				cli(url, {"publish", "--tenant", "acme", "--topic", Topic, "--payload", payload}));
			CPPUNIT_ASSERT(!result.timedOut);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(result.err, 69, result.exitCode); // EX_UNAVAILABLE
			CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "eventbus: publish: transport unavailable: "));
			CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, _server->endpoint()));
			// Trace reached the bus: the refused event's debug line was written, masked.
			CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "publish " + Channel));
			assertClean(result.out, "CLI stdout");
			assertClean(result.err, "CLI stderr");
		}
	}

	void testCliSubscribePrintsThePayloadOnlyInLogMode()
	{
		for (const std::string mode : {"log", "payload"})
		{
			std::promise<CommandResult> done;
			std::future<CommandResult> subscribed = done.get_future();
			std::thread subscriber([&]() {
				done.set_value(runCommand(eventbusExecutable(), cli(_server->url(),
					{"subscribe", "--tenant", "acme", "--topic", Topic, "--count", "1", "--timeout", "20"}),
					"", std::chrono::milliseconds(30000)));
			});
			const bool active = waitUntil([&]() { return _server->subscribers(Channel) >= 1; },
				std::chrono::milliseconds(15000));
			CommandResult published;
			if (active)
				published = runCommand(eventbusExecutable(), cli(_server->url(), {"--define",
					"eventbus.redaction.mode=" + mode, "publish", "--tenant", "acme", "--topic", Topic,
					"--payload", secretFragments()[0]}));
			CommandResult received = subscribed.get();
			subscriber.join();
			CPPUNIT_ASSERT_MESSAGE("the subscriber never subscribed: " + received.err, active);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(published.err, 0, published.exitCode);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(received.err, 0, received.exitCode);
			CPPUNIT_ASSERT_MESSAGE(received.out, contains(received.out, "VISIBLE-1"));
			if (mode == "log")
				CPPUNIT_ASSERT_MESSAGE(received.out, contains(received.out, "CANARY-1-secret"));
			else
				assertClean(received.out, "subscriber stdout in payload mode");
			CPPUNIT_ASSERT_MESSAGE(received.err, contains(received.err, "deliver " + Channel));
			assertClean(received.err, "subscriber stderr in " + mode + " mode");
			assertClean(published.out + published.err, "publisher output in " + mode + " mode");
		}
	}

private:
	std::unique_ptr<TraceEverything> _trace;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisRedactionTest);
