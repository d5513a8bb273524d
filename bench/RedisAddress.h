//
// RedisAddress.h
//
// Where the bench's Redis is: the parts of a redis:// URL, and the server's version.
//
#pragma once

#include <string>

namespace eventbus {
namespace bench {

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
