//
// StreamsMetrics.h
//
// The series of the redis-streams transport: names and help declared once,
// here. The registry has no gauge type: pending and lag are counters set to
// the last value read from the server (exported as counters; use them as
// gauges, never with rate()).
//
#pragma once

#include "eventbus/Metrics.h"
#include <cstdint>
#include <string>

namespace eventbus {

struct StreamsMetrics
{
	static constexpr const char* Acked = "eventbus_streams_acked_total";
	static constexpr const char* Redelivered = "eventbus_streams_redelivered_total";
	static constexpr const char* DeadLettered = "eventbus_streams_dead_lettered_total";
	static constexpr const char* Rejected = "eventbus_streams_rejected_total";
	static constexpr const char* Gaps = "eventbus_streams_gap_total";
	static constexpr const char* Pending = "eventbus_streams_pending";
	static constexpr const char* Lag = "eventbus_streams_lag";

	/// Declares every family's help text on the registry.
	static void describe(Metrics& metrics);

	/// Sets a gauge-like counter to `value`.
	static void set(Counter& counter, std::uint64_t value);
};

} // namespace eventbus
