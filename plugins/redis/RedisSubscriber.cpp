//
// RedisSubscriber.cpp
//
#include "RedisSubscriber.h"
#include "Backoff.h"
#include "RedisError.h"
#include <algorithm>
#include <chrono>

namespace eventbus {

namespace {

using Clock = std::chrono::steady_clock;

// How often the reader looks up from the socket to check the heartbeat and stop().
constexpr std::chrono::milliseconds ReadSlice(50);

// Messages the reader hands to the dispatcher at most in one go.
constexpr std::size_t MaxHandOver = 256;

Labels reasonLabels(const char* reason)
{
	return {{"transport", "redis"}, {"reason", reason}};
}

std::string textOf(const redisReply& reply)
{
	return RedisConnection::text(reply);
}

bool isText(const redisReply& reply)
{
	return reply.type == REDIS_REPLY_STRING || reply.type == REDIS_REPLY_STATUS;
}

} // namespace

RedisSubscriber::RedisSubscriber(const RedisSettings& settings, RedisSocketFactory socketFactory,
	Metrics& metrics, Poco::Logger& logger, const Redactor& redactor, TransportListener* listener)
	: _settings(settings)
	, _socketFactory(std::move(socketFactory))
	, _logger(logger)
	, _redactor(redactor)
	, _listener(listener)
	, _endpoint(settings.endpoint.describe())
	, _reconnects(metrics.counter(Metrics::Reconnects, {{"transport", "redis"}}))
	, _overflows(metrics.counter(Metrics::Dropped, reasonLabels("overflow")))
	, _oversized(metrics.counter(Metrics::Dropped, reasonLabels("oversized")))
	, _aclDenied(metrics.counter("eventbus_acl_denied_total", {{"transport", "redis"}, {"operation", "subscribe"}}))
	, _dispatcher(settings.deliveryQueueCapacity, logger, redactor)
{
}

RedisSubscriber::~RedisSubscriber()
{
	stop();
	if (_thread.joinable())
		_thread.detach(); // only when stop() ran on the reader thread itself (from a gap listener)
}

std::string RedisSubscriber::keyOf(bool pattern, const std::string& name)
{
	return (pattern ? "p:" : "c:") + name;
}

void RedisSubscriber::start()
{
	_dispatcher.start();
	std::lock_guard<std::mutex> lock(_mutex);
	if (_thread.joinable() || _stopping)
		return;
	_thread = std::thread([this]() { run(); });
	_threadId = _thread.get_id();
}

void RedisSubscriber::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
	}
	_stopRequested = true;
	_changed.notify_all();
	if (_thread.joinable() && std::this_thread::get_id() != _threadId)
		_thread.join();
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

void RedisSubscriber::sendLocked(const Command& command, const std::string& key, std::uint64_t serial)
{
	_awaiting.push_back(SentCommand{key, serial});
	try
	{
		_connection->send(command);
	}
	catch (RedisError& exc)
	{
		// The reader finds out too (EOF or a missed PONG) and reconnects.
		_logger.warning("redis subscriber: " + exc.message());
	}
}

