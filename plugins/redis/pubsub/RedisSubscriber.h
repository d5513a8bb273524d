//
// RedisSubscriber.h
//
// The subscribing side: a dedicated connection read by one thread, which
// also runs the heartbeat (PING with a deadline) and reconnects with capped
// exponential backoff, re-issuing every live SUBSCRIBE / PSUBSCRIBE.
// Commands reach the socket through an outbox, never under the state mutex.
// Messages go through a DeliveryDispatcher to the callbacks. A SUBSCRIBE the
// server's ACL refuses (NOPERM) is never retried: subscribe() throws, and a
// subscription refused when it is restored after a reconnect is dropped.
//
#pragma once

#include "ClusterRedirect.h"
#include "OwnedThread.h"
#include "eventbus/DeliveryDispatcher.h"
#include "RedisConnection.h"
#include "RedisError.h"
#include "RedisSettings.h"
#include "eventbus/Metrics.h"
#include "eventbus/RateLimitedLog.h"
#include "eventbus/Redactor.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eventbus {

class Backoff;

class RedisSubscriber
{
public:
	/// A sharded subscription the node dropped: a `sunsubscribe` it sent
	/// unasked (the channel's slot moved; redirect.kind None) or MOVED/ASK
	/// answering a restored SSUBSCRIBE. The subscription stays, unconfirmed,
	/// until its owner moves it. Called on the reader thread, without the lock:
	/// it must not subscribe or unsubscribe there.
	using DroppedHandler = std::function<void(const std::string& channel, const ClusterRedirect& redirect)>;

	/// `sharded`: SSUBSCRIBE / SUNSUBSCRIBE on one node of a Redis Cluster
	/// (channels only, no patterns).
	RedisSubscriber(const RedisSettings& settings, RedisSocketFactory socketFactory, Metrics& metrics,
		Poco::Logger& logger, const Redactor& redactor, TransportListener* listener, bool sharded = false);
	~RedisSubscriber();

	RedisSubscriber(const RedisSubscriber&) = delete;
	RedisSubscriber& operator=(const RedisSubscriber&) = delete;

	/// Starts the reader and dispatcher threads; the connection opens with the
	/// first subscription.
	void start();

	/// Sharded mode: who hears of dropped subscriptions. Call before start().
	void onDropped(DroppedHandler handler);

	/// Joins both threads; no callback runs after it returns. Idempotent.
	void stop();

	/// Transport subscriptions of one channel (or pattern) share one server
	/// subscription. When connected, waits up to the command timeout for the
	/// server's confirmation; when not, returns at once and the subscription
	/// is made as soon as the connection is (health() says not ready meanwhile).
	/// Throws AccessDeniedException, and keeps nothing, when the server's ACL
	/// refuses the channel (NOPERM); ClusterRedirectedError (sharded mode),
	/// keeping nothing, when the node answers MOVED or ASK. Refused later, when it is restored after a
	/// reconnect, the subscription is dropped: logged as an error, counted in
	/// eventbus_acl_denied_total, reported to the listener as a gap; the others
	/// stay.
	std::uint64_t subscribe(const ChannelSubscription& subscription, DeliveryCallback callback);

	/// UNSUBSCRIBE once the last transport subscription of the channel goes.
	void unsubscribe(std::uint64_t id);

	/// Ready without subscriptions, or when connected with every subscription confirmed.
	TransportHealth health() const;

private:
	struct ServerSubscription
	{
		bool pattern = false;
		std::string name;
		std::size_t refs = 0;
		std::uint64_t sequence = 0; // of its SUBSCRIBE on the current connection
		std::uint64_t serial = 0;   // identifies this entry (a key may be refused, then subscribed anew)
		std::set<std::uint64_t> ids; // the transport subscriptions sharing it
		std::size_t waiters = 0;    // subscribe() calls waiting for its confirmation
	};
	// A command sent on the current connection whose reply is still due:
	// replies come in order, so the first is the one an error reply answers.
	struct SentCommand
	{
		std::string key;          // of a SUBSCRIBE / PSUBSCRIBE (or a SUNSUBSCRIBE); "" for PING, UNSUBSCRIBE
		std::uint64_t serial = 0;
		bool unsubscribe = false; // a SUNSUBSCRIBE of `key` (sharded mode)
	};
	struct Refusal
	{
		std::string message;
		std::size_t waiters = 0;  // subscribe() calls still to be told
		ClusterRedirect redirect; // kind None: an ACL refusal
	};
	struct Acks
	{
		std::uint64_t sent = 0;
		std::uint64_t confirmed = 0;
	};

