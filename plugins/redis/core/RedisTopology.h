//
// RedisTopology.h
//
// Which Redis deployment the transports talk to: one server
// (eventbus.redis.url), a Sentinel-managed master
// (eventbus.redis.sentinel.*) or a Redis Cluster (eventbus.redis.cluster.*),
// and the node lists those keys hold. The URL still gives the login (user,
// password), TLS and, for standalone and Sentinel, the database.
//
#pragma once

#include <Poco/Util/AbstractConfiguration.h>
#include <string>
#include <vector>

namespace eventbus {

/// host:port of one node (a sentinel, a cluster seed, a discovered master).
struct RedisNodeAddress
{
	std::string host;
	unsigned short port = 0;

	/// "host:port" (IPv6 hosts in brackets).
	std::string describe() const;

	bool operator==(const RedisNodeAddress& other) const { return port == other.port && host == other.host; }
	bool operator!=(const RedisNodeAddress& other) const { return !(*this == other); }

	/// A host name or address a node may announce (MOVED, CLUSTER SLOTS):
	/// 1-255 bytes of letters, digits, '.', '-', '_', ':' and '%' (IPv6 zone).
	/// Anything else from the wire (spaces, control bytes) is refused before it
	/// is connected to or logged.
	static bool isPlausibleHost(const std::string& host);

	/// Parses "host:port" or "[v6]:port"; throws ConfigException naming `key`.
	static RedisNodeAddress parse(const std::string& text, const std::string& key);
};

enum class RedisTopologyKind
{
	Standalone, ///< eventbus.redis.url names the server
	Sentinel,   ///< the sentinels name the master of eventbus.redis.sentinel.master
	Cluster     ///< slots across masters, found from the seed nodes
};

struct RedisTopologySettings
{
	static constexpr const char* SentinelNodesKey = "eventbus.redis.sentinel.nodes";
	static constexpr const char* SentinelMasterKey = "eventbus.redis.sentinel.master";
	static constexpr const char* SentinelUserKey = "eventbus.redis.sentinel.user";
	static constexpr const char* SentinelPasswordKey = "eventbus.redis.sentinel.password";
	static constexpr const char* ClusterNodesKey = "eventbus.redis.cluster.nodes";
	static constexpr const char* ClusterRefreshKey = "eventbus.redis.cluster.refreshMs";
	static constexpr const char* ClusterAllTenantsKey = "eventbus.redis.cluster.allTenants";

	RedisTopologyKind kind = RedisTopologyKind::Standalone;
	std::vector<RedisNodeAddress> sentinelNodes; ///< eventbus.redis.sentinel.nodes=host:port,...
	std::string sentinelMaster;                  ///< eventbus.redis.sentinel.master: the monitored master's name
	std::string sentinelUser;                    ///< eventbus.redis.sentinel.user: AUTH on the sentinels (empty: password only)
	std::string sentinelPassword;                ///< eventbus.redis.sentinel.password: empty: no AUTH on the sentinels
	std::vector<RedisNodeAddress> clusterNodes;  ///< eventbus.redis.cluster.nodes=host:port,... (seeds)
	unsigned clusterRefreshMs = 5000;            ///< eventbus.redis.cluster.refreshMs: slot map re-read (100..600000)
	bool clusterMirror = false;                  ///< eventbus.redis.cluster.allTenants=mirror (else refuse): pattern subscriptions work

	/// Reads the keys; throws ConfigException naming the key at fault (both
	/// topologies set, nodes without a master name, an empty or malformed
	/// node list, a database other than 0 on a cluster: `urlDb`).
	static RedisTopologySettings fromConfig(const Poco::Util::AbstractConfiguration& config, int urlDb);

	/// "standalone", "sentinel" or "cluster".
	static const char* toString(RedisTopologyKind kind);
};

} // namespace eventbus
