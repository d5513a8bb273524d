//
// Workload.h
//
// What every row publishes (one payload, tenant, topic), the bus
// configuration of a row, and the process facts the report needs.
//
#pragma once

#include "BenchOptions.h"
#include <Poco/AutoPtr.h>
#include <Poco/JSON/Object.h>
#include <Poco/Util/MapConfiguration.h>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace eventbus {
namespace bench {

using Clock = std::chrono::steady_clock;

/// Nanoseconds on the steady clock.
inline std::int64_t nowNanos()
{
	return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

/// The result of one run of one row.
struct Measurement
{
	std::size_t events = 0;          ///< events timed
	double seconds = 0;              ///< wall time of those events
	std::vector<double> latencyUs;   ///< per-event latencies, when the row records them
	std::uint64_t lost = 0;          ///< published but never received (rows with a subscriber)
	std::uint64_t errors = 0;        ///< publishes that failed
};

struct Workload
{
	static constexpr const char* Tenant = "bench-tenant";
	static constexpr const char* Topic = "orders.created";
	static constexpr const char* SigningKey = "bench-signing-key-0123456789abcdef-0123456789";

	std::string payloadJson;             ///< about --payload-bytes of JSON, no sensitive key
	Poco::JSON::Object::Ptr payload;     ///< the same, parsed once and reused by every publish

	/// A realistic order event of about `bytes` bytes of compact JSON.
	static std::string makePayloadJson(std::size_t bytes);
	static Workload make(std::size_t payloadBytes);

	/// {prefix}.{env}.{tenant}.{topic} with the default prefix.
	static std::string channel(const std::string& env);

	/// The CloudEvents envelope the bus sends for this payload, signed like the
	/// bus signs: raw rows publish these very bytes.
	std::string wire(bool signedEnvelope) const;
};

/// A bus configuration: env, transport, the plugins folder, then `overrides`.
Poco::AutoPtr<Poco::Util::MapConfiguration> busConfig(const BenchOptions& options, const std::string& transport,
	const std::string& env, const std::map<std::string, std::string>& overrides = {});

/// Resident set size of this process, from /proc/self/statm.
std::size_t residentBytes();

/// "AMD EPYC ..." from /proc/cpuinfo.
std::string cpuModel();

} // namespace bench
} // namespace eventbus
