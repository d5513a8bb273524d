//
// ClusterPublisher.h
//
// Publishing on a Redis Cluster: one RedisPublisher (SPUBLISH, sharded
// Pub/Sub) per master, the event routed by its channel's slot through the
// ClusterRouter. A MOVED reply re-routes the event to the new owner (the
// map is corrected at once and refreshed); a node that fails asks the
// router for a refresh, so that publishes reach a promoted replica. With
// eventbus.redis.cluster.allTenants=mirror each event is also sent once
// with classic PUBLISH (which a cluster broadcasts to every node) for the
// pattern subscribers sharded Pub/Sub cannot serve.
//
#pragma once

#include "ClusterNodes.h"
#include "ClusterRouter.h"
#include "RedisPublisher.h"
#include "RedisSettings.h"
#include "eventbus/Metrics.h"
#include "eventbus/RateLimitedLog.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace eventbus {

class ClusterPublisher
{
public:
	ClusterPublisher(const RedisSettings& settings, RedisSocketFactory socketFactory, Metrics& metrics,
		Poco::Logger& logger, std::shared_ptr<ClusterRouter> router);
	~ClusterPublisher();

	ClusterPublisher(const ClusterPublisher&) = delete;
	ClusterPublisher& operator=(const ClusterPublisher&) = delete;

	/// Starts a publisher for every master the router knows.
	void start();

	/// Stops every node's publisher (each flushes as RedisPublisher::stop says). Idempotent.
	void stop();

	/// As RedisPublisher::publish, on the node owning the channel's slot;
	/// follows up to 3 MOVED replies. Throws TransportException when no node
	/// serves the slot (the cluster is not fully covered).
	void publish(const std::string& channel, const std::string& wire);

	/// As RedisPublisher::publishAsync, on the node owning the channel's slot.
	void publishAsync(const std::string& channel, const std::string& wire, PublishCallback done);

	/// The router's coverage, then every master's publisher (PING).
	TransportHealth health();

private:
	std::shared_ptr<RedisPublisher> nodeFor(const RedisNodeAddress& node);
	std::shared_ptr<RedisPublisher> route(const std::string& channel);
	void mirror(const std::shared_ptr<RedisPublisher>& node, const std::string& channel, const std::string& wire);
	/// On a node's sender thread: an event the node redirected.
	void redirected(const RedisNodeAddress& from, const std::string& channel, const std::string& wire,
		PublishCallback done, const ClusterRedirect& redirect);
	/// `done` that asks the router for a refresh when the node failed.
	PublishCallback watching(PublishCallback done);

	const RedisSettings _settings;
	const RedisSocketFactory _socketFactory;
	Metrics& _metrics;
	Poco::Logger& _logger;
	const std::shared_ptr<ClusterRouter> _router;
	Counter& _redirects;
	Counter& _mirrorFailed;
	Counter& _bufferDiscarded;
	RateLimitedLog _mirrorLog;

	ClusterNodes<RedisPublisher> _nodes;
};

} // namespace eventbus
