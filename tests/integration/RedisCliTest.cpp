// Suite ID: integration.redis.cli
//
// RedisCliTest.cpp
//
// The `eventbus` executable on the redis transport: a subscriber process
// receives the events of separate publisher processes; a publisher exits
// non-zero with a one-line reason naming the server when Redis is down.
//
#include "RedisServer.h"
#include "TestSupport.h"
#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <cppunit/extensions/HelperMacros.h>
#include <chrono>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

using namespace eventbus;
using namespace eventbus::test;

namespace {

/// A child process whose stdout and stderr are collected by threads.
class Child
{
public:
	Child(const std::string& command, const std::vector<std::string>& args)
		: _handle(Poco::Process::launch(command, args, nullptr, &_out, &_err))
	{
		_outReader = std::thread([this]() { collect(_out, _stdout); });
		_errReader = std::thread([this]() { collect(_err, _stderr); });
	}

	~Child()
	{
		try
		{
			if (_handle.tryWait() == -1)
				Poco::Process::kill(_handle);
			_handle.wait();
		}
		catch (...)
		{
		}
		_outReader.join();
		_errReader.join();
	}

	std::string out() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _stdout;
	}

	std::string err() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _stderr;
	}

	/// The exit code, or -1 if it is still running after `timeout`.
	int waitExit(std::chrono::milliseconds timeout)
	{
		int code = -1;
		waitUntil([&]() { return (code = _handle.tryWait()) != -1; }, timeout);
		return code;
	}

private:
	void collect(Poco::Pipe& pipe, std::string& into)
	{
		char buffer[4096];
		for (;;)
		{
			const int n = pipe.readBytes(buffer, sizeof(buffer));
			if (n <= 0)
				return;
			std::lock_guard<std::mutex> lock(_mutex);
			into.append(buffer, static_cast<std::size_t>(n));
		}
	}

	Poco::Pipe _out, _err;
	Poco::ProcessHandle _handle;
	mutable std::mutex _mutex;
	std::string _stdout, _stderr;
	std::thread _outReader, _errReader;
};

std::vector<std::string> common(const std::string& url)
{
	return {"--env", "production",
		"--define", "eventbus.redis.url=" + url,
		"--define", "eventbus.plugins.path=" + pluginDir(),
		"--define", "eventbus.redis.connectTimeoutMs=500",
		"--define", "eventbus.redis.commandTimeoutMs=1000"};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more)
{
	args.insert(args.end(), more.begin(), more.end());
	return args;
}

std::vector<std::string> lines(const std::string& text)
{
	std::vector<std::string> result;
	std::istringstream in(text);
	std::string line;
	while (std::getline(in, line))
	{
		if (!line.empty())
			result.push_back(line);
	}
	return result;
}

} // namespace

class RedisCliTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisCliTest);
	CPPUNIT_TEST(testSubscriberProcessReceivesEventsOfSeparatePublisherProcesses);
	CPPUNIT_TEST(testPublishExitsNonZeroNamingTheServerWhenRedisIsDown);
	CPPUNIT_TEST(testBufferedPublishExitsUnavailableWhenTheEventWasNotSent);
	CPPUNIT_TEST(testWrongPasswordFailsPublishFastWithNotPermittedAndHealthSaysWhy);
	CPPUNIT_TEST(testHealthExitsZeroOnlyWhenRedisAnswers);
	CPPUNIT_TEST(testRetriedPublishWithTheSameIdempotencyKeyIsDeliveredOnce);
	CPPUNIT_TEST(testPublishUnansweredByAStoppedServerExitsOutcomeUnknown);
	CPPUNIT_TEST(testSubscriberExitsWhenTheReaderOfItsOutputGoesAway);
	CPPUNIT_TEST(testSubscriberSaysSubscribedOnlyOnceRedisIsUp);
	CPPUNIT_TEST(testSubscriberGivesUpAtItsTimeoutWhileRedisIsDown);
	CPPUNIT_TEST(testMisspeltRedisKeyIsWarnedAboutAndRefusedWhenStrict);
	CPPUNIT_TEST(testStreamsKeysBelongToRedisStreamsAndTheSharedKeysToBoth);
	CPPUNIT_TEST_SUITE_END();

