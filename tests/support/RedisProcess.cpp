//
// RedisProcess.cpp
//
#include "RedisProcess.h"
#include "TestSupport.h"
#include <Poco/FileStream.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>
#include <chrono>
#include <csignal>
#include <stdexcept>
#include <thread>

namespace eventbus {
namespace test {

Poco::ProcessHandle launchRedisServer(const std::string& dir, std::vector<std::string> args)
{
	std::string launcher = "exec redis-server \"$@\" >>'" + dir + "/redis.out' 2>&1";
	if (Poco::File("/usr/bin/setpriv").exists())
		launcher = "exec /usr/bin/setpriv --pdeathsig KILL redis-server \"$@\" >>'" + dir + "/redis.out' 2>&1";
	args.insert(args.begin(), {"-c", launcher, "redis-server"});
	return Poco::Process::launch("/bin/sh", args);
}

void terminateServer(Poco::ProcessHandle& process, Poco::Process::PID pid)
{
	::kill(pid, SIGTERM);
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	while (process.tryWait() == -1)
	{
		if (std::chrono::steady_clock::now() >= deadline)
		{
			::kill(pid, SIGKILL);
			process.wait();
			return;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	// tryWait() reaped it: waiting again would throw (ECHILD).
}

std::string redisLogTail(const std::string& dir)
{
	try
	{
		Poco::FileInputStream in(dir + "/redis.log");
		std::string text;
		Poco::StreamCopier::copyToString(in, text);
		return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
	}
	catch (...)
	{
		return "(no log)";
	}
}

void startOnFreePort(std::string& dir, unsigned short& port, const std::function<void()>& start)
{
	dir = Poco::TemporaryFile::tempName();
	Poco::File(dir).createDirectories();
	for (int attempt = 0;; ++attempt)
	{
		port = freeLoopbackPort();
		try
		{
			start();
			return;
		}
		catch (std::exception&)
		{
			if (attempt == 2)
			{
				Poco::File(dir).remove(true);
				throw;
			}
		}
	}
}

std::string executable(const std::string& path, const std::string& name)
{
	return Poco::File(path).exists() ? path : name;
}

} // namespace test
} // namespace eventbus
