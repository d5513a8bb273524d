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
#include <memory>
#include <sstream>

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
	CPPUNIT_TEST(testHealthExitsZeroOnlyWhenRedisAnswers);
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisCliTest);