public:
	void testSubscriberProcessReceivesEventsOfSeparatePublisherProcesses()
	{
		RedisServer server;
		Child subscriber(eventbusExecutable(), with(common(server.url()),
			{"subscribe", "--tenant", "acme", "--topic", "orders.created", "--count", "3", "--timeout", "20"}));
		CPPUNIT_ASSERT_MESSAGE("subscriber never became active: " + subscriber.err(),
			waitUntil([&]() { return contains(subscriber.err(), "subscribed c2pro.production.acme.orders.created"); },
				std::chrono::milliseconds(15000)));

		for (int i = 1; i <= 3; ++i)
		{
			CommandResult published = runCommand(eventbusExecutable(), with(common(server.url()),
				{"publish", "--tenant", "acme", "--topic", "orders.created",
					"--payload", R"({"orderId":)" + std::to_string(i) + "}"}));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(published.err, 0, published.exitCode);
		}

		CPPUNIT_ASSERT_EQUAL_MESSAGE(subscriber.err(), 0, subscriber.waitExit(std::chrono::milliseconds(20000)));
		const std::vector<std::string> events = lines(subscriber.out());
		CPPUNIT_ASSERT_EQUAL_MESSAGE(subscriber.out(), std::size_t(3), events.size());
		Poco::JSON::Parser parser;
		for (std::size_t i = 0; i < events.size(); ++i)
		{
			parser.reset();
			auto event = parser.parse(events[i]).extract<Poco::JSON::Object::Ptr>();
			CPPUNIT_ASSERT_EQUAL(std::string("acme"), event->getValue<std::string>("tenantid"));
			CPPUNIT_ASSERT_EQUAL(std::string("orders.created"), event->getValue<std::string>("type"));
			CPPUNIT_ASSERT_EQUAL(static_cast<int>(i + 1), event->getObject("data")->getValue<int>("orderId"));
		}
	}

	void testPublishExitsNonZeroNamingTheServerWhenRedisIsDown()
	{
		RedisServer server;
		const std::string url = server.url();
		server.kill();
		CommandResult published = runCommand(eventbusExecutable(), with(common(url),
			{"publish", "--tenant", "acme", "--topic", "orders.created", "--payload", R"({"orderId":1})"}));
		CPPUNIT_ASSERT(!published.timedOut);
		CPPUNIT_ASSERT(published.exitCode != 0);
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, server.endpoint()));
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, "Connection refused"));
	}

	// onOutage=buffer: publish() returns once the event is buffered; the CLI
	// exits 0 only when close() flushed it, 69 naming "not sent" otherwise.
	void testBufferedPublishExitsUnavailableWhenTheEventWasNotSent()
	{
		bufferedPublishExitsUnavailableWhenNotSent("redis");
		bufferedPublishExitsUnavailableWhenNotSent("redis-streams");
	}

	void bufferedPublishExitsUnavailableWhenNotSent(const std::string& transport)
	{
		RedisServer server;
		const std::vector<std::string> args = with(with(common(server.url()),
			{"--define", "eventbus.transport=" + transport, "--define", "eventbus.redis.onOutage=buffer"}),
			{"publish", "--tenant", "acme", "--topic", "orders.created", "--payload", R"({"orderId":1})"});
		CommandResult sent = runCommand(eventbusExecutable(), args);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(transport + ": " + sent.out + sent.err, 0, sent.exitCode);
		CPPUNIT_ASSERT_MESSAGE(sent.out, contains(sent.out, "messageId"));

		server.kill();
		CommandResult buffered = runCommand(eventbusExecutable(), args);
		CPPUNIT_ASSERT(!buffered.timedOut);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(transport + ": " + buffered.out + buffered.err, 69, buffered.exitCode);
		CPPUNIT_ASSERT_MESSAGE(buffered.err, contains(buffered.err, "not sent"));
		CPPUNIT_ASSERT_MESSAGE(buffered.out, !contains(buffered.out, "messageId"));
	}

	// WRONGPASS is not an outage: publish fails at once with 77 (also with
	// onOutage=buffer: never buffered), health names the refusal, no password shown.
	void testWrongPasswordFailsPublishFastWithNotPermittedAndHealthSaysWhy()
	{
		RedisServer guarded({}, "s3cret-pw");
		const std::string url = "redis://:wrong-pw@127.0.0.1:" + std::to_string(guarded.port()) + "/0";
		const auto started = std::chrono::steady_clock::now();
		CommandResult published = runCommand(eventbusExecutable(), with(with(common(url),
			{"--define", "eventbus.redis.onOutage=buffer"}),
			{"publish", "--tenant", "acme", "--topic", "orders.created", "--payload", R"({"orderId":1})"}));
		CPPUNIT_ASSERT(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(900));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(published.out + published.err, 77, published.exitCode);
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, "WRONGPASS"));
		CPPUNIT_ASSERT_MESSAGE(published.err, !contains(published.err, "wrong-pw"));

		CommandResult health = runCommand(eventbusExecutable(), with(common(url), {"health"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(health.out + health.err, 69, health.exitCode);
		CPPUNIT_ASSERT_MESSAGE(health.out, contains(health.out, "not ready") && contains(health.out, "WRONGPASS"));
	}

	void testHealthExitsZeroOnlyWhenRedisAnswers()
	{
		RedisServer server;
		CommandResult ready = runCommand(eventbusExecutable(), with(common(server.url()), {"health"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(ready.out + ready.err, 0, ready.exitCode);

		server.kill();
		CommandResult down = runCommand(eventbusExecutable(), with(common(server.url()), {"health"}));
		CPPUNIT_ASSERT_MESSAGE(down.out + down.err, down.exitCode != 0);
		CPPUNIT_ASSERT_MESSAGE(down.out, contains(down.out, server.endpoint()));
	}

	void testRetriedPublishWithTheSameIdempotencyKeyIsDeliveredOnce()
	{
		RedisServer server;
		Child subscriber(eventbusExecutable(), with(common(server.url()),
			{"subscribe", "--tenant", "acme", "--topic", "orders.created", "--count", "2", "--timeout", "20"}));
		CPPUNIT_ASSERT_MESSAGE(subscriber.err(),
			waitUntil([&]() { return contains(subscriber.err(), "subscribed "); }, std::chrono::milliseconds(15000)));
		// A retry of the same logical publish, then another event to know when to stop.
		const std::vector<std::pair<std::string, std::string>> publishes{
			{"order-1", R"({"orderId":1})"}, {"order-1", R"({"orderId":1})"}, {"order-2", R"({"orderId":2})"}};
		for (const auto& p : publishes)
		{
			CommandResult published = runCommand(eventbusExecutable(), with(common(server.url()),
				{"publish", "--tenant", "acme", "--topic", "orders.created", "--idempotency-key", p.first,
					"--payload", p.second}));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(published.err, 0, published.exitCode);
		}
		CPPUNIT_ASSERT_EQUAL_MESSAGE(subscriber.err(), 0, subscriber.waitExit(std::chrono::milliseconds(20000)));
		const std::vector<std::string> events = lines(subscriber.out());
		CPPUNIT_ASSERT_EQUAL_MESSAGE(subscriber.out(), std::size_t(2), events.size());
		Poco::JSON::Parser parser;
		auto first = parser.parse(events[0]).extract<Poco::JSON::Object::Ptr>();
		parser.reset();
		auto second = parser.parse(events[1]).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT_EQUAL(1, first->getObject("data")->getValue<int>("orderId"));
		CPPUNIT_ASSERT_EQUAL(std::string("order-1"), first->getValue<std::string>("idempotencykey"));
		CPPUNIT_ASSERT_EQUAL(2, second->getObject("data")->getValue<int>("orderId"));
	}

	void testPublishUnansweredByAStoppedServerExitsOutcomeUnknown()
	{
		// The payload comes from stdin once the publisher is connected; then
		// the server stops answering: the PUBLISH is written, its reply never comes.
		RedisServer server;
		Poco::Pipe in, out, err;
		Poco::ProcessHandle publisher = Poco::Process::launch(eventbusExecutable(), with(common(server.url()),
			{"publish", "--tenant", "acme", "--topic", "orders.created"}), &in, &out, &err);
		CPPUNIT_ASSERT_MESSAGE("the publisher connected",
			waitUntil([&]() { return server.info("connected_clients") >= 2; }, std::chrono::milliseconds(10000)));
		server.pause();
		const std::string payload = R"({"orderId":1})";
		in.writeBytes(payload.data(), static_cast<int>(payload.size()));
		in.close(Poco::Pipe::CLOSE_WRITE);
		int code = -1;
		waitUntil([&]() { return (code = publisher.tryWait()) != -1; }, std::chrono::milliseconds(15000));
		if (code == -1)
		{
			Poco::Process::kill(publisher);
			publisher.wait();
		}
		std::string errText;
		Poco::PipeInputStream errStream(err);
		Poco::StreamCopier::copyToString(errStream, errText);
		server.resume();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(errText, 76, code);
		CPPUNIT_ASSERT_MESSAGE(errText, contains(errText, "outcome unknown"));
		CPPUNIT_ASSERT_MESSAGE(errText, contains(errText, "--idempotency-key"));
	}

	void testSubscriberExitsWhenTheReaderOfItsOutputGoesAway()
	{
		// `eventbus subscribe ... | head -n 1`
		RedisServer server;
		Poco::Pipe out, err;
		Poco::ProcessHandle subscriber = Poco::Process::launch(eventbusExecutable(), with(common(server.url()),
			{"subscribe", "--tenant", "acme", "--topic", "orders.created"}), nullptr, &out, &err);
		std::mutex mutex;
		std::string errText;
		std::thread errReader([&]() {
			char buffer[1024];
			int n;
			while ((n = err.readBytes(buffer, sizeof buffer)) > 0)
			{
				std::lock_guard<std::mutex> lock(mutex);
				errText.append(buffer, static_cast<std::size_t>(n));
			}
		});
		auto errSoFar = [&]() {
			std::lock_guard<std::mutex> lock(mutex);
			return errText;
		};
		int code = -1;
		auto publish = [&]() {
			return runCommand(eventbusExecutable(), with(common(server.url()),
				{"publish", "--tenant", "acme", "--topic", "orders.created", "--payload", R"({"orderId":1})"}));
		};
		// Nothing may throw past the reader thread.
		std::string failure;
		bool subscribed = false;
		std::string firstLine;
		CommandResult firstPublish;
		try
		{
		subscribed = waitUntil([&]() { return contains(errSoFar(), "subscribed "); },
			std::chrono::milliseconds(15000));
		if (subscribed)
		{
			firstPublish = publish();
			char c;
			while (out.readBytes(&c, 1) == 1 && c != '\n') firstLine += c;
			out.close(Poco::Pipe::CLOSE_READ); // head exits
			// The next event's write fails; each publish gives it one.
			waitUntil([&]() {
				publish();
				return (code = subscriber.tryWait()) != -1;
			}, std::chrono::milliseconds(15000));
		}
		}
		catch (std::exception& exc)
		{
			failure = exc.what();
		}
		if (code == -1)
		{
			Poco::Process::kill(subscriber);
			subscriber.wait(); // tryWait() already reaped it otherwise
		}
		errReader.join();
		CPPUNIT_ASSERT_EQUAL(std::string(), failure);
		CPPUNIT_ASSERT_MESSAGE(errText, subscribed);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(firstPublish.err, 0, firstPublish.exitCode);
		CPPUNIT_ASSERT_MESSAGE(firstLine, contains(firstLine, "orderId"));
		CPPUNIT_ASSERT_MESSAGE("still running after its reader went away; stderr: " + errText, code != -1);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(errText, 74, code); // EX_IOERR
		CPPUNIT_ASSERT_MESSAGE(errText, contains(errText, "standard output"));
	}

	void testSubscriberSaysSubscribedOnlyOnceRedisIsUp()
	{
		RedisServer server;
		server.kill();
		Child subscriber(eventbusExecutable(), with(common(server.url()),
			{"subscribe", "--tenant", "acme", "--topic", "orders.created", "--count", "1", "--timeout", "30"}));
		CPPUNIT_ASSERT_MESSAGE(subscriber.err(),
			waitUntil([&]() { return contains(subscriber.err(), "waiting for transport: "); },
				std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT_MESSAGE(subscriber.err(), contains(subscriber.err(), server.endpoint()));
		CPPUNIT_ASSERT_MESSAGE(subscriber.err(), !contains(subscriber.err(), "subscribed "));

		server.restart();
		CPPUNIT_ASSERT_MESSAGE(subscriber.err(),
			waitUntil([&]() { return contains(subscriber.err(), "subscribed c2pro.production.acme.orders.created"); },
				std::chrono::milliseconds(20000)));
		// What a script publishes right after the line arrives.
		CommandResult published = runCommand(eventbusExecutable(), with(common(server.url()),
			{"publish", "--tenant", "acme", "--topic", "orders.created", "--payload", R"({"orderId":7})"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(published.err, 0, published.exitCode);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(subscriber.err(), 0, subscriber.waitExit(std::chrono::milliseconds(20000)));
		CPPUNIT_ASSERT_MESSAGE(subscriber.out(), contains(subscriber.out(), R"("orderId":7)"));
	}

	void testSubscriberGivesUpAtItsTimeoutWhileRedisIsDown()
	{
		RedisServer server;
		server.kill();
		Child subscriber(eventbusExecutable(), with(common(server.url()),
			{"subscribe", "--tenant", "acme", "--topic", "orders.created", "--timeout", "2"}));
		const int code = subscriber.waitExit(std::chrono::milliseconds(15000));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(subscriber.err(), 69, code); // EX_UNAVAILABLE
		CPPUNIT_ASSERT_MESSAGE(subscriber.err(), contains(subscriber.err(), "not ready after 2 s"));
		CPPUNIT_ASSERT_MESSAGE(subscriber.err(), contains(subscriber.err(), server.endpoint()));
		CPPUNIT_ASSERT_MESSAGE(subscriber.err(), !contains(subscriber.err(), "subscribed "));
	}

	void testMisspeltRedisKeyIsWarnedAboutAndRefusedWhenStrict()
	{
		// Keys the redis plugin reads are known without the framework listing them.
		RedisServer server;
		CommandResult lenient = runCommand(eventbusExecutable(), with(common(server.url()),
			{"--define", "eventbus.redis.onOutge=buffer", "health"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(lenient.out + lenient.err, 0, lenient.exitCode);
		CPPUNIT_ASSERT_MESSAGE(lenient.err, contains(lenient.err,
			"unknown configuration key eventbus.redis.onOutge (did you mean eventbus.redis.onOutage?)"));
		CPPUNIT_ASSERT_MESSAGE(lenient.err, !contains(lenient.err, "eventbus.redis.url"));

		CommandResult strict = runCommand(eventbusExecutable(), with(common(server.url()),
			{"--define", "eventbus.redis.onOutge=buffer", "--define", "eventbus.config.strict=true", "health"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(strict.out + strict.err, 78, strict.exitCode);
		CPPUNIT_ASSERT_MESSAGE(strict.err, contains(strict.err, "eventbus.redis.onOutge"));

		CommandResult correct = runCommand(eventbusExecutable(), with(common(server.url()),
			{"--define", "eventbus.redis.onOutage=fail", "--define", "eventbus.config.strict=true", "health"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(correct.out + correct.err, 0, correct.exitCode);
	}

	void testStreamsKeysBelongToRedisStreamsAndTheSharedKeysToBoth()
	{
		// One file for services on either Redis transport: eventbus.redis.streams.*
		// is set aside while running redis, and a typo under eventbus.redis. is
		// still caught while running redis-streams (whose core reads those keys).
		RedisServer server;
		CommandResult pubsub = runCommand(eventbusExecutable(), with(common(server.url()),
			{"--define", "eventbus.redis.streams.maxLen=1000", "--define", "eventbus.config.strict=true", "health"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(pubsub.out + pubsub.err, 0, pubsub.exitCode);
		CPPUNIT_ASSERT_MESSAGE(pubsub.err, !contains(pubsub.err, "unknown configuration key"));

		// The exit code of health right after start is not the point (the
		// reader may not be connected yet): the audit ran either way.
		CommandResult streams = runCommand(eventbusExecutable(), with(common(server.url()),
			{"--define", "eventbus.transport=redis-streams", "--define", "eventbus.redis.onOutge=buffer", "health"}));
		CPPUNIT_ASSERT_MESSAGE(streams.err, contains(streams.err,
			"unknown configuration key eventbus.redis.onOutge (did you mean eventbus.redis.onOutage?)"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisCliTest);
