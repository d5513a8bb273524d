//
// StreamsSettings.h
//
// The eventbus.redis.streams.* keys of the redis-streams transport, read and
// validated once in start(), each with its default (see docs/runbook.md,
// "Redis Streams"). Connection, TLS, timeouts and the outage policy are the
// shared eventbus.redis.* keys (RedisSettings).
//
#pragma once

#include <Poco/Util/AbstractConfiguration.h>
#include <cstddef>
#include <string>

namespace eventbus {

struct StreamsSettings
{
	std::size_t maxLen = 100000;        ///< eventbus.redis.streams.maxLen: XADD MAXLEN ~ N; 0 = no MAXLEN
	int maxAgeSeconds = 0;              ///< eventbus.redis.streams.maxAgeSeconds: XADD MINID ~ now-age; 0 = off
	int waitReplicas = 0;               ///< eventbus.redis.streams.waitReplicas: WAIT n after publish; 0 = off
	int waitTimeoutMs = 1000;           ///< eventbus.redis.streams.waitTimeoutMs
	std::string group = "eventbus";     ///< eventbus.redis.streams.group: the default consumer group
	std::string consumer;               ///< eventbus.redis.streams.consumer; default {hostname}-{pid}-{6 hex}
	bool startFromBeginning = false;    ///< eventbus.redis.streams.start = new (default) | all
	std::size_t batch = 64;             ///< eventbus.redis.streams.batch: XREADGROUP COUNT
	int blockMs = 1000;                 ///< eventbus.redis.streams.blockMs: XREADGROUP BLOCK (never 0)
	std::size_t maxInFlight = 256;      ///< eventbus.redis.streams.maxInFlight: read, not yet acknowledged
	int claimIntervalMs = 1000;         ///< eventbus.redis.streams.claimIntervalMs: XAUTOCLAIM period
	int claimIdleMs = 30000;            ///< eventbus.redis.streams.claimIdleMs: XAUTOCLAIM min-idle
	int retryBackoffMs = 1000;          ///< eventbus.redis.streams.retryBackoffMs: first retry of a Failed entry
	int retryBackoffMaxMs = 30000;      ///< eventbus.redis.streams.retryBackoffMaxMs
	int maxDeliveries = 5;              ///< eventbus.redis.streams.maxDeliveries: then the dead-letter stream
	int discoveryIntervalMs = 5000;     ///< eventbus.redis.streams.discoveryIntervalMs: SCAN for pattern subscriptions
	int clusterPollMs = 10;             ///< eventbus.redis.streams.clusterPollMs: on a cluster, the longest BLOCK while a node serves several slots read

	/// Reads every key (defaults for the absent ones); throws ConfigException
	/// naming the key at fault. blockMs must stay below
	/// eventbus.redis.commandTimeoutMs, the reader socket's timeout.
	static StreamsSettings fromConfig(const Poco::Util::AbstractConfiguration& config);

	/// {hostname}-{pid}-{6 random hex digits}: unique per process and start.
	static std::string defaultConsumerName();

	/// The dead-letter stream of a channel: "{channel}:dlq" (a topic has no
	/// colon, so it never collides with a channel, and it stays inside the
	/// tenant's key pattern).
	static std::string deadLetterKey(const std::string& channel);
};

} // namespace eventbus
