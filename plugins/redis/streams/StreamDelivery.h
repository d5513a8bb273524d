//
// StreamDelivery.h
//
// The dispatcher side of the redis-streams consumer: entries the reader read
// are handed here and run, on this one thread, through the callbacks of
// their subscriptions (each behind its CallbackGate). The callbacks' answers
// decide each entry's fate on a connection of this thread's own: Handled and
// Rejected are acknowledged (XACK, pipelined per batch), Failed goes back to
// the reader for a retry, or, after maxDeliveries, to the dead-letter stream
// {channel}:dlq and is acknowledged. The reader never runs user code.
//
#pragma once

#include "OwnedThread.h"
#include "Backoff.h"
#include "RedisConnection.h"
#include "eventbus/RateLimitedLog.h"
#include "RedisSettings.h"
#include "StreamCommands.h"
#include "StreamsSettings.h"
#include "eventbus/CallbackGate.h"
#include "eventbus/Metrics.h"
#include "eventbus/Redactor.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eventbus {

/// The callback of one subscription and the gate unsubscribe() closes.
struct StreamTarget
{
	explicit StreamTarget(DeliveryCallback cb): callback(std::move(cb)) {}
	const DeliveryCallback callback;
	CallbackGate gate;
};
using StreamTargetPtr = std::shared_ptr<StreamTarget>;

/// An entry read for a group, on its way to the callbacks.
struct DueEntry
{
	std::string group;
	StreamEntry entry;
	std::vector<StreamTargetPtr> targets;
	std::string lastError;      ///< the last failure's reason (for the dead-letter record)
	bool deadLetterOnly = false; ///< over maxDeliveries already (reclaimed): dead-letter without delivering

	/// Identifies the entry among the consumer's in-flight ones.
	std::string inFlightKey() const { return group + '\n' + entry.key + '\n' + entry.id; }
};

class StreamDelivery
{
public:
	/// Told (from this thread) which entries are settled: acknowledged, or
	/// left pending for another consumer because no subscription took them.
	using Settled = std::function<void(const std::vector<std::string>& inFlightKeys)>;
	/// Told (from this thread) of an entry whose handler failed, for a retry.
	using Failed = std::function<void(DueEntry&& entry)>;

	/// Writes one dead letter (an XADD): "" when written, the server's error
	/// when refused; throws (RedisError, TransportException) when it could not be sent.
	using DeadLetterWriter = std::function<std::string(const Command& xadd)>;

	StreamDelivery(const RedisSettings& redis, const StreamsSettings& streams, RedisSocketFactory socketFactory,
		Metrics& metrics, Poco::Logger& logger, const Redactor& redactor, Settled settled, Failed failed);
	~StreamDelivery();

	StreamDelivery(const StreamDelivery&) = delete;
	StreamDelivery& operator=(const StreamDelivery&) = delete;

	void start();

	/// Discards what is queued (it stays pending in Redis), sends the
	/// acknowledgements already due once, joins the thread. No callback runs
	/// after it returns, unless called from a callback. Idempotent.
	void stop();

	/// Dead letters through `writer` (a cluster: the dead-letter stream is on
	/// another slot) instead of this delivery's connection. Before start().
	void deadLetterWriter(DeadLetterWriter writer) { _deadLetterWriter = std::move(writer); }

	/// Queues entries in order (the reader bounds them by maxInFlight).
	void offer(std::vector<DueEntry>&& entries);

private:
	struct Settlement
	{
		std::string group;
		std::string key;
		std::string id;
		std::string inFlightKey;
		Command deadLetter; ///< empty: acknowledge only
		bool deadLettered = false; ///< its dead letter is written
	};

	void run();
	DeliveryResult deliver(const DueEntry& due);
	Command deadLetterCommand(const DueEntry& due, const std::string& reason) const;
	/// Sends the acknowledgements and dead letters; false when the connection failed.
	bool settle(std::vector<Settlement>& settlements);

	const RedisSettings _redis;
	const StreamsSettings _streams;
	const RedisSocketFactory _socketFactory;
	Metrics& _metrics;
	Poco::Logger& _logger;
	const Redactor& _redactor;
	const Settled _settled;
	const Failed _failed;
	Counter& _acked;
	Counter& _deadLettered;
	RateLimitedLog _deadLetterLog;
	RateLimitedLog _ackLog;
	DeadLetterWriter _deadLetterWriter;

	std::unique_ptr<RedisConnection> _connection; // dispatcher thread only (and stop() after the join)
	Backoff _backoff;                              // dispatcher thread only
	std::vector<Settlement> _unsettled;            // dispatcher thread only: due, not sent yet

	std::mutex _mutex;
	std::condition_variable _ready;
	std::vector<DueEntry> _queue;
	bool _stopping = false;
	OwnedThread _thread;
};

} // namespace eventbus
