//
// RedisSettings.h
//
// The options of the shared Redis core: plain aggregates with their defaults
// (the eventbus.redis.* keys), read and validated once by fromConfig().
//
#pragma once

#include "RedisEndpoint.h"
#include "RedisTopology.h"
#include <Poco/Util/AbstractConfiguration.h>
#include <cstddef>
#include <memory>
#include <string>

namespace eventbus {

class SentinelLocator;

/// The eventbus.redis.tls.* keys, used with a rediss:// URL (and refused
/// with redis://, so nobody believes a plain connection is encrypted).
struct RedisTlsSettings
{
	static constexpr const char* CaFileKey = "eventbus.redis.tls.caFile";
	static constexpr const char* CertFileKey = "eventbus.redis.tls.certFile";
	static constexpr const char* KeyFileKey = "eventbus.redis.tls.keyFile";
	static constexpr const char* ServerNameKey = "eventbus.redis.tls.serverName";
	static constexpr const char* VerifyKey = "eventbus.redis.tls.verify";

	std::string caFile;     ///< PEM file of the CAs trusted for the server; empty: the system's CAs
	std::string certFile;   ///< PEM client certificate (chain), with keyFile; empty: none
	std::string keyFile;    ///< its private key, PEM, not encrypted
	std::string serverName; ///< SNI and the name the certificate must carry; default the URL host
	bool verify = true;     ///< false: no certificate check at all (refused in env production)
};

/// What to do with a publish while the server cannot be reached.
enum class OutagePolicy
{
	Fail,   ///< throw TransportException within the connect timeout
	Buffer  ///< keep it in a bounded buffer, flushed in order on reconnect
};

struct RedisSettings
{
	static constexpr const char* UrlKey = "eventbus.redis.url";

	RedisEndpoint endpoint;                          ///< eventbus.redis.url
	int connectTimeoutMs = 2000;                     ///< eventbus.redis.connectTimeoutMs
	int commandTimeoutMs = 2000;                     ///< eventbus.redis.commandTimeoutMs
	int healthIntervalMs = 1000;                     ///< eventbus.redis.healthIntervalMs
	int healthTimeoutMs = 3000;                      ///< eventbus.redis.healthTimeoutMs
	int reconnectInitialMs = 100;                    ///< eventbus.redis.reconnect.initialMs
	int reconnectMaxMs = 5000;                       ///< eventbus.redis.reconnect.maxMs
	std::size_t deliveryQueueCapacity = 10000;       ///< eventbus.redis.deliveryQueueCapacity
	std::size_t maxMessageBytes = 1024 * 1024 + 16 * 1024; ///< eventbus.redis.maxMessageBytes
	OutagePolicy onOutage = OutagePolicy::Fail;      ///< eventbus.redis.onOutage = fail | buffer
	std::size_t bufferMaxEvents = 10000;             ///< eventbus.redis.buffer.maxEvents
	std::size_t bufferMaxBytes = 16 * 1024 * 1024;   ///< eventbus.redis.buffer.maxBytes
	std::size_t pipelineMaxBatch = 128;              ///< eventbus.redis.pipeline.maxBatch: PUBLISHes sent per round trip
	RedisTlsSettings tls;                            ///< eventbus.redis.tls.* (rediss:// only)
	RedisTopologySettings topology;                  ///< eventbus.redis.sentinel.* / eventbus.redis.cluster.*: standalone when neither is set
	/// Set by a transport in Sentinel mode: every RedisConnection made with
	/// these settings connects to the master it names (not the URL's host),
	/// and is dropped when it switches. Null: the URL's host, or for Sentinel
	/// a one-off question to the sentinels at each connect (admin commands).
	std::shared_ptr<SentinelLocator> sentinel;

	/// Reads every key (defaults for the absent ones); throws ConfigException
	/// naming the key at fault.
	static RedisSettings fromConfig(const Poco::Util::AbstractConfiguration& config);

	/// A copy that connects to `node` instead of the URL's host:port, with the
	/// same login, database and TLS options (the TLS server name follows the
	/// node unless eventbus.redis.tls.serverName was set): a discovered master,
	/// a cluster node, a sentinel.
	RedisSettings forNode(const RedisNodeAddress& node) const;

	/// "fail" or "buffer".
	static const char* toString(OutagePolicy policy);
};

} // namespace eventbus
