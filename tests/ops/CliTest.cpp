// Suite ID: ops.cli
//
// CliTest.cpp
//
// The `eventbus` executable's contract on its own, without Redis: what it
// reads from standard input, how it reports an outcome it cannot know, and
// how it treats the configuration it is given.
//
#include "OpsSupport.h"
#include "TestSupport.h"
#include <Poco/Exception.h>
#include <Poco/Pipe.h>
#include <Poco/Process.h>
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <cstdlib>
#include <thread>

using namespace eventbus::test;

namespace {

const std::chrono::milliseconds ExitDeadline(20000);

std::vector<std::string> testArgs(const std::vector<std::string>& defines, const std::vector<std::string>& verb)
{
	std::vector<std::string> args{"--env", "test", "--define", "eventbus.plugins.path=" + pluginDir()};
	for (const auto& d : defines)
	{
		args.push_back("--define");
		args.push_back(d);
	}
	args.insert(args.end(), verb.begin(), verb.end());
	return args;
}

std::string readAll(Poco::Pipe& pipe)
{
	std::string text;
	char buffer[4096];
	int n;
	while ((n = pipe.readBytes(buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
	return text;
}

bool contains(const std::string& text, const std::string& part)
{
	return text.find(part) != std::string::npos;
}

std::size_t lineCount(const std::string& text)
{
	std::size_t lines = 0;
	for (char c : text) lines += c == '\n';
	return lines;
}

std::size_t linesContaining(const std::string& text, const std::string& part)
{
	std::size_t n = 0, start = 0;
	while (start < text.size())
	{
		std::size_t end = text.find('\n', start);
		if (end == std::string::npos) end = text.size();
		n += text.substr(start, end - start).find(part) != std::string::npos;
		start = end + 1;
	}
	return n;
}

} // namespace

class CliTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(CliTest);
	CPPUNIT_TEST(testPublishStopsReadingStdinAtThePayloadLimit);
	CPPUNIT_TEST(testPublishWhoseOutcomeIsUnknownHasItsOwnExitCode);
	CPPUNIT_TEST(testMisspeltKeyIsWarnedAboutWithTheNearestKnownKey);
	CPPUNIT_TEST(testStrictConfigurationRefusesAnUnknownKey);
	CPPUNIT_TEST(testKeysOfEveryVerbAreKnownToEachVerb);
	CPPUNIT_TEST(testUnsetEnvironmentVariableIsAConfigurationErrorNamingIt);
	CPPUNIT_TEST(testCircularReferenceIsAConfigurationErrorNamingTheKey);
	CPPUNIT_TEST_SUITE_END();

public:
	void testPublishStopsReadingStdinAtThePayloadLimit()
	{
		const std::size_t limit = 65536;
		const std::size_t offered = 64 * 1024 * 1024;
		Poco::Pipe in, out, err;
		Poco::ProcessHandle publisher = Poco::Process::launch(eventbusExecutable(),
			testArgs({"eventbus.maxPayloadBytes=" + std::to_string(limit)},
				{"publish", "--tenant", "acme", "--topic", "orders.created"}),
			&in, &out, &err);
		// A publisher that reads everything would take all 64 MiB; one that
		// stops at the limit exits, and the writer gets EPIPE.
		std::atomic<bool> done{false};
		std::thread watchdog([&]() {
			if (!waitUntil([&]() { return done.load(); }, ExitDeadline)) Poco::Process::kill(publisher);
		});
		const std::string chunk(65536, ' ');
		std::size_t written = 0;
		try
		{
			while (written < offered)
				written += static_cast<std::size_t>(in.writeBytes(chunk.data(), static_cast<int>(chunk.size())));
		}
		catch (Poco::Exception&)
		{
			// EPIPE: the publisher closed its standard input.
		}
		in.close(Poco::Pipe::CLOSE_WRITE);
		const std::string errText = readAll(err);
		readAll(out);
		const int code = publisher.wait();
		done = true;
		watchdog.join();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(errText, 65, code);
		CPPUNIT_ASSERT_MESSAGE(errText, contains(errText, "eventbus.maxPayloadBytes"));
		CPPUNIT_ASSERT_MESSAGE(errText, contains(errText, std::to_string(limit)));
		CPPUNIT_ASSERT_MESSAGE("the publisher consumed " + std::to_string(written) + " bytes", written < offered / 4);
	}

	void testPublishWhoseOutcomeIsUnknownHasItsOwnExitCode()
	{
		CommandResult published = runCommand(eventbusExecutable(),
			{"--env", "test", "--define", "eventbus.plugins.path=" + fixtureDir() + "/outcome-unknown",
				"--define", "eventbus.transport=outcome-unknown",
				"publish", "--tenant", "acme", "--topic", "orders.created", "--payload", R"({"orderId":1})"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(published.err, 76, published.exitCode);
		// (The fixture folder has no memory or redis plugin: the base file's
		// keys for those are warned about on lines of their own.)
		CPPUNIT_ASSERT_EQUAL_MESSAGE(published.err, std::size_t(1), linesContaining(published.err, "eventbus: publish: "));
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, "eventbus: publish: outcome unknown: "));
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, "no reply came"));
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, "retry with --idempotency-key to deduplicate"));
		CPPUNIT_ASSERT_MESSAGE("no receipt: " + published.out, published.out.empty());
	}

	void testMisspeltKeyIsWarnedAboutWithTheNearestKnownKey()
	{
		CommandResult health = runCommand(eventbusExecutable(),
			testArgs({"eventbus.memory.queueCapasity=5"}, {"health"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(health.err, 0, health.exitCode);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(health.err, std::size_t(1), lineCount(health.err));
		CPPUNIT_ASSERT_MESSAGE(health.err, contains(health.err,
			"unknown configuration key eventbus.memory.queueCapasity (did you mean eventbus.memory.queueCapacity?)"));
	}

	void testStrictConfigurationRefusesAnUnknownKey()
	{
		CommandResult health = runCommand(eventbusExecutable(),
			testArgs({"eventbus.memory.queueCapasity=5", "eventbus.config.strict=true"}, {"health"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(health.err, 78, health.exitCode);
		CPPUNIT_ASSERT_MESSAGE(health.err, contains(health.err, "configuration error: "));
		CPPUNIT_ASSERT_MESSAGE(health.err, contains(health.err, "eventbus.memory.queueCapasity"));
	}

	void testKeysOfEveryVerbAreKnownToEachVerb()
	{
		// One configuration file serves serve, demo and the rest.
		CommandResult health = runCommand(eventbusExecutable(), testArgs({"eventbus.config.strict=true",
			"eventbus.http.port=0", "eventbus.http.address=127.0.0.1", "eventbus.serve.shutdownTimeoutMs=1000",
			"eventbus.demo.transport=memory"}, {"health"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(health.err, 0, health.exitCode);
		CPPUNIT_ASSERT_MESSAGE(health.err, !contains(health.err, "unknown configuration key"));
	}

	void testUnsetEnvironmentVariableIsAConfigurationErrorNamingIt()
	{
		// The shipped production overlay: eventbus.redis.url = ${system.env.EVENTBUS_REDIS_URL}.
		::unsetenv("EVENTBUS_REDIS_URL");
		CommandResult health = runCommand(eventbusExecutable(),
			{"--env", "production", "--define", "eventbus.plugins.path=" + pluginDir(), "health"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(health.err, 78, health.exitCode);
		CPPUNIT_ASSERT_MESSAGE(health.err, contains(health.err,
			"configuration error: eventbus.redis.url: environment variable EVENTBUS_REDIS_URL is not set"));
	}

	void testCircularReferenceIsAConfigurationErrorNamingTheKey()
	{
		CommandResult health = runCommand(eventbusExecutable(),
			testArgs({"eventbus.source=${eventbus.channel.prefix}", "eventbus.channel.prefix=${eventbus.source}"},
				{"health"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(health.err, 78, health.exitCode);
		CPPUNIT_ASSERT_MESSAGE(health.err, contains(health.err, "configuration error: eventbus."));
		CPPUNIT_ASSERT_MESSAGE(health.err, contains(health.err, "eventbus.channel.prefix") || contains(health.err, "eventbus.source"));
		CPPUNIT_ASSERT_MESSAGE(health.err, contains(health.err, "loop"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliTest);
