//
// RedisSubscriber.cpp
//
// The subscriber's lifecycle and its API: subscribe() and unsubscribe()
// (the server subscriptions they share), health(), and the outbox through
// which every command reaches the socket without the lock. The reader
// thread's sessions are in RedisSubscriberSession.cpp, reply routing in
// RedisSubscriberReplies.cpp, ACL refusals in RedisSubscriberRefusals.cpp.
//
#include "RedisSubscriber.h"
#include "RedisCommands.h"
#include "RedisError.h"
#include "RedisMetrics.h"
#include <algorithm>
#include <chrono>

namespace eventbus {

RedisSubscriber::RedisSubscriber(const RedisSettings& settings, RedisSocketFactory socketFactory,
	Metrics& metrics, Poco::Logger& logger, const Redactor& redactor, TransportListener* listener, bool sharded)
	: _settings(settings)
	, _socketFactory(std::move(socketFactory))
	, _logger(logger)
	, _redactor(redactor)
	, _listener(listener)
	, _endpoint(settings.endpoint.describe())
	, _sharded(sharded)
	, _reconnects(RedisMetrics::reconnects(metrics))
	, _overflows(RedisMetrics::dropped(metrics, RedisMetrics::DroppedOverflow))
	, _oversized(RedisMetrics::dropped(metrics, RedisMetrics::DroppedOversized))
	, _oversizedLog(logger)
	, _aclDenied(RedisMetrics::aclDenied(metrics, "subscribe"))
	, _dispatcher(settings.deliveryQueueCapacity, logger, redactor)
{
}

RedisSubscriber::~RedisSubscriber()
{
	stop();
}

std::string RedisSubscriber::keyOf(bool pattern, const std::string& name)
{
	return (pattern ? "p:" : "c:") + name;
}

void RedisSubscriber::onDropped(DroppedHandler handler)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_onDropped = std::move(handler);
}

void RedisSubscriber::start()
{
	_dispatcher.start();
	std::lock_guard<std::mutex> lock(_mutex);
	if (_thread.started() || _stopping)
		return;
	_thread.start([this]() { run(); });
}

void RedisSubscriber::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
	}
	_stopRequested = true;
	_changed.notify_all();
	_thread.join(); // returns at once on the reader thread itself
	_dispatcher.stop();
}

bool RedisSubscriber::confirmedLocked(const std::string& key) const
{
	auto entry = _server.find(key);
	if (entry == _server.end())
		return true;
	auto acks = _acks.find(key);
	return entry->second.sequence > 0 && acks != _acks.end() && acks->second.confirmed >= entry->second.sequence;
}

bool RedisSubscriber::allConfirmedLocked() const
{
	for (const auto& entry : _server)
	{
		if (!confirmedLocked(entry.first))
			return false;
	}
	return true;
}

void RedisSubscriber::queueLocked(const Command& command, const std::string& key, std::uint64_t serial,
	bool unsubscribe)
{
	_awaiting.push_back(SentCommand{key, serial, unsubscribe});
	_outbox += RedisConnection::format(command);
}

std::unique_ptr<RedisError> RedisSubscriber::flushLocked(std::unique_lock<std::mutex>& lock)
{
	// One thread sends at a time, in the order the commands were queued (the
	// order of _awaiting); the others leave their bytes to it. Never under the lock.
	if (_flushing)
		return nullptr;
	_flushing = true;
	std::unique_ptr<RedisError> failure;
	while (!_outbox.empty() && _connection)
	{
		std::string bytes;
		bytes.swap(_outbox);
		std::shared_ptr<RedisConnection> connection = _connection;
		lock.unlock();
		try
		{
			connection->sendRaw(bytes);
		}
		catch (RedisError& exc)
		{
			// The reader finds out too (EOF or a missed PONG) and reconnects.
			_logger.warning("redis subscriber: " + exc.message());
			if (!failure)
				failure.reset(new RedisError(exc));
		}
		lock.lock();
	}
	if (!_connection)
		_outbox.clear();
	_flushing = false;
	_changed.notify_all(); // the reader may wait to close the connection
	return failure;
}

