//
// StreamsMetrics.cpp
//
// The help text of every redis-streams series.
//
#include "StreamsMetrics.h"

namespace eventbus {

void StreamsMetrics::describe(Metrics& metrics)
{
	metrics.describe(Acked, "Stream entries acknowledged (XACK) after their handlers returned or rejected them.");
	metrics.describe(Redelivered, "Stream entries delivered again: retried after a handler failed, re-read after a reconnect, or reclaimed from an idle consumer.");
	metrics.describe(DeadLettered, "Stream entries moved to the dead-letter stream {channel}:dlq after eventbus.redis.streams.maxDeliveries deliveries.");
	metrics.describe(Rejected, "Stream entries acknowledged without a handler (duplicate, malformed, forged, unsubscribed), by reason.");
	metrics.describe(Gaps, "Possible losses seen on a stream: pending entries trimmed or deleted before they were handled (reason trimmed), a group lost and recreated (reason group-lost), a group that fell behind retention (reason behind-retention).");
	metrics.describe(Pending, "Entries of the consumer group not acknowledged yet (XPENDING), as last read.");
	metrics.describe(Lag, "Entries of the stream the consumer group has not read yet (XINFO GROUPS lag), as last read.");
}

} // namespace eventbus
