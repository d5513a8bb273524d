//
// ClusterSubscriber.h
//
// Subscribing on a Redis Cluster: sharded Pub/Sub (SSUBSCRIBE), one
// RedisSubscriber per master, each channel subscribed on the node owning its
// slot. A mover thread re-subscribes a channel on its new owner when the
// slot moved (the node sent `sunsubscribe`, answered MOVED, or the router's
// map says so after a replica promotion) and reports each move to the
// listener as a gap: what was published between the move and the new
// subscription is lost. Pattern subscriptions (--all-tenants) have no
// sharded form: with eventbus.redis.cluster.allTenants=mirror they are
// classic PSUBSCRIBEs on one master (publishers mirror every event with
// classic PUBLISH); without it they are refused.
//
#pragma once

#include "ClusterRouter.h"
#include "OwnedThread.h"
#include "RedisSettings.h"
#include "RedisSubscriber.h"
#include "eventbus/Metrics.h"
#include "eventbus/Redactor.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace eventbus {

class ClusterSubscriber
{
public:
	/// Registers with `router` (onChange): construct before router->start().
	ClusterSubscriber(const RedisSettings& settings, RedisSocketFactory socketFactory, Metrics& metrics,
		Poco::Logger& logger, const Redactor& redactor, TransportListener* listener, std::shared_ptr<ClusterRouter> router);
	~ClusterSubscriber();

	ClusterSubscriber(const ClusterSubscriber&) = delete;
	ClusterSubscriber& operator=(const ClusterSubscriber&) = delete;

	/// Starts the mover thread.
	void start();

	/// Joins the mover and stops every node's subscriber; no callback runs after. Idempotent.
	void stop();

	/// As RedisSubscriber::subscribe, on the node owning the channel's slot
	/// (following up to 3 MOVED). A pattern: ConfigException unless
	/// eventbus.redis.cluster.allTenants=mirror. TransportException when no
	/// node serves the slot.
	std::uint64_t subscribe(const ChannelSubscription& subscription, DeliveryCallback callback);

	void unsubscribe(std::uint64_t id);

	/// Ready when every slot is covered and every node's subscriber is.
	TransportHealth health() const;

	/// Channels moved to another node (or re-subscribed) since start.
	std::uint64_t moves() const;

private:
	struct Entry
	{
		ChannelSubscription subscription;
		DeliveryCallback callback;
		std::string node;          // key in _nodes
		RedisNodeAddress address;
		std::uint64_t nodeId = 0;  // the id the node's subscriber gave it
	};

	static std::string nodeKey(const RedisNodeAddress& node, bool sharded);
	std::shared_ptr<RedisSubscriber> nodeFor(const RedisNodeAddress& node, bool sharded);
	std::shared_ptr<RedisSubscriber> existing(const std::string& key) const;
	/// Subscribes on the node that owns the channel (or on `target`); returns the node's id.
	std::uint64_t place(const Entry& entry, const RedisNodeAddress& target, bool sharded);
	void run();
	void rebalance();
	void moveChannel(const std::string& channel, bool pattern, const std::vector<std::uint64_t>& ids,
		const RedisNodeAddress& target, bool resubscribe);
	void retire();
	void gap(const std::string& reason);

	const RedisSettings _settings;
	const RedisSocketFactory _socketFactory;
	Metrics& _metrics;
	Poco::Logger& _logger;
	const Redactor& _redactor;
	TransportListener* const _listener;
	const std::shared_ptr<ClusterRouter> _router;
	Counter& _redirects;

	mutable std::mutex _mutex;
	std::condition_variable _wake;
	std::map<std::string, std::shared_ptr<RedisSubscriber>> _nodes; // "s host:port" sharded, "c host:port" classic
	std::map<std::uint64_t, Entry> _entries;
	std::set<std::string> _dropped; // channels a node dropped, to re-subscribe
	std::uint64_t _nextId = 0;
	std::uint64_t _seenVersion = 0;
	std::uint64_t _moves = 0;
	bool _wakeRequested = false;
	bool _stopping = false;
	std::mutex _moveMutex; // one rebalance at a time (the mover's), never with _mutex held
	OwnedThread _mover;
};

} // namespace eventbus
