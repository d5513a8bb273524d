//
// RedisTransportSocket.cpp
//
// The TLS policy, the weak-setting warnings and the socket choice of a
// Redis transport's start(), written once for both transports.
//
#include "RedisTransportSocket.h"
#include "SentinelLocator.h"
#include "eventbus/SafeText.h"
#include "TlsRedisSocket.h"
#include "eventbus/Exceptions.h"
#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>

namespace eventbus {

bool RedisTransportSocket::isLoopback(const std::string& host)
{
	if (Poco::icompare(host, "localhost") == 0)
		return true;
	Poco::Net::IPAddress address;
	return Poco::Net::IPAddress::tryParse(host, address) && address.isLoopback();
}

std::shared_ptr<SentinelLocator> RedisTransportSocket::follow(RedisSettings& settings, RedisSocketFactory socketFactory,
	Poco::Logger& logger)
{
	if (settings.topology.kind != RedisTopologyKind::Sentinel)
		return nullptr;
	auto locator = std::make_shared<SentinelLocator>(settings, std::move(socketFactory), logger);
	settings.sentinel = locator;
	locator->start();
	return locator;
}

TransportHealth RedisTransportSocket::withTopology(const TransportHealth& health, const std::shared_ptr<SentinelLocator>& locator)
{
	if (!locator)
		return health;
	if (!locator->known())
		return {false, locator->describe()};
	if (!health.ready)
		return health;
	return {true, health.reason.empty() ? locator->describe() : health.reason + "; " + locator->describe()};
}

std::string RedisTransportSocket::describe(const RedisSettings& settings)
{
	const RedisEndpoint& endpoint = settings.endpoint;
	const RedisTopologySettings& topology = settings.topology;
	std::string where = endpoint.describe();
	if (topology.kind == RedisTopologyKind::Sentinel)
	{
		where = "sentinel master " + SafeText::escape(topology.sentinelMaster) + " via";
		for (const auto& node : topology.sentinelNodes)
			where += " " + node.describe();
		where += topology.sentinelPassword.empty() ? "" : " (sentinel AUTH)";
		where += ",";
	}
	if (topology.kind == RedisTopologyKind::Cluster)
	{
		where = "cluster seeds";
		for (const auto& node : topology.clusterNodes)
			where += " " + node.describe();
		where += std::string(topology.clusterMirror ? " (allTenants=mirror)" : "") + ",";
	}
	std::string text = where + " db " + std::to_string(endpoint.db)
		+ (endpoint.password.empty() ? "" : ", with AUTH");
	if (endpoint.tls)
	{
		text += ", TLS (server name " + settings.tls.serverName
			+ (settings.tls.caFile.empty() ? ", system CAs" : ", CA file " + settings.tls.caFile)
			+ (settings.tls.certFile.empty() ? "" : ", client certificate") + ")";
	}
	return text;
}

void RedisTransportSocket::refuseCluster(const RedisSettings& settings, const std::string& what)
{
	if (settings.topology.kind != RedisTopologyKind::Cluster)
		return;
	// Refused rather than quietly talking to the URL's host as one server.
	throw ConfigException(std::string(RedisTopologySettings::ClusterNodesKey) + ": " + what
		+ " does not run on a Redis Cluster in this version of the plugin (standalone and Sentinel do; "
		"the redis and redis-streams transports run on a cluster)");
}

RedisSocketFactory RedisTransportSocket::choose(const RedisSettings& settings, const std::string& env,
	RedisSocketFactory given, Poco::Logger& logger, const std::string& transport)
{
	const RedisEndpoint& endpoint = settings.endpoint;
	const bool production = env == "production";
	if (endpoint.tls && !settings.tls.verify && production)
	{
		throw ConfigException(std::string(RedisTlsSettings::VerifyKey) + "=false is refused in env production: "
			"trust the server's CA with " + RedisTlsSettings::CaFileKey + " instead");
	}
	if (endpoint.tls && !settings.tls.verify)
	{
		logger.warning(transport + " transport: " + std::string(RedisTlsSettings::VerifyKey) + "=false: the certificate of "
			+ endpoint.describe() + " is not checked; anyone on the path can read and change the traffic");
	}
	if (!endpoint.tls && production && !isLoopback(endpoint.host))
	{
		logger.warning(transport + " transport: " + std::string(RedisSettings::UrlKey) + " is redis:// to "
			+ endpoint.describe() + " in env production: events" + (endpoint.password.empty() ? "" : " and the AUTH password")
			+ " cross the network unencrypted; use rediss:// (see docs/security.md, TLS to Redis)");
	}
	if (given)
		return given;
	if (endpoint.tls)
		return TlsRedisSocket::factory(settings);
	return []() { return std::unique_ptr<RedisSocket>(new PlainRedisSocket); };
}

} // namespace eventbus
