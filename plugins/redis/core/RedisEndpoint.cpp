//
// RedisEndpoint.cpp
//
// Parses redis[s]://[user:password@]host[:port][/db]; never repeats the URL
// in a message (it may hold a password).
//
#include "RedisEndpoint.h"
#include "RedisTopology.h"
#include "eventbus/Exceptions.h"
#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/URI.h>

namespace eventbus {

namespace {

const char* const UrlForm = "expected redis://[user:password@]host:port[/db] or rediss://... for TLS";

} // namespace

std::string RedisEndpoint::describe() const
{
	return RedisNodeAddress{host, port}.describe();
}

RedisEndpoint RedisEndpoint::parse(const std::string& url, const std::string& key)
{
	Poco::URI uri;
	try
	{
		uri = Poco::URI(Poco::trim(url));
	}
	catch (Poco::Exception&)
	{
		// Poco's message may quote the URL, and with it a password.
		throw ConfigException(key + ": not a valid URL (" + UrlForm + ")");
	}
	const std::string scheme = Poco::toLower(uri.getScheme());
	if (scheme != "redis" && scheme != "rediss")
		throw ConfigException(key + ": scheme '" + scheme + "' not supported (" + UrlForm + ")");
	if (uri.getHost().empty())
		throw ConfigException(key + ": no host (" + UrlForm + ")");
	if (!uri.getRawQuery().empty() || !uri.getFragment().empty())
		throw ConfigException(key + ": query and fragment are not supported (" + UrlForm + ")");

	RedisEndpoint endpoint;
	endpoint.tls = scheme == "rediss";
	endpoint.host = uri.getHost();
	endpoint.port = uri.getPort() == 0 ? 6379 : uri.getPort();

	const std::string& userInfo = uri.getUserInfo();
	if (!userInfo.empty())
	{
		const auto colon = userInfo.find(':');
		if (colon == std::string::npos)
			throw ConfigException(key + ": user info must be user:password or :password (" + UrlForm + ")");
		Poco::URI::decode(userInfo.substr(0, colon), endpoint.user);
		Poco::URI::decode(userInfo.substr(colon + 1), endpoint.password);
		if (endpoint.password.empty())
			throw ConfigException(key + ": empty password in the user info (" + UrlForm + ")");
	}

	std::string path = uri.getPath();
	if (!path.empty() && path[0] == '/')
		path.erase(0, 1);
	if (!path.empty())
	{
		int db = 0;
		if (!Poco::NumberParser::tryParse(path, db) || db < 0 || path.find_first_not_of("0123456789") != std::string::npos)
			throw ConfigException(key + ": database '" + path + "' is not a number >= 0 (" + UrlForm + ")");
		endpoint.db = db;
	}
	return endpoint;
}

} // namespace eventbus
