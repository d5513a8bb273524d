//
// RedisServerProcess.h
//
// A throwaway redis-server on a free 127.0.0.1 port, without persistence.
//
#pragma once

#include <Poco/Process.h>
#include <memory>
#include <string>

namespace eventbus {
namespace bench {

class RedisServerProcess
{
public:
	/// Starts `redis-server --port P --bind 127.0.0.1 --save '' --appendonly no`
	/// and waits until it answers PING; throws std::runtime_error otherwise.
	RedisServerProcess();
	/// Stops it (SHUTDOWN NOSAVE, then kill).
	~RedisServerProcess();

	RedisServerProcess(const RedisServerProcess&) = delete;
	RedisServerProcess& operator=(const RedisServerProcess&) = delete;

	unsigned short port() const { return _port; }
	std::string url() const { return "redis://127.0.0.1:" + std::to_string(_port); }
	void stop();

private:
	unsigned short _port = 0;
	std::unique_ptr<Poco::ProcessHandle> _process;
};

/// host, port and password of redis://[user:password@]host[:port][/db].
struct RedisAddress
{
	std::string host = "127.0.0.1";
	unsigned short port = 6379;
	std::string user;
	std::string password;
	int db = 0;
	static RedisAddress parse(const std::string& url);
};

/// INFO server's redis_version, or "unknown".
std::string redisServerVersion(const RedisAddress& address);

} // namespace bench
} // namespace eventbus
