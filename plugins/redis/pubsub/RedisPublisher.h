//
// RedisPublisher.h
//
// The publishing side: one connection, used by one thread at a time and
// never under the state mutex (it is taken under the lock, used without it).
// publish() waits for the server's reply to its PUBLISH; publishAsync()
// queues, and a sender thread sends the queue pipelined in call order
// (RedisPublisherSender.cpp). The same queue is the outage buffer of
// onOutage=buffer, flushed in order once the server is back.
//
#pragma once

#include "OwnedThread.h"
#include "Backoff.h"
#include "ClusterRedirect.h"
#include "RedisConnection.h"
#include "RedisSettings.h"
#include "eventbus/Metrics.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace eventbus {

class RedisPublisher
{
public:
	/// An event a cluster node redirected (MOVED or ASK): `done` is empty for
	/// a buffered one. Called on the sender thread, without the lock.
	using RedirectHandler = std::function<void(const std::string& channel, const std::string& wire,
		PublishCallback done, const ClusterRedirect& redirect)>;

	/// `sharded`: SPUBLISH instead of PUBLISH (one node of a Redis Cluster).
	RedisPublisher(const RedisSettings& settings, RedisSocketFactory socketFactory,
		Metrics& metrics, Poco::Logger& logger, bool sharded = false);
	~RedisPublisher();

	RedisPublisher(const RedisPublisher&) = delete;
	RedisPublisher& operator=(const RedisPublisher&) = delete;

	/// Tries a first connection (a failure only makes health() not ready) and
	/// starts the sender thread.
	void start();

	/// On a cluster node: a MOVED or ASK reply is not a failure; publish()
	/// throws ClusterRedirectedError and a queued event goes to `handler`.
	/// Call before start().
	void onRedirect(RedirectHandler handler);

	/// Gives the sender up to eventbus.redis.commandTimeoutMs to flush the
	/// queue, then joins it and closes the connection. What is still queued
	/// is not sent: asynchronous publishes complete with a TransportException,
	/// buffered ones are logged and counted (dropped, reason buffer-discarded).
	/// Idempotent.
	void stop();

	/// PUBLISH channel wire, waiting for the server's reply (after the
	/// asynchronous publishes queued before it). The number of receivers it
	/// returns is not an acknowledgement and is ignored. Throws
	/// AccessDeniedException when the ACL user may not publish on the channel
	/// (never buffered or retried), OutcomeUnknownException when the PUBLISH
	/// was written and no reply came (it may be delivered; never buffered or
	/// retried), TransportException naming host:port and the cause when it
	/// never reached the server (onOutage=fail), or
	/// buffers the event (onOutage=buffer) and throws OverflowException when
	/// the buffer is full.
	void publish(const std::string& channel, const std::string& wire);

	/// Queues the PUBLISH; `done` gets null once the server replied, or the
	/// error (OutcomeUnknownException when it was written and no reply came,
	/// whatever the policy). onOutage=fail: during an outage `done` gets the error at once;
	/// onOutage=buffer: the event waits for the server. Throws OverflowException
	/// (without calling `done`) when the queue is full.
	/// `classic`: PUBLISH even on a sharded publisher (the cluster's mirror
	/// for pattern subscribers, which sharded Pub/Sub cannot serve).
	/// `borrow`: channel and wire stay valid until `done` is called (the
	/// transport's publishAsync): queued without a copy.
	void publishAsync(const std::string& channel, const std::string& wire, PublishCallback done, bool classic = false,
		bool borrow = false);

	/// Queues an event another node redirected here, as it was: `done` empty
	/// for a buffered event. Throws OverflowException when the queue is full.
	void requeue(const std::string& channel, const std::string& wire, PublishCallback done);

	/// Ready when the connection answers PING within the command timeout.
	TransportHealth health();

