//
// ClusterRedirect.cpp
//
// Parsing of MOVED / ASK error replies.
//
#include "ClusterRedirect.h"
#include "ClusterSlot.h"
#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>

namespace eventbus {

ClusterRedirect ClusterRedirect::parse(const std::string& errorText)
{
	ClusterRedirect redirect;
	Poco::StringTokenizer words(errorText, " ", Poco::StringTokenizer::TOK_IGNORE_EMPTY | Poco::StringTokenizer::TOK_TRIM);
	if (words.count() != 3)
		return redirect;
	Kind kind = Kind::None;
	if (words[0] == "MOVED")
		kind = Kind::Moved;
	else if (words[0] == "ASK")
		kind = Kind::Ask;
	else
		return redirect;
	unsigned slot = 0;
	if (!Poco::NumberParser::tryParseUnsigned(words[1], slot) || slot >= ClusterSlot::Count)
		return redirect;
	const std::string& address = words[2];
	const std::string::size_type colon = address.rfind(':');
	if (colon == std::string::npos)
		return redirect;
	unsigned port = 0;
	if (!Poco::NumberParser::tryParseUnsigned(address.substr(colon + 1), port) || port == 0 || port > 65535)
		return redirect;
	std::string host = address.substr(0, colon);
	if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
		host = host.substr(1, host.size() - 2);
	if (!host.empty() && !RedisNodeAddress::isPlausibleHost(host))
		return redirect; // bytes no node announces: a plain error, never a target
	redirect.kind = kind;
	redirect.slot = slot;
	redirect.target.host = host;
	redirect.target.port = static_cast<unsigned short>(port);
	return redirect;
}

} // namespace eventbus
