//
// BusSettings.h
//
// The framework's configuration keys, read and validated once.
//
#pragma once

#include <Poco/Util/AbstractConfiguration.h>
#include <string>
#include <vector>

namespace eventbus {

enum class RedactionMode
{
	Log,     ///< mask in logs, errors and diagnostics only
	Payload  ///< also mask on the wire (handlers see the masked value)
};

/// Every key lives under `eventbus.`; see docs/architecture.md for the list.
struct BusSettings
{
	std::string env = "local";                           ///< eventbus.env
	std::string transport = "memory";                    ///< eventbus.transport
	std::string prefix = "c2pro";                        ///< eventbus.channel.prefix
	std::string source = "/eventbus";                    ///< eventbus.source
	std::size_t maxPayloadBytes = 256 * 1024;            ///< eventbus.maxPayloadBytes
	bool allowCrossTenant = false;                       ///< eventbus.security.allowCrossTenant
	std::vector<std::string> inMemoryEnvs{"local", "test"}; ///< eventbus.policy.inMemoryEnvs
	std::vector<std::string> middleware{"tenant-guard", "redaction", "idempotency", "metrics"}; ///< eventbus.middleware
	std::vector<std::string> redactionKeys;              ///< eventbus.redaction.keys (defaults: Redactor::defaultKeys())
	RedactionMode redactionMode = RedactionMode::Log;    ///< eventbus.redaction.mode = log | payload
	std::size_t idempotencyMaxEntries = 100000;          ///< eventbus.idempotency.maxEntries
	int idempotencyWindowSeconds = 3600;                 ///< eventbus.idempotency.windowSeconds
	int maxEventAgeSeconds = 3600;                       ///< eventbus.idempotency.maxAgeSeconds (0 = no limit)
	int maxClockSkewSeconds = 60;                        ///< eventbus.idempotency.maxClockSkewSeconds
	bool metricsTenantLabel = false;                     ///< eventbus.metrics.tenantLabel
	std::string pluginsPath;                             ///< eventbus.plugins.path
	bool pluginsStrictModes = true;                      ///< eventbus.plugins.strictModes
	int drainTimeoutMs = 5000;                           ///< eventbus.delivery.drainTimeoutMs

	/// Reads every key (defaults for the absent ones) and validates it; throws
	/// ConfigException naming the key.
	static BusSettings fromConfig(const Poco::Util::AbstractConfiguration& config);

	/// True when the env may use an in-process transport.
	bool inMemoryAllowed() const;
};

} // namespace eventbus
