//
// RedisMetrics.h
//
// The metric series of the Redis plugin: every name, its help text and the
// label values its transports use, declared once here.
//
#pragma once

#include "eventbus/Metrics.h"

namespace eventbus {

/// The plugin's own series and its labels on the bus's shared series
/// (eventbus_events_dropped_total, eventbus_publish_failures_total,
/// eventbus_reconnects_total). Transports take their counters through these
/// functions, so a name or a label is spelled in one place.
class RedisMetrics
{
public:
	/// Publishes and subscriptions the server's ACL refused (NOPERM), by operation.
	static constexpr const char* AclDenied = "eventbus_acl_denied_total";
	static constexpr const char* AclDeniedHelp = "Operations the Redis ACL refused (NOPERM), by operation.";

	/// The transport label of every series the plugin writes.
	static constexpr const char* Transport = "redis";

	/// Reasons of eventbus_events_dropped_total.
	static constexpr const char* DroppedOverflow = "overflow";             ///< delivery queue full
	static constexpr const char* DroppedOversized = "oversized";           ///< over eventbus.redis.maxMessageBytes
	static constexpr const char* DroppedBufferDiscarded = "buffer-discarded"; ///< buffered at shutdown
	/// Reason of eventbus_publish_failures_total for a buffered event the server refused.
	static constexpr const char* FailedServerRefused = "server-refused";
	/// Reason of eventbus_publish_failures_total for the classic-PUBLISH copy
	/// a cluster sends for pattern subscribers (eventbus.redis.cluster.allTenants=mirror).
	static constexpr const char* FailedClusterMirror = "cluster-mirror";
	/// MOVED / ASK replies a cluster node sent, by command kind.
	static constexpr const char* ClusterRedirects = "eventbus_cluster_redirects_total";
	static constexpr const char* ClusterRedirectsHelp = "MOVED and ASK replies from Redis Cluster nodes, by operation.";

	/// eventbus_acl_denied_total{transport="redis", operation=...} ("publish" or "subscribe"),
	/// its help declared in the registry.
	static Counter& aclDenied(Metrics& metrics, const char* operation)
	{
		metrics.describe(AclDenied, AclDeniedHelp);
		return metrics.counter(AclDenied, {{"transport", Transport}, {"operation", operation}});
	}

	/// eventbus_events_dropped_total{transport="redis", reason=...}.
	static Counter& dropped(Metrics& metrics, const char* reason)
	{
		return metrics.counter(Metrics::Dropped, {{"transport", Transport}, {"reason", reason}});
	}

	/// eventbus_publish_failures_total{transport="redis", reason=...}.
	static Counter& publishFailed(Metrics& metrics, const char* reason)
	{
		return metrics.counter(Metrics::PublishFailed, {{"transport", Transport}, {"reason", reason}});
	}

	/// eventbus_cluster_redirects_total{transport="redis", operation=...}.
	static Counter& clusterRedirects(Metrics& metrics, const char* operation)
	{
		metrics.describe(ClusterRedirects, ClusterRedirectsHelp);
		return metrics.counter(ClusterRedirects, {{"transport", Transport}, {"operation", operation}});
	}
	/// eventbus_reconnects_total{transport="redis"}.
	static Counter& reconnects(Metrics& metrics)
	{
		return metrics.counter(Metrics::Reconnects, {{"transport", Transport}});
	}
};

} // namespace eventbus
