//
// StreamConsumer.h
//
// The subscribing side of redis-streams: one reader connection and thread
// per transport, reading every subscribed stream with XREADGROUP in its
// subscription's consumer group. The reader's jobs, each its own function:
// ensure the groups exist (XGROUP CREATE ... MKSTREAM, recreated with a gap
// after NOGROUP), re-read this consumer's own pending entries after every
// (re)connect, read new entries within the in-flight bound, retry failed
// entries after their backoff (XCLAIM to itself), reclaim idle entries of
// any consumer of the group (XAUTOCLAIM), discover the streams of pattern
// subscriptions (SCAN), and read pending and lag for the metrics. Entries go
// to a StreamDelivery, which runs the callbacks and acknowledges.
//
#pragma once

#include "OwnedThread.h"
#include "Backoff.h"
#include "ClusterRedirect.h"
#include "RedisCommands.h"
#include "eventbus/RateLimitedLog.h"
#include "RedisConnection.h"
#include "RedisSettings.h"
#include "StreamDelivery.h"
#include "StreamsSettings.h"
#include "eventbus/Metrics.h"
#include "eventbus/Redactor.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace eventbus {

class StreamConsumer
{
public:
	StreamConsumer(const RedisSettings& redis, const StreamsSettings& streams, RedisSocketFactory socketFactory,
		Metrics& metrics, Poco::Logger& logger, const Redactor& redactor, TransportListener* listener);
	~StreamConsumer();

	StreamConsumer(const StreamConsumer&) = delete;
	StreamConsumer& operator=(const StreamConsumer&) = delete;

	void start();

	/// Joins the reader and the dispatcher; no callback runs after it returns.
	/// Entries in flight stay pending in Redis (redelivered). Idempotent.
	void stop();

	/// Joins the subscription's group (its `group`, else the configured one):
	/// creates it on the stream (or, for a pattern, on every stream SCAN finds
	/// now) before it returns, so what is published afterwards reaches it.
	/// With the server unreachable it returns at once and the reader creates
	/// the group when connected (health() says not ready meanwhile). Throws
	/// AccessDeniedException when the ACL user may not use the stream.
	std::uint64_t subscribe(const ChannelSubscription& subscription, DeliveryCallback callback);

	/// Once it returns, the callback is not called again (unless from inside it).
	void unsubscribe(std::uint64_t id);

	/// Ready when connected and every group exists.
	TransportHealth health() const;

	/// What a consumer of one Redis Cluster node needs from the cluster.
	struct ClusterHooks
	{
		/// True when `key`'s slot is served by this consumer's node (map of now).
		std::function<bool(const std::string& key)> owns;
		/// A MOVED or ASK reply this node sent for a stream key (the text, the node's address).
		std::function<void(const ClusterRedirect& redirect)> redirected;
		/// Writes a dead letter (XADD to {channel}:dlq, another slot) on its owner (StreamDelivery::DeadLetterWriter).
		std::function<std::string(const Command& xadd)> deadLetter;
		/// Keys of several slots cannot share an XREADGROUP: one read per slot,
		/// pipelined, the last blocking at most this long (doubling while
		/// nothing arrives, up to blockMs).
		int pollMs = 10;
	};
	/// Reads only the keys `hooks.owns`, one XREADGROUP per slot; the cluster
	/// creates the groups of single-stream subscriptions. Before start().
	void cluster(ClusterHooks hooks);

	/// The slot map changed: the read set is computed again, pattern streams
	/// discovered again, at once.
	void topologyChanged();

	/// The consumer name this process reads as.
	const std::string& consumerName() const { return _streams.consumer; }

private:
	using Clock = std::chrono::steady_clock;
	struct Subscription
	{
		std::string group;
		std::string channel;
		bool pattern = false;
		StreamTargetPtr target;
	};
	/// Reader thread only: what it knows of one stream of one group.
	struct StreamState
	{
		bool created = false;      // XGROUP CREATE answered on this connection
		bool everCreated = false;  // ... on any connection: a later creation is a lost group
		bool fromStart = false;    // discovered after its subscription: the group reads it from its start
		bool history = true;       // re-reading this consumer's pending entries
		std::string historyCursor = "0";
		std::string claimCursor = "0-0";
		bool behind = false;       // behind retention, reported
	};
	struct Retry
	{
		Clock::time_point due;
		DueEntry entry;
	};
	using StreamId = std::pair<std::string, std::string>; // group, key

