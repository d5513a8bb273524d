//
// StreamsMetrics.h
//
// The series of the redis-streams transport: names and help declared once,
// here. Pending and lag are gauges: the last value read from the server.
//
#pragma once

#include "eventbus/Metrics.h"
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
};

} // namespace eventbus
