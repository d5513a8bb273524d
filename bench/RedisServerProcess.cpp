//
// RedisServerProcess.cpp
//
#include "RedisServerProcess.h"
#include "RawRedis.h"
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/NumberParser.h>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace eventbus {
namespace bench {

namespace {

unsigned short freeLoopbackPort()
{
	Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
	unsigned short port = socket.address().port();
	socket.close();
	return port;
}

} // namespace

RedisServerProcess::RedisServerProcess()
{
	for (int attempt = 0; attempt < 3 && !_process; ++attempt)
	{
		_port = freeLoopbackPort();
		Poco::Process::Args args{"--port", std::to_string(_port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes", "--loglevel", "warning",
			"--logfile", "/dev/null"};
		std::unique_ptr<Poco::ProcessHandle> process;
		try
		{
			process.reset(new Poco::ProcessHandle(Poco::Process::launch("redis-server", args)));
		}
		catch (Poco::Exception& exc)
		{
			throw std::runtime_error("cannot start redis-server (is it installed?): " + exc.displayText());
		}
		const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		while (std::chrono::steady_clock::now() < deadline)
		{
			if (!Poco::Process::isRunning(*process)) break;
			try
			{
				RawRedis probe(RedisAddress::parse(url()));
				if (probe.ping())
				{
					_process = std::move(process);
					return;
				}
			}
			catch (std::exception&)
			{
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(20));
		}
		// Port taken meanwhile, or too slow: try another port.
		try { Poco::Process::kill(*process); process->wait(); } catch (...) {}
	}
	throw std::runtime_error("redis-server did not answer PING on 127.0.0.1:" + std::to_string(_port));
}

RedisServerProcess::~RedisServerProcess()
{
	stop();
}

void RedisServerProcess::stop()
{
	if (!_process) return;
	try
	{
		RawRedis(RedisAddress::parse(url())).shutdown();
	}
	catch (...)
	{
	}
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
	while (Poco::Process::isRunning(*_process) && std::chrono::steady_clock::now() < deadline)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	try
	{
		if (Poco::Process::isRunning(*_process)) Poco::Process::kill(*_process);
		_process->wait();
	}
	catch (...)
	{
	}
	_process.reset();
}

RedisAddress RedisAddress::parse(const std::string& url)
{
	const std::string scheme = "redis://";
	if (url.compare(0, scheme.size(), scheme) != 0)
		throw std::invalid_argument("--redis-url: must start with redis://");
	RedisAddress a;
	std::string rest = url.substr(scheme.size());
	std::size_t at = rest.rfind('@');
	if (at != std::string::npos)
	{
		std::string credentials = rest.substr(0, at);
		rest = rest.substr(at + 1);
		std::size_t colon = credentials.find(':');
		if (colon == std::string::npos) a.password = credentials;
		else
		{
			a.user = credentials.substr(0, colon);
			a.password = credentials.substr(colon + 1);
		}
	}
	std::size_t slash = rest.find('/');
	if (slash != std::string::npos)
	{
		int db = 0;
		if (!Poco::NumberParser::tryParse(rest.substr(slash + 1), db) || db < 0)
			throw std::invalid_argument("--redis-url: bad database number");
		a.db = db;
		rest = rest.substr(0, slash);
	}
	std::size_t colon = rest.rfind(':');
	if (colon != std::string::npos)
	{
		unsigned port = 0;
		if (!Poco::NumberParser::tryParseUnsigned(rest.substr(colon + 1), port) || port == 0 || port > 65535)
			throw std::invalid_argument("--redis-url: bad port");
		a.port = static_cast<unsigned short>(port);
		rest = rest.substr(0, colon);
	}
	if (!rest.empty()) a.host = rest;
	return a;
}

std::string redisServerVersion(const RedisAddress& address)
{
	try
	{
		std::string info = RawRedis(address).info("server");
		const std::string key = "redis_version:";
		std::size_t pos = info.find(key);
		if (pos == std::string::npos) return "unknown";
		std::size_t end = info.find_first_of("\r\n", pos);
		return info.substr(pos + key.size(), end - pos - key.size());
	}
	catch (std::exception&)
	{
		return "unknown";
	}
}

} // namespace bench
} // namespace eventbus