std::uint64_t RedisSubscriber::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	if (_sharded && subscription.pattern)
		throw TransportException("redis: sharded Pub/Sub has no pattern subscriptions");
	const std::string key = keyOf(subscription.pattern, subscription.channel);
	const std::uint64_t id = ++_nextId;
	_dispatcher.add(id, key, std::move(callback));

	std::unique_lock<std::mutex> lock(_mutex);
	if (_stopping)
	{
		lock.unlock();
		_dispatcher.remove(id);
		throw TransportException("redis transport is stopped");
	}
	ServerSubscription& entry = _server[key];
	entry.pattern = subscription.pattern;
	entry.name = subscription.channel;
	entry.ids.insert(id);
	bool send = false;
	if (++entry.refs == 1)
	{
		entry.serial = ++_nextSerial;
		if (_connection)
		{
			entry.sequence = ++_acks[key].sent;
			queueLocked(RedisCommands::subscribe(subscription.channel, subscription.pattern, _sharded), key, entry.serial);
			send = true;
		}
		else
		{
			entry.sequence = 0;
			_changed.notify_all(); // the reader connects for its first subscription
		}
	}
	// Wait for the server's confirmation while connected or while the first
	// connection is being made; when the server is known to be down, return at
	// once: the subscription is made when the connection recovers.
	const std::uint64_t serial = entry.serial;
	const std::uint64_t failures = _failures;
	const bool wait = !confirmedLocked(key) && (_connection || _lastError.empty());
	// A waiter before the lock is released to send: a refusal read meanwhile
	// is kept for this call. (`entry` may be gone once the lock was released.)
	if (wait)
		++entry.waiters;
	if (send)
		flushLocked(lock);
	if (wait)
	{
		const auto timeout = std::chrono::milliseconds(_settings.connectTimeoutMs + _settings.commandTimeoutMs);
		const bool confirmed = _changed.wait_for(lock, timeout, [&]() {
			return _stopping || _failures != failures || _refusals.count(serial) > 0 || confirmedLocked(key);
		});
		auto refusal = _refusals.find(serial);
		if (refusal != _refusals.end())
		{
			const std::string message = refusal->second.message;
			const ClusterRedirect redirect = refusal->second.redirect;
			if (--refusal->second.waiters == 0)
				_refusals.erase(refusal);
			if (redirect.kind != ClusterRedirect::Kind::None)
			{
				// The entry stays for the others sharing it; this call keeps nothing.
				lock.unlock();
				unsubscribe(id);
				throw ClusterRedirectedError(message, redirect);
			}
			// The reader already took the entry and this callback away.
			throw AccessDeniedException(message);
		}
		auto joined = _server.find(key);
		if (joined != _server.end() && joined->second.serial == serial)
			--joined->second.waiters;
		if (!confirmed || _failures != failures)
		{
			_logger.warning("redis subscriber: " + std::string(RedisCommands::subscribeWord(subscription.pattern)) + " "
				+ subscription.channel + " not confirmed by " + _endpoint
				+ "; it is made when the connection recovers");
		}
	}
	return id;
}

void RedisSubscriber::unsubscribe(std::uint64_t id)
{
	const std::string key = _dispatcher.remove(id);
	if (key.empty())
		return;
	std::unique_lock<std::mutex> lock(_mutex);
	auto entry = _server.find(key);
	// Not in the entry: it was refused and dropped (the key may have a new entry since).
	if (entry == _server.end() || entry->second.ids.erase(id) == 0 || --entry->second.refs > 0)
		return;
	const bool pattern = entry->second.pattern;
	const std::string name = entry->second.name;
	_server.erase(entry);
	// Forget the key's confirmations once none is outstanding (a late one would
	// otherwise confirm a later SUBSCRIBE of the same channel too early).
	auto acks = _acks.find(key);
	if (acks != _acks.end() && acks->second.confirmed >= acks->second.sent)
		_acks.erase(acks);
	if (_connection)
	{
		queueLocked(RedisCommands::unsubscribe(name, pattern, _sharded), _sharded ? key : std::string(), 0, _sharded);
		flushLocked(lock);
	}
}

TransportHealth RedisSubscriber::health() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_server.empty())
		return {true, "no subscriptions"};
	if (!_connection)
	{
		return {false, "redis subscriber connection to " + _endpoint + " down"
			+ (_lastError.empty() ? std::string() : ": " + _lastError)};
	}
	if (!allConfirmedLocked())
		return {false, "redis subscriber (re)subscribing on " + _endpoint};
	return {true, "redis subscriber connected to " + _endpoint};
}

} // namespace eventbus
