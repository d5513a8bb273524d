//
// RedisTopology.cpp
//
// Reads eventbus.redis.sentinel.* and eventbus.redis.cluster.*, naming the
// key at fault.
//
#include "RedisTopology.h"
#include "eventbus/Exceptions.h"
#include "eventbus/SafeText.h"
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

namespace eventbus {

namespace {

std::vector<RedisNodeAddress> readNodes(const Poco::Util::AbstractConfiguration& config, const std::string& key)
{
	std::vector<RedisNodeAddress> nodes;
	Poco::StringTokenizer items(config.getString(key), ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
	for (const auto& item : items)
	{
		RedisNodeAddress node = RedisNodeAddress::parse(item, key);
		bool seen = false;
		for (const auto& other : nodes) seen = seen || other == node;
		if (!seen) nodes.push_back(node);
	}
	if (nodes.empty())
		throw ConfigException(key + ": expected host:port[,host:port...], got an empty list");
	if (nodes.size() > 64)
		throw ConfigException(key + ": at most 64 nodes, got " + std::to_string(nodes.size()));
	return nodes;
}

} // namespace

bool RedisNodeAddress::isPlausibleHost(const std::string& host)
{
	if (host.empty() || host.size() > 255)
		return false;
	for (const char c : host)
	{
		const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-'
			|| c == '_' || c == ':' || c == '%';
		if (!ok)
			return false;
	}
	return true;
}

std::string RedisNodeAddress::describe() const
{
	if (host.find(':') != std::string::npos)
		return "[" + host + "]:" + std::to_string(port);
	return host + ":" + std::to_string(port);
}

RedisNodeAddress RedisNodeAddress::parse(const std::string& given, const std::string& key)
{
	const std::string text = Poco::trim(given);
	const auto colon = text.rfind(':');
	if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
		throw ConfigException(key + ": '" + text + "' is not host:port");
	RedisNodeAddress node;
	node.host = text.substr(0, colon);
	if (node.host.front() == '[')
	{
		if (node.host.size() < 3 || node.host.back() != ']')
			throw ConfigException(key + ": '" + text + "' is not host:port ([v6 address]:port for IPv6)");
		node.host = node.host.substr(1, node.host.size() - 2);
	}
	else if (node.host.find(':') != std::string::npos)
		throw ConfigException(key + ": '" + text + "': write an IPv6 address in brackets, [addr]:port");
	if (node.host.size() > 253 || node.host.find_first_of(" \t/@*?[]{}") != std::string::npos)
		throw ConfigException(key + ": '" + node.host + "' is not a host name or address");
	const std::string portText = text.substr(colon + 1);
	unsigned port = 0;
	if (portText.find_first_not_of("0123456789") != std::string::npos || !Poco::NumberParser::tryParseUnsigned(portText, port)
		|| port == 0 || port > 65535)
		throw ConfigException(key + ": port '" + portText + "' is not a number from 1 to 65535");
	node.port = static_cast<unsigned short>(port);
	return node;
}

RedisTopologySettings RedisTopologySettings::fromConfig(const Poco::Util::AbstractConfiguration& config, int urlDb)
{
	RedisTopologySettings topology;
	const bool sentinel = config.has(SentinelNodesKey) || config.has(SentinelMasterKey);
	const bool cluster = config.has(ClusterNodesKey);
	if (sentinel && cluster)
	{
		throw ConfigException(std::string(ClusterNodesKey) + " and " + SentinelNodesKey
			+ " are both set: a deployment is either a Redis Cluster or Sentinel-managed, choose one");
	}
	if (sentinel)
	{
		if (!config.has(SentinelNodesKey))
			throw ConfigException(std::string(SentinelMasterKey) + " is set without " + SentinelNodesKey + " (the sentinels to ask)");
		if (!config.has(SentinelMasterKey))
			throw ConfigException(std::string(SentinelNodesKey) + " is set without " + SentinelMasterKey + " (the monitored master's name)");
		topology.kind = RedisTopologyKind::Sentinel;
		topology.sentinelNodes = readNodes(config, SentinelNodesKey);
		topology.sentinelMaster = Poco::trim(config.getString(SentinelMasterKey));
		if (topology.sentinelMaster.empty() || topology.sentinelMaster.size() > 128
			|| topology.sentinelMaster.find_first_of(" \t\r\n\"'") != std::string::npos)
			throw ConfigException(std::string(SentinelMasterKey) + ": expected a master name (1-128 characters, no spaces or quotes), got '"
				+ topology.sentinelMaster + "'");
		topology.sentinelUser = config.getString(SentinelUserKey, "");
		topology.sentinelPassword = config.getString(SentinelPasswordKey, "");
		if (!topology.sentinelUser.empty() && topology.sentinelPassword.empty())
			throw ConfigException(std::string(SentinelUserKey) + " is set without " + SentinelPasswordKey);
	}
	else if (cluster)
	{
		topology.kind = RedisTopologyKind::Cluster;
		topology.clusterNodes = readNodes(config, ClusterNodesKey);
		if (urlDb != 0)
			throw ConfigException("eventbus.redis.url: database " + std::to_string(urlDb)
				+ " with " + ClusterNodesKey + ": a Redis Cluster has database 0 only");
		const std::string refresh = Poco::trim(config.getString(ClusterRefreshKey, "5000"));
		unsigned refreshMs = 0;
		if (!Poco::NumberParser::tryParseUnsigned(refresh, refreshMs) || refreshMs < 100 || refreshMs > 600000)
			throw ConfigException(std::string(ClusterRefreshKey) + ": expected milliseconds from 100 to 600000, got '"
				+ SafeText::escape(refresh) + "'");
		topology.clusterRefreshMs = refreshMs;
		const std::string allTenants = Poco::toLower(Poco::trim(config.getString(ClusterAllTenantsKey, "refuse")));
		if (allTenants != "refuse" && allTenants != "mirror")
			throw ConfigException(std::string(ClusterAllTenantsKey) + ": expected refuse or mirror, got '"
				+ SafeText::escape(allTenants) + "'");
		topology.clusterMirror = allTenants == "mirror";
	}
	return topology;
}

const char* RedisTopologySettings::toString(RedisTopologyKind kind)
{
	switch (kind)
	{
	case RedisTopologyKind::Sentinel: return "sentinel";
	case RedisTopologyKind::Cluster: return "cluster";
	default: return "standalone";
	}
}

} // namespace eventbus