	/// Events queued (asynchronous or buffered).
	std::size_t queued() const;

private:
	using Clock = std::chrono::steady_clock;
	struct Pending
	{
		/// Copies channel and wire (a publish() that may return first, a
		/// mirror or a redirected event).
		static Pending copied(const std::string& channel, const std::string& wire, PublishCallback done, bool sharded)
		{
			Pending p;
			p.ownChannel = channel;
			p.ownWire = wire;
			p.done = std::move(done);
			p.sharded = sharded;
			return p;
		}
		/// Refers to the caller's channel and wire, which stay valid until
		/// `done` is called (Transport::publishAsync's contract): no copy.
		static Pending borrowed(const std::string& channel, const std::string& wire, PublishCallback done, bool sharded)
		{
			Pending p;
			p.channelRef = &channel;
			p.wireRef = &wire;
			p.done = std::move(done);
			p.sharded = sharded;
			return p;
		}
		const std::string& channel() const { return channelRef ? *channelRef : ownChannel; }
		const std::string& wire() const { return wireRef ? *wireRef : ownWire; }
		/// What the event counts against eventbus.redis.buffer.maxBytes.
		std::size_t bytes() const { return channel().size() + wire().size(); }

		std::string ownChannel;
		std::string ownWire;
		const std::string* channelRef = nullptr;
		const std::string* wireRef = nullptr;
		PublishCallback done; ///< empty for a buffered publish() that already returned
		bool sharded = false; ///< SPUBLISH
	};
	struct Redirected
	{
		Pending pending;
		ClusterRedirect redirect;
	};
	using Completions = std::vector<std::pair<PublishCallback, std::exception_ptr>>;

	/// Opens the connection if there is none and the backoff allows, with the
	/// lock released meanwhile (_busy set). Call only when !_busy.
	bool connectLocked(std::unique_lock<std::mutex>& lock);
	/// Waits until no thread uses the connection.
	void waitIdleLocked(std::unique_lock<std::mutex>& lock);
	void dropConnectionLocked();
	std::string unavailableLocked() const;
	void enqueueLocked(Pending&& pending, const std::string& outageCause);
	void failQueuedLocked(const std::string& cause, Completions& completions);
	void sendLoop();
	void publishDirect(std::unique_lock<std::mutex>& lock, const std::string& channel, const std::string& wire);
	void publishQueued(std::unique_lock<std::mutex>& lock, const std::string& channel, const std::string& wire);
	/// Sends up to one batch; returns how many buffered events (no callback) it delivered.
	std::size_t sendBatchLocked(std::unique_lock<std::mutex>& lock, Completions& completions);
	static void complete(Completions& completions);
	void redirect(std::vector<Redirected>& redirected);

	const RedisSettings _settings;
	const RedisSocketFactory _socketFactory;
	const bool _sharded;
	RedirectHandler _onRedirect;
	Poco::Logger& _logger;
	const std::string _endpoint; // host:port, for messages
	Counter& _bufferDiscarded;
	Counter& _serverRefused;
	Counter& _aclDenied;

	mutable std::mutex _mutex;
	std::condition_variable _wake;
	std::unique_ptr<RedisConnection> _connection;
	bool _connectionProven = false; // a command succeeded on it
	Backoff _backoff;
	Clock::time_point _nextAttempt{};
	std::string _lastError;
	bool _outageLogged = false;
	bool _denied = false; ///< the last login was refused (RedisFailure::Auth)
	std::deque<Pending> _queue;
	std::size_t _queueBytes = 0;
	bool _stopped = false;
	OwnedThread _sender;
	// Set while a thread connects or uses _connection without _mutex (the
	// sender's batch, a publish(), health()); the others wait on _idle. The
	// events of a batch in flight stay first in _queue until their replies are read.
	bool _busy = false;
	std::condition_variable _idle;
	std::string _commands;            // the batch being sent (sender thread)
	std::vector<ReplyPtr> _replies;   // its replies (sender thread)
	std::vector<Redirected> _redirected; // answered MOVED/ASK, for _onRedirect (sender thread)
};

} // namespace eventbus
