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

} // namespace

class CliTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(CliTest);
	CPPUNIT_TEST(testPublishStopsReadingStdinAtThePayloadLimit);
	CPPUNIT_TEST(testPublishWhoseOutcomeIsUnknownHasItsOwnExitCode);
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
		CPPUNIT_ASSERT_EQUAL_MESSAGE(published.err, std::size_t(1), lineCount(published.err));
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, "outcome unknown: "));
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, "no reply came"));
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, "retry with --idempotency-key to deduplicate"));
		CPPUNIT_ASSERT_MESSAGE("no receipt: " + published.out, published.out.empty());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(CliTest);
