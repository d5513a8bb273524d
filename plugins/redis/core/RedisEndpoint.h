//
// RedisEndpoint.h
//
// Where a Redis server is and how to log in: the redis[s]:// URL, parsed.
//
#pragma once

#include <string>

namespace eventbus {

/// Where the server is and how to log in. The password never leaves this
/// struct: describe() and every message use host:port only.
struct RedisEndpoint
{
	std::string host = "127.0.0.1";
	unsigned short port = 6379;
	std::string user;      ///< empty: AUTH with the password only
	std::string password;  ///< empty: no AUTH
	int db = 0;
	bool tls = false;      ///< rediss://: TLS (eventbus.redis.tls.*)

	/// "host:port" (IPv6 hosts in brackets); safe for logs and messages.
	std::string describe() const;

	/// Parses redis[s]://[user:password@]host[:port][/db]. Throws ConfigException
	/// naming `key`; the message never repeats the URL (it may hold a password).
	static RedisEndpoint parse(const std::string& url, const std::string& key = "eventbus.redis.url");
};

} // namespace eventbus
