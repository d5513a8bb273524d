//
// TestSupport.cpp
//
#include "TestSupport.h"
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>
#include <atomic>
#include <sstream>
#include <thread>

namespace eventbus {
namespace test {

std::string pluginDir() { return EVENTBUS_TEST_PLUGIN_DIR; }
std::string fixtureDir() { return EVENTBUS_TEST_FIXTURE_DIR; }
std::string binDir() { return EVENTBUS_TEST_BIN_DIR; }
std::string sourceDir() { return EVENTBUS_TEST_SOURCE_DIR; }
std::string eventbusExecutable() { return binDir() + "/eventbus"; }
std::string signingKey() { return "suite-signing-key-0123456789abcdef-0123456789"; }

Poco::AutoPtr<Poco::Util::MapConfiguration> makeConfig(const std::string& transport,
	const std::map<std::string, std::string>& overrides)
{
	Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
	config->setString("eventbus.env", "test");
	config->setString("eventbus.transport", transport);
	config->setString("eventbus.plugins.path", pluginDir());
	for (const auto& kv : overrides)
		config->setString(kv.first, kv.second);
	// Production requires signed envelopes: sign with the suites' key unless
	// the test configures signing itself.
	if (config->getString("eventbus.env") == "production" && !config->hasProperty("eventbus.security.signing.key")
		&& !config->hasProperty("eventbus.security.signing.required"))
		config->setString("eventbus.security.signing.key", signingKey());
	return config;
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	while (!condition())
	{
		if (std::chrono::steady_clock::now() >= deadline)
			return condition();
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
	}
	return true;
}

CommandResult runCommand(const std::string& command, const std::vector<std::string>& args,
	const std::string& input, std::chrono::milliseconds timeout)
{
	Poco::Pipe inPipe, outPipe, errPipe;
	Poco::ProcessHandle handle = Poco::Process::launch(command, args, &inPipe, &outPipe, &errPipe);
	CommandResult result;
	std::thread writer([&inPipe, &input]() {
		try
		{
			if (!input.empty())
				inPipe.writeBytes(input.data(), static_cast<int>(input.size()));
		}
		catch (...)
		{
			// The child exited without reading its input; its exit code says why.
		}
		inPipe.close(Poco::Pipe::CLOSE_WRITE);
	});
	std::thread errReader([&errPipe, &result]() {
		Poco::PipeInputStream errStream(errPipe);
		Poco::StreamCopier::copyToString(errStream, result.err);
	});
	std::atomic<bool> done{false};
	std::thread watchdog([&]() {
		const auto deadline = std::chrono::steady_clock::now() + timeout;
		while (!done.load())
		{
			if (std::chrono::steady_clock::now() >= deadline)
			{
				result.timedOut = true;
				try { Poco::Process::kill(handle); } catch (...) {}
				return;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(10));
		}
	});
	Poco::PipeInputStream outStream(outPipe);
	Poco::StreamCopier::copyToString(outStream, result.out);
	errReader.join();
	result.exitCode = handle.wait();
	done = true;
	watchdog.join();
	writer.join();
	return result;
}

unsigned short freeLoopbackPort()
{
	Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
	unsigned short port = socket.address().port();
	socket.close();
	return port;
}

} // namespace test
} // namespace eventbus