	static std::string keyOf(bool pattern, const std::string& name);
	void run();
	void session(const std::shared_ptr<RedisConnection>& connection, Backoff& backoff);
	void becameReady(std::size_t restored, bool reportGap, const std::string& gapReason);
	/// `skippedBytes`: the size of the payload the connection cut from the reply (0: none).
	void handle(const redisReply& reply, std::size_t skippedBytes, bool& pongDue);
	void deliver(const std::string& key, const redisReply& channel, const redisReply& payload, std::size_t skippedBytes);
	/// Hands the messages of the last read to the dispatcher, counting overflows.
	void flushDeliveries();
	bool confirmedLocked(const std::string& key) const;
	bool allConfirmedLocked() const;
	/// Queues `command` for the current connection, its reply expected in
	/// order (a SUBSCRIBE of `key` / `serial`, else "").
	void queueLocked(const Command& command, const std::string& key = std::string(), std::uint64_t serial = 0,
		bool unsubscribe = false);
	/// Sends the outbox in order with the lock released (unless another thread
	/// is sending it already); returns the first send failure, also logged.
	std::unique_ptr<RedisError> flushLocked(std::unique_lock<std::mutex>& lock);
	SentCommand answeredLocked();
	void refused(const SentCommand& sent, const std::string& serverError);
	/// Sharded mode: MOVED/ASK answering an SSUBSCRIBE.
	void redirected(const SentCommand& sent, const std::string& serverError, const ClusterRedirect& redirect);
	/// Sharded mode: a sunsubscribe push; false when it answers our own SUNSUBSCRIBE.
	void serverUnsubscribed(const std::string& channel);
	void reportDropped(const std::string& channel, const ClusterRedirect& redirect);

	const RedisSettings _settings;
	const RedisSocketFactory _socketFactory;
	Poco::Logger& _logger;
	const Redactor& _redactor; // channels come off the wire: logged through it
	TransportListener* const _listener;
	const std::string _endpoint;
	const bool _sharded;
	DroppedHandler _onDropped;
	Counter& _reconnects;
	Counter& _overflows;
	Counter& _oversized;
	RateLimitedLog _oversizedLog; // one tenant's flood of big messages cannot flood the log
	Counter& _aclDenied;
	DeliveryDispatcher _dispatcher;
	std::atomic<std::uint64_t> _nextId{0};
	std::uint64_t _overflowCount = 0; // reader thread only
	std::vector<Delivery> _pending;   // reader thread only: read, not yet handed over

	mutable std::mutex _mutex;
	std::condition_variable _changed;
	std::shared_ptr<RedisConnection> _connection; // set while a session runs
	std::uint64_t _generation = 0;                // bumped per connection
	bool _ready = false;                          // connected and every subscription confirmed
	bool _lost = false;                           // a ready connection was lost: a gap to report
	std::string _lostReason;
	std::map<std::string, ServerSubscription> _server;
	std::map<std::string, Acks> _acks;            // per key, on the current connection
	std::deque<SentCommand> _awaiting;            // replies due on the current connection, in order
	std::string _outbox;                          // commands queued for the current connection, not yet sent
	bool _flushing = false;                       // a thread sends the outbox (without the lock)
	std::map<std::uint64_t, Refusal> _refusals;   // by serial, until every waiter was told
	std::uint64_t _nextSerial = 0;
	std::string _lastError;                       // of the last failed connection, "" once ready
	std::uint64_t _failures = 0;                  // connections that failed or were lost
	bool _stopping = false;
	std::atomic<bool> _stopRequested{false};      // _stopping, for the reader's lock-free check
	OwnedThread _thread;
};

} // namespace eventbus