	void run();
	void session(RedisConnection& connection);
	/// Groups -> stream keys -> callbacks of the current subscriptions (and discovered streams).
	std::map<std::string, std::map<std::string, std::vector<StreamTargetPtr>>> readSet() const;
	bool ensureGroups(RedisConnection& connection, const std::map<std::string, std::map<std::string, std::vector<StreamTargetPtr>>>& set);
	/// XGROUP CREATE; true when it exists now, false when it was just made. Throws RedisError.
	static bool createGroup(RedisConnection& connection, const std::string& key, const std::string& group, bool fromBeginning);
	void readHistory(RedisConnection& connection, const std::string& group, const std::string& key, StreamState& state);
	void readNew(RedisConnection& connection, const std::string& group,
		const std::map<std::string, std::vector<StreamTargetPtr>>& streams, int blockMs);
	/// On a cluster: readNew with one XREADGROUP per slot, pipelined.
	void readNewBySlot(RedisConnection& connection, const std::string& group, const std::vector<std::string>& keys,
		std::size_t room, int blockMs);
	/// A redirect in an error text (cluster only): told to the cluster; true when it was one.
	bool redirectedBy(const std::string& error);
	void retryDue(RedisConnection& connection);
	void claim(RedisConnection& connection, const std::string& group, const std::string& key, StreamState& state);
	void discover(RedisConnection& connection);
	/// Pending and lag of the group on the stream (XINFO); a group that fell
	/// behind retention is reported as a gap. {pending, lag}.
	std::pair<std::uint64_t, std::uint64_t> observe(RedisConnection& connection, const std::string& group,
		const std::string& key, StreamState& state);
	/// Hands entries to the dispatcher, skipping those in flight; deleted ones
	/// are acknowledged and counted; over maxDeliveries go to the dead-letter stream.
	void dispatch(RedisConnection& connection, const std::string& group, std::vector<StreamEntry>& entries,
		bool redelivery);
	/// The callbacks of the current subscriptions of the group that cover the stream.
	std::vector<StreamTargetPtr> targetsLocked(const std::string& group, const std::string& key) const;
	void countsOf(RedisConnection& connection, const std::string& group, std::vector<StreamEntry>& entries);
	void acknowledgeDeleted(RedisConnection& connection, const std::string& group, const std::string& key,
		const std::vector<std::string>& ids);
	/// The error reply of a stream command: NOGROUP marks the group for recreation.
	void streamError(const std::string& group, const std::string& key, const std::string& error);
	void gap(const std::string& reason);
	std::size_t capacity() const;
	int retryDelayMs(std::uint32_t deliveryCount) const;
	void settled(const std::vector<std::string>& keys);
	void failed(DueEntry&& entry);
	void unblockReader();

	const RedisSettings _redis;
	const StreamsSettings _streams;
	const RedisSocketFactory _socketFactory;
	Metrics& _metrics;
	Poco::Logger& _logger;
	const Redactor& _redactor;
	TransportListener* const _listener;
	Counter& _reconnects;
	Counter& _redelivered;
	Counter& _trimmed;
	Counter& _groupLost;
	Counter& _behind;
	RateLimitedLog _errorLog;
	RateLimitedLog _gapLog;
	StreamDelivery _delivery;

	std::map<StreamId, StreamState> _state;           // reader thread only
	Clock::time_point _nextClaim{};                   // reader thread only
	bool _refused = false;                            // reader thread only: an error reply this round
	Clock::time_point _nextDiscovery{};               // reader thread only
	ClusterHooks _cluster;                            // set before start(); `owns` empty when standalone
	std::atomic<bool> _discoverNow{false};
	int _pollWaitMs = 10;                             // reader thread only: cluster poll wait now
	unsigned _hotSlot = 0;                            // reader thread only: the slot that had entries last

	mutable std::mutex _mutex;
	std::condition_variable _changed;
	std::map<std::uint64_t, Subscription> _subscriptions;
	std::map<std::string, std::set<std::string>> _discovered; // pattern -> stream keys
	std::set<std::string> _inFlight;                  // DueEntry::inFlightKey of entries read, not settled
	std::vector<Retry> _retries;
	std::uint64_t _nextId = 0;
	std::uint64_t _changes = 0;                       // bumped when the read set changes
	bool _connected = false;
	bool _groupsReady = false;
	std::string _lastError;
	bool _stopping = false;
	std::atomic<long long> _readerClientId{0};
	OwnedThread _thread;
};

} // namespace eventbus
