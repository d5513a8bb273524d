//
// ClusterStreamPublisher.h
//
// XADD on a Redis Cluster: one StreamPublisher per master, each event
// routed by its stream key's slot through the ClusterRouter. A MOVED reply
// (handed back by the node's publisher with the event and its completion)
// corrects the map and queues the event on the new owner; an ASK reply (the
// key already migrated, the slot not yet) sends it once with ASKING to the
// migration's target (ClusterCommander); a node that fails asks the router
// for a refresh, so that publishes reach a promoted replica.
//
#pragma once

#include "ClusterCommander.h"
#include "ClusterNodes.h"
#include "ClusterRouter.h"
#include "StreamPublisher.h"
#include "StreamsSettings.h"
#include "eventbus/Metrics.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace eventbus {

class ClusterStreamPublisher
{
public:
	ClusterStreamPublisher(const RedisSettings& redis, const StreamsSettings& streams, RedisSocketFactory socketFactory,
		Metrics& metrics, Poco::Logger& logger, std::shared_ptr<ClusterRouter> router,
		std::shared_ptr<ClusterCommander> commander);
	~ClusterStreamPublisher();

	ClusterStreamPublisher(const ClusterStreamPublisher&) = delete;
	ClusterStreamPublisher& operator=(const ClusterStreamPublisher&) = delete;

	/// Starts a publisher for every master the router knows.
	void start();

	/// Stops every node's publisher (as StreamPublisher::stop). Idempotent.
	void stop();

	/// As StreamPublisher::publish, on the owner of the key's slot, following
	/// up to 3 redirects.
	std::string publish(const std::string& key, const std::string& wire);

	/// As StreamPublisher::publishAsync, on the owner of the key's slot.
	void publishAsync(const std::string& key, const std::string& wire, StreamPublisher::Done done);

	/// The router's coverage, then every master's publisher.
	TransportHealth health();

private:
	std::shared_ptr<StreamPublisher> makeNode(const RedisNodeAddress& node);
	std::shared_ptr<StreamPublisher> nodeFor(const RedisNodeAddress& node);
	/// An event `node` answered MOVED or ASK to: re-sent to the owner (or, for ASK, the migration's target).
	void redirected(std::string key, std::string wire, StreamPublisher::Done done, const ClusterRedirect& redirect);
	/// `done` that asks the router for a refresh when the node failed.
	StreamPublisher::Done watching(StreamPublisher::Done done);
	/// XADD (and WAIT) with ASKING on the target of an ASK; returns the entry id.
	std::string asked(const ClusterRedirect& redirect, const std::string& key, const std::string& wire);

	const RedisSettings _redis;
	const StreamsSettings _streams;
	const RedisSocketFactory _socketFactory;
	Metrics& _metrics;
	Poco::Logger& _logger;
	const std::shared_ptr<ClusterRouter> _router;
	const std::shared_ptr<ClusterCommander> _commander;
	Counter& _redirects;
	Counter& _bufferDiscarded;

	ClusterNodes<StreamPublisher> _nodes;
};

} // namespace eventbus
