//
// StreamPublisher.h
//
// The publishing side of redis-streams: XADD with bounded retention on one
// connection owned by a sender thread. publish() and publishAsync() both
// queue, in call order; the sender sends the queue pipelined in batches
// (optionally followed by WAIT for replicas) and completes each publish with
// its entry id or its error. The queue is also the outage buffer of
// eventbus.redis.onOutage=buffer. No network I/O under the mutex.
//
#pragma once

#include "OwnedThread.h"
#include "Backoff.h"
#include "ClusterRedirect.h"
#include "RedisConnection.h"
#include "RedisSettings.h"
#include "StreamsSettings.h"
#include "eventbus/Metrics.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace eventbus {

class StreamPublisher
{
public:
	/// Completion with the entry id, or the error (id "").
	using Done = std::function<void(const std::string& entryId, std::exception_ptr error)>;

	StreamPublisher(const RedisSettings& redis, const StreamsSettings& streams, RedisSocketFactory socketFactory,
		Metrics& metrics, Poco::Logger& logger);
	~StreamPublisher();

	StreamPublisher(const StreamPublisher&) = delete;
	StreamPublisher& operator=(const StreamPublisher&) = delete;

	/// Starts the sender thread, which connects at once.
	void start();

	/// Gives the sender up to eventbus.redis.commandTimeoutMs to flush the
	/// queue, then joins it; queued publishes complete with a TransportException,
	/// buffered ones are logged and counted (dropped, reason buffer-discarded).
	/// Idempotent.
	void stop();

	/// XADD, waiting for the reply (and WAIT, when configured); returns the
	/// entry id. Throws AccessDeniedException (NOPERM, WRONGPASS: never
	/// buffered), OutcomeUnknownException (written, no reply), TransportException
	/// ("replicated to k of n" when WAIT fell short, or the outage with
	/// onOutage=fail); with onOutage=buffer during an outage it buffers the
	/// event and returns "" (OverflowException when the buffer is full).
	std::string publish(const std::string& key, const std::string& wire);

	/// Queues the XADD; `done` gets the entry id or the error, once. Throws
	/// OverflowException (without calling `done`) when the queue is full.
	void publishAsync(const std::string& key, const std::string& wire, Done done);

	/// On a cluster: an event the node answered MOVED or ASK to goes to
	/// `handler` with its completion (empty for a buffered event nobody waits
	/// for), on the sender thread with no lock held, instead of completing
	/// with an error. Set before start().
	using Redirected = std::function<void(std::string key, std::string wire, Done done, const ClusterRedirect& redirect)>;
	void onRedirect(Redirected handler) { _onRedirect = std::move(handler); }

	/// The answer to WAIT after a publish on `endpoint`: "" when it reached
	/// eventbus.redis.streams.waitReplicas, else the message that says it did not.
	static std::string replicationShortfall(const std::string& endpoint, const redisReply& waited,
		const StreamsSettings& streams);

	/// Ready while the connection answers (a PING every healthIntervalMs when idle).
	TransportHealth health() const;

private:
	using Clock = std::chrono::steady_clock;
	struct Pending
	{
		std::string key;
		std::string wire;
		Done done; ///< empty for a buffered publish() that already returned
		bool sync = false; ///< a publish() waiting: buffered (and released) when an outage begins
		bool direct = false; ///< sent by publish() on the sender thread itself: completes here, even when redirected
	};
	struct Completion
	{
		Done done;
		std::string id;
		std::exception_ptr error;
	};
	using Completions = std::vector<Completion>;

	void run();
	bool connect();
	void heartbeat();
	/// Sends one batch on the connection; fills `completions`, moves what must
	/// be sent again to `retry`; false when the connection failed.
	bool sendBatch(std::vector<Pending>& batch, Completions& completions, std::vector<Pending>& retry);
	void enqueueLocked(Pending&& pending, const std::string& outageCause);
	std::exception_ptr unavailableLocked() const;
	void failQueuedLocked(Completions& completions);
	/// onOutage=buffer: the publish() calls waiting return, their events stay buffered.
	void releaseWaitingLocked(Completions& completions);
	std::string minId() const;
	static void complete(Completions& completions);

	const RedisSettings _redis;
	const StreamsSettings _streams;
	const RedisSocketFactory _socketFactory;
	Poco::Logger& _logger;
	Counter& _bufferDiscarded;
	Counter& _aclDenied;
	Redirected _onRedirect;

	std::unique_ptr<RedisConnection> _connection; // sender thread only
	Backoff _backoff;                              // sender thread only
	std::string _commands;                         // sender thread only

	mutable std::mutex _mutex;
	std::condition_variable _wake;
	bool _connected = false;
	std::string _connectedTo; ///< host:port of the connection, once connected
	bool _denied = false;            // the last failure was WRONGPASS / NOPERM at login
	std::string _lastError;
	Clock::time_point _nextAttempt{};
	bool _outageLogged = false;
	std::deque<Pending> _queue;
	std::size_t _queueBytes = 0;     // queued and in flight
	bool _stopped = false;
	OwnedThread _sender;
};

} // namespace eventbus
