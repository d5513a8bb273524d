//
// ClusterRouter.h
//
// Where each key or sharded channel of a Redis Cluster lives: the slot map
// read with CLUSTER SLOTS from the seed nodes (eventbus.redis.cluster.nodes)
// or the masters known so far, refreshed by a watcher thread every
// eventbus.redis.cluster.refreshMs, at once when an owner asks (a MOVED
// reply, a node that stopped answering, a sharded subscription the server
// dropped), and corrected in place by MOVED. Owners of per-node connections
// (the cluster publisher and subscriber) are told when the map changed.
//
#pragma once

#include "ClusterRedirect.h"
#include "ClusterSlotMap.h"
#include "OwnedThread.h"
#include "RedisSettings.h"
#include "RedisSocket.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eventbus {

class ClusterRouter
{
public:
	/// Called on the watcher thread, without the router's lock, after the map changed.
	using Listener = std::function<void()>;

	/// `settings.topology.clusterNodes` are the seeds; every node is reached
	/// with `settings.forNode(node)` (the URL's login and TLS).
	ClusterRouter(const RedisSettings& settings, RedisSocketFactory socketFactory, Poco::Logger& logger);
	~ClusterRouter();

	ClusterRouter(const ClusterRouter&) = delete;
	ClusterRouter& operator=(const ClusterRouter&) = delete;

	/// Reads the map once (a failure only makes health() not ready) and
	/// starts the watcher.
	void start();

	/// Joins the watcher. Idempotent.
	void stop();

	/// Registers a listener; call before start().
	void onChange(Listener listener);

	/// The master serving `key`'s slot (hash tags honoured); false when the
	/// slot is uncovered or no map was read yet (a refresh is requested).
	bool ownerOf(const std::string& key, RedisNodeAddress& owner);

	/// The master serving `key`'s slot; throws TransportException naming the
	/// slot, `key` (escaped) and the coverage when none does.
	RedisNodeAddress owner(const std::string& key);

	/// The redirect that answered attempt `hop` (0-based) of a command: after
	/// MOVED, under MaxRedirects attempts, the map is corrected (moved()) and
	/// the caller tries again; else throws TransportException with its message.
	void follow(const ClusterRedirectedError& redirected, int hop);

	/// Attempts of one command that follow() allows.
	static constexpr int MaxRedirects = 3;

	/// A node answered MOVED: the slot is assigned to its target now and a
	/// refresh is requested (a MOVED usually means more slots moved).
	void moved(const ClusterRedirect& redirect);

	/// Asks the watcher for a refresh soon (at most one per 200 ms).
	void requestRefresh();

	/// The masters of the current map.
	std::vector<RedisNodeAddress> masters() const;

	/// Bumped each time the map changes.
	std::uint64_t version() const;

	/// Ready when every slot is covered: "cluster: N masters, S/16384 slots covered".
	TransportHealth health() const;

	/// Reads CLUSTER SLOTS from the known masters, then the seeds, until one
	/// answers; true when the map changed. Throws RedisError (Unreachable)
	/// naming the nodes asked when none answers.
	bool refresh();

private:
	void watch();
	void notify();

	const RedisSettings _settings;
	const RedisSocketFactory _socketFactory;
	Poco::Logger& _logger;
	const std::chrono::milliseconds _interval;

	mutable std::mutex _mutex;
	std::condition_variable _wake;
	std::shared_ptr<const ClusterSlotMap> _map; // null until the first answer
	std::uint64_t _version = 0;
	std::string _lastError;
	bool _refreshRequested = false;
	bool _stopping = false;
	std::vector<Listener> _listeners;
	OwnedThread _watcher;
};

} // namespace eventbus
