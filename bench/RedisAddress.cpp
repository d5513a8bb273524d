//
// RedisAddress.cpp
//
#include "RedisAddress.h"
#include "RawRedis.h"
#include <Poco/NumberParser.h>
#include <stdexcept>

namespace eventbus {
namespace bench {

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
