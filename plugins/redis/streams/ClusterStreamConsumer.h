//
// ClusterStreamConsumer.h
//
// Consuming streams on a Redis Cluster: one StreamConsumer per master, each
// reading only the stream keys its node serves (ClusterRouter), one
// XREADGROUP per slot. Every subscription is held by every node's consumer,
// so that when a slot moves (a migration, a replica promoted) the stream is
// read on its new owner with no re-subscription: the key carries its
// consumer groups and pending entries along (MIGRATE, replication), and the
// new owner's consumer re-reads this consumer's pending entries first. A
// group of a single stream is created on its owner before subscribe()
// returns (ClusterCommander); pattern subscriptions are discovered with SCAN
// on every node. A mover thread adds consumers for new masters and retires
// those of nodes that stopped being masters.
//
#pragma once

#include "ClusterCommander.h"
#include "ClusterRouter.h"
#include "OwnedThread.h"
#include "StreamConsumer.h"
#include "StreamsSettings.h"
#include "eventbus/Metrics.h"
#include "eventbus/Redactor.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace eventbus {

class ClusterStreamConsumer
{
public:
	/// Registers with `router` (onChange): construct before router->start().
	ClusterStreamConsumer(const RedisSettings& redis, const StreamsSettings& streams, RedisSocketFactory socketFactory,
		Metrics& metrics, Poco::Logger& logger, const Redactor& redactor, TransportListener* listener,
		std::shared_ptr<ClusterRouter> router, std::shared_ptr<ClusterCommander> commander);
	~ClusterStreamConsumer();

	ClusterStreamConsumer(const ClusterStreamConsumer&) = delete;
	ClusterStreamConsumer& operator=(const ClusterStreamConsumer&) = delete;

	/// A consumer for every master the router knows, and the mover thread.
	void start();

	/// Joins the mover and stops every node's consumer; no callback runs after. Idempotent.
	void stop();

	/// As StreamConsumer::subscribe, on every node: a single stream's group is
	/// created on the stream's owner first (AccessDeniedException when the ACL
	/// user may not).
	std::uint64_t subscribe(const ChannelSubscription& subscription, DeliveryCallback callback);

	void unsubscribe(std::uint64_t id);

	/// Ready when every slot is covered and every node's consumer is.
	TransportHealth health() const;

private:
	struct Node
	{
		RedisNodeAddress address;
		std::shared_ptr<StreamConsumer> consumer;
	};
	struct Entry
	{
		ChannelSubscription subscription;
		DeliveryCallback callback;
		std::map<std::string, std::uint64_t> nodeIds; // node host:port -> the node consumer's id
	};

	std::shared_ptr<StreamConsumer> makeNode(const RedisNodeAddress& address);
	void createGroup(const ChannelSubscription& subscription, const std::string& group);
	void run();
	/// Consumers for new masters (with every subscription), retired for old ones.
	void reconcile();
	void wake();

	const RedisSettings _redis;
	const StreamsSettings _streams;
	const RedisSocketFactory _socketFactory;
	Metrics& _metrics;
	Poco::Logger& _logger;
	const Redactor& _redactor;
	TransportListener* const _listener;
	const std::shared_ptr<ClusterRouter> _router;
	const std::shared_ptr<ClusterCommander> _commander;
	Counter& _redirects;

	std::mutex _placeMutex; // subscribe() and reconcile(), one at a time; never taken with _mutex held
	mutable std::mutex _mutex;
	std::condition_variable _wake;
	std::map<std::string, Node> _nodes; // by host:port
	std::map<std::uint64_t, Entry> _entries;
	std::uint64_t _nextId = 0;
	std::uint64_t _seenVersion = 0;
	bool _wakeRequested = false;
	bool _stopping = false;
	OwnedThread _mover;
};

} // namespace eventbus