std::uint64_t RedisSubscriber::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
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
	if (++entry.refs == 1)
	{
		entry.serial = ++_nextSerial;
		if (_connection)
		{
			entry.sequence = ++_acks[key].sent;
			sendLocked({subscription.pattern ? "PSUBSCRIBE" : "SUBSCRIBE", subscription.channel}, key, entry.serial);
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
	if (!confirmedLocked(key) && (_connection || _lastError.empty()))
	{
		const std::uint64_t serial = entry.serial;
		++entry.waiters;
		const std::uint64_t failures = _failures;
		const auto timeout = std::chrono::milliseconds(_settings.connectTimeoutMs + _settings.commandTimeoutMs);
		const bool confirmed = _changed.wait_for(lock, timeout, [&]() {
			return _stopping || _failures != failures || _refusals.count(serial) > 0 || confirmedLocked(key);
		});
		auto refusal = _refusals.find(serial);
		if (refusal != _refusals.end())
		{
			// The reader already took the entry and this callback away.
			const std::string message = refusal->second.message;
			if (--refusal->second.waiters == 0)
				_refusals.erase(refusal);
			throw AccessDeniedException(message);
		}
		auto joined = _server.find(key);
		if (joined != _server.end() && joined->second.serial == serial)
			--joined->second.waiters;
		if (!confirmed || _failures != failures)
		{
			_logger.warning("redis subscriber: " + std::string(subscription.pattern ? "PSUBSCRIBE " : "SUBSCRIBE ")
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
	std::lock_guard<std::mutex> lock(_mutex);
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
		sendLocked({pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", name});
}

RedisSubscriber::SentCommand RedisSubscriber::answeredLocked()
{
	if (_awaiting.empty())
		return SentCommand{};
	SentCommand sent = std::move(_awaiting.front());
	_awaiting.pop_front();
	return sent;
}

void RedisSubscriber::refused(const SentCommand& sent, const std::string& serverError)
{
	std::string message;
	std::size_t dropped = 0;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		++_acks[sent.key].confirmed; // the error is that SUBSCRIBE's answer
		auto entry = _server.find(sent.key);
		if (entry == _server.end() || entry->second.serial != sent.serial)
			return; // unsubscribed before the answer came: nothing to refuse
		ServerSubscription& refusedEntry = entry->second;
		message = accessDeniedMessage(_endpoint, _settings.endpoint.user,
			refusedEntry.pattern ? "PSUBSCRIBE" : "SUBSCRIBE", refusedEntry.name, serverError);
		if (refusedEntry.waiters > 0)
			_refusals[refusedEntry.serial] = Refusal{message, refusedEntry.waiters};
		dropped = refusedEntry.refs - refusedEntry.waiters;
		// Never re-sent: not on this connection, not after a reconnect. Under the
		// lock, so an unsubscribe() or a new subscribe() of the key sees it gone.
		for (std::uint64_t id : refusedEntry.ids)
			_dispatcher.discard(id);
		_server.erase(entry);
		_aclDenied.increment(); // before a waiting subscribe() throws
	}
	_changed.notify_all();
	if (dropped == 0)
	{
		_logger.warning("redis subscriber: " + message);
		return;
	}
	// Subscriptions made earlier (restored after a reconnect, or made while
	// the server was down): nobody waits to be told, so say it loudly.
	_logger.error("redis subscriber: dropped " + std::to_string(dropped) + " subscription(s), not retried: " + message);
	if (!_listener)
		return;
	try
	{
		_listener->onGap("redis", "subscription dropped: " + message);
	}
	catch (std::exception& exc)
	{
		_logger.error("redis subscriber: the gap listener threw: " + std::string(exc.what()));
	}
	catch (...)
	{
		_logger.error("redis subscriber: the gap listener threw");
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

void RedisSubscriber::run()
{
	Backoff backoff(_settings.reconnectInitialMs, _settings.reconnectMaxMs);
	// Replies of the publisher side are small; here one reply carries a message,
	// so the reader accepts a few oversized ones (dropped and counted) before
	// treating a reply as hostile and closing the connection.
	const std::size_t maxReplyBytes = _settings.maxMessageBytes * 4 + 64 * 1024;
	std::unique_lock<std::mutex> lock(_mutex);
	while (!_stopping)
	{
		if (_server.empty())
		{
			_lost = false; // nobody listens: nothing to report
			_changed.wait(lock, [this]() { return _stopping || !_server.empty(); });
			continue;
		}
		lock.unlock();

		auto connection = std::make_shared<RedisConnection>(_settings, _socketFactory(), maxReplyBytes);
		std::string failure;
		bool authFailure = false;
		try
		{
			connection->open();
			session(connection, backoff);
		}
		catch (RedisError& exc)
		{
			failure = exc.message();
			authFailure = exc.failure() == RedisFailure::Auth || exc.failure() == RedisFailure::Permission;
		}
		catch (std::exception& exc)
		{
			failure = std::string("redis subscriber: ") + exc.what();
		}

		lock.lock();
		const bool wasConnected = _connection != nullptr;
		if (wasConnected)
		{
			_connection.reset();
			++_generation;
			_acks.clear();
			_awaiting.clear();
			for (auto& entry : _server)
				entry.second.sequence = 0;
		}
		if (_ready)
		{
			// A connection that delivered was lost: the reconnect reports a gap.
			_ready = false;
			_lost = true;
			_lostReason = failure;
		}
		_lastError = failure;
		++_failures;
		lock.unlock();
		_changed.notify_all();
		connection->close();
		lock.lock();
		if (_stopping)
			break;

		const auto delay = authFailure ? backoff.nextAtMax() : backoff.next();
		if (wasConnected || backoff.failures() == 1 || authFailure)
		{
			_logger.warning("redis subscriber: " + failure + "; reconnecting in " + std::to_string(delay.count())
				+ " ms (messages published meanwhile are lost)");
		}
		else
		{
			_logger.debug("redis subscriber: " + failure + " (attempt " + std::to_string(backoff.failures()) + ")");
		}
		// Woken by stop(): shutdown never waits out a backoff.
		_changed.wait_for(lock, delay, [this]() { return _stopping; });
	}
}

void RedisSubscriber::session(const std::shared_ptr<RedisConnection>& connection, Backoff& backoff)
{
	const auto commandTimeout = std::chrono::milliseconds(_settings.commandTimeoutMs);
	const auto healthInterval = std::chrono::milliseconds(_settings.healthIntervalMs);
	const auto healthTimeout = std::chrono::milliseconds(_settings.healthTimeoutMs);
	std::size_t restoring = 0;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
			return;
		_connection = connection;
		++_generation;
		_acks.clear();
		_awaiting.clear();
		// One command per channel, pipelined: the server refuses a SUBSCRIBE of
		// several channels as a whole when the ACL denies one of them, and a
		// refusal must drop that subscription only.
		static const std::string Subscribe = "SUBSCRIBE";
		static const std::string PSubscribe = "PSUBSCRIBE";
		std::string commands;
		for (auto& entry : _server)
		{
			entry.second.sequence = ++_acks[entry.first].sent;
			RedisConnection::append(commands, {entry.second.pattern ? &PSubscribe : &Subscribe, &entry.second.name});
			_awaiting.push_back(SentCommand{entry.first, entry.second.serial});
		}
		// Throws to run() on failure, which tears the connection down again.
		if (!commands.empty())
			connection->sendRaw(commands);
	}

	// Messages already read are handed over when the session ends, too.
	struct FlushOnExit
	{
		RedisSubscriber& subscriber;
		~FlushOnExit()
		{
			try
			{
				subscriber.flushDeliveries();
			}
			catch (...)
			{
			}
		}
	} flushOnExit{*this};

	const auto restoreDeadline = Clock::now() + commandTimeout;
	auto nextPing = Clock::now() + healthInterval;
	auto pingSent = Clock::time_point{};
	bool pongDue = false;
	bool ready = false;
	for (;;)
	{
		if (!ready)
		{
			bool reportGap = false;
			std::string gapReason;
			{
				std::lock_guard<std::mutex> lock(_mutex);
				if (_stopping)
					return;
				if (allConfirmedLocked())
				{
					restoring = _server.size();
					ready = _ready = true;
					_lastError.clear();
					reportGap = _lost;
					gapReason = _lostReason;
					_lost = false;
				}
			}
			if (ready)
				becameReady(restoring, reportGap, gapReason);
		}
		else if (_stopRequested.load())
		{
			return;
		}

		const auto now = Clock::now();
		if (!ready && now > restoreDeadline)
		{
			throwRedisError(_endpoint, RedisFailure::Timeout, "SUBSCRIBE",
				"subscriptions not confirmed within " + std::to_string(_settings.commandTimeoutMs) + " ms");
		}
		if (pongDue && now - pingSent > healthTimeout)
		{
			throwRedisError(_endpoint, RedisFailure::Timeout, "heartbeat",
				"no PONG within " + std::to_string(_settings.healthTimeoutMs) + " ms");
		}
		if (!pongDue && now >= nextPing)
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_awaiting.push_back(SentCommand{});
			connection->send({"PING"});
			pingSent = now;
			pongDue = true;
		}

		auto slice = ReadSlice;
		if (!pongDue)
		{
			slice = std::min(slice, std::max(std::chrono::milliseconds(1),
				std::chrono::duration_cast<std::chrono::milliseconds>(nextPing - now)));
		}
		// Replies the last read brought come first, without waiting; the
		// messages among them go to the dispatcher together before the reader
		// waits for the socket again.
		ReplyPtr reply;
		if (!_pending.empty())
		{
			reply = connection->pollReply(Poco::Timespan(0));
			if (!reply)
				flushDeliveries();
		}
		if (!reply)
			reply = connection->pollReply(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(slice.count()) * 1000));
		if (reply)
		{
			const bool wasDue = pongDue;
			handle(*reply, pongDue);
			if (wasDue && !pongDue)
			{
				nextPing = Clock::now() + healthInterval;
				// Ready and answering the heartbeat: the connection proved itself, so
				// the next failure starts from the initial backoff again. (Not on
				// connect: a server that accepts and then fails is not hammered.)
				if (ready)
					backoff.reset();
			}
		}
	}
}

void RedisSubscriber::becameReady(std::size_t restored, bool reportGap, const std::string& gapReason)
{
	_changed.notify_all();
	if (!reportGap)
	{
		_logger.information("redis subscriber: connected to " + _endpoint);
		return;
	}
	_reconnects.increment();
	_logger.warning("redis subscriber: reconnected to " + _endpoint + ", " + std::to_string(restored)
		+ " subscriptions restored; messages published while disconnected are lost");
	if (!_listener)
		return;
	try
	{
		_listener->onGap("redis", "reconnected to " + _endpoint + " after: " + gapReason);
	}
	catch (std::exception& exc)
	{
		_logger.error("redis subscriber: the gap listener threw: " + std::string(exc.what()));
	}
	catch (...)
	{
		_logger.error("redis subscriber: the gap listener threw");
	}
}

void RedisSubscriber::handle(const redisReply& reply, bool& pongDue)
{
	if (reply.type == REDIS_REPLY_ARRAY && reply.elements >= 1 && isText(*reply.element[0]))
	{
		const std::string kind = textOf(*reply.element[0]);
		if (kind == "message" && reply.elements == 3 && isText(*reply.element[1]) && isText(*reply.element[2]))
		{
			deliver(keyOf(false, textOf(*reply.element[1])), *reply.element[1], *reply.element[2]);
			return;
		}
		if (kind == "pmessage" && reply.elements == 4 && isText(*reply.element[1]) && isText(*reply.element[2])
			&& isText(*reply.element[3]))
		{
			deliver(keyOf(true, textOf(*reply.element[1])), *reply.element[2], *reply.element[3]);
			return;
		}
		if ((kind == "subscribe" || kind == "psubscribe") && reply.elements == 3 && isText(*reply.element[1]))
		{
			{
				std::lock_guard<std::mutex> lock(_mutex);
				answeredLocked();
				++_acks[keyOf(kind == "psubscribe", textOf(*reply.element[1]))].confirmed;
			}
			_changed.notify_all();
			return;
		}
		if (kind == "unsubscribe" || kind == "punsubscribe")
		{
			std::lock_guard<std::mutex> lock(_mutex);
			answeredLocked();
			return;
		}
		if (kind == "pong")
		{
			std::lock_guard<std::mutex> lock(_mutex);
			answeredLocked();
			pongDue = false; // in subscribed mode a PONG is ["pong", ""]: never a message
			return;
		}
	}
	else if (reply.type == REDIS_REPLY_STATUS && textOf(reply) == "PONG")
	{
		std::lock_guard<std::mutex> lock(_mutex);
		answeredLocked();
		pongDue = false; // without subscriptions PING answers +PONG
		return;
	}
	else if (reply.type == REDIS_REPLY_ERROR)
	{
		SentCommand sent;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			sent = answeredLocked();
		}
		const std::string error = textOf(reply);
		if (!sent.key.empty() && isPermissionError(error))
		{
			refused(sent, error);
			return;
		}
		// Any other refusal (e.g. an ACL user without +ping) is a broken
		// connection set-up: reconnect, at the longest backoff for a login error.
		RedisConnection::throwIfError(_endpoint, reply, sent.key.empty() ? "PING/UNSUBSCRIBE"
			: (sent.key[0] == 'p' ? "PSUBSCRIBE" : "SUBSCRIBE"));
	}
	throwRedisError(_endpoint, RedisFailure::Protocol, "read", "unexpected reply on the subscriber connection");
}

void RedisSubscriber::deliver(const std::string& key, const redisReply& channel, const redisReply& payload)
{
	if (payload.len > _settings.maxMessageBytes)
	{
		_oversized.increment();
		_logger.warning("redis subscriber: dropped a message of " + std::to_string(payload.len) + " bytes on "
			+ _redactor.redactText(textOf(channel), 512) + " (eventbus.redis.maxMessageBytes=" + std::to_string(_settings.maxMessageBytes) + ")");
		return;
	}
	_pending.push_back(Delivery{key, textOf(channel), std::string(payload.str, payload.len)});
	if (_pending.size() >= MaxHandOver)
		flushDeliveries();
}

void RedisSubscriber::flushDeliveries()
{
	if (_pending.empty())
		return;
	for (std::size_t i = _dispatcher.offer(_pending); i < _pending.size(); ++i)
	{
		_overflows.increment();
		if (_overflowCount++ % 1000 == 0)
		{
			_logger.warning("redis subscriber: delivery queue full (eventbus.redis.deliveryQueueCapacity="
				+ std::to_string(_settings.deliveryQueueCapacity) + "), dropped a message on " + _redactor.redactText(_pending[i].channel, 512)
				+ "; " + std::to_string(_overflowCount) + " dropped so far");
		}
	}
	_pending.clear();
}

} // namespace eventbus
