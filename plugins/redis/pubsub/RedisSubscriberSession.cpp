//
// RedisSubscriberSession.cpp
//
// The subscriber's reader thread: connect with backoff, restore every
// server subscription, read with a heartbeat, and report the gap of a lost
// connection once it is ready again.
//
#include "RedisSubscriber.h"
#include "Backoff.h"
#include "RedisCommands.h"
#include "RedisError.h"
#include <algorithm>
#include <chrono>

namespace eventbus {

namespace {

using Clock = std::chrono::steady_clock;

// How often the reader looks up from the socket to check the heartbeat and stop().
constexpr std::chrono::milliseconds ReadSlice(50);

} // namespace

void RedisSubscriber::run()
{
	Backoff backoff(_settings.reconnectInitialMs, _settings.reconnectMaxMs);
	// A message larger than maxMessageBytes is cut from the stream as it comes
	// (never buffered; dropped and counted), whatever its size. Any other reply
	// this large is hostile and closes the connection.
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
		connection->skipMessagesOver(_settings.maxMessageBytes);
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
			_outbox.clear();
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
		// A thread still sending the outbox on this connection is done within
		// the send timeout; the socket is closed only when nobody uses it.
		_changed.wait(lock, [this]() { return !_flushing; });
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
		std::unique_lock<std::mutex> lock(_mutex);
		if (_stopping)
			return;
		_connection = connection;
		++_generation;
		_acks.clear();
		_awaiting.clear();
		_outbox.clear();
		// One command per channel, pipelined: the server refuses a SUBSCRIBE of
		// several channels as a whole when the ACL denies one of them, and a
		// refusal must drop that subscription only.
		for (auto& entry : _server)
		{
			entry.second.sequence = ++_acks[entry.first].sent;
			RedisCommands::appendSubscribe(_outbox, entry.second.name, entry.second.pattern, _sharded);
			_awaiting.push_back(SentCommand{entry.first, entry.second.serial});
		}
		// Thrown to run() on failure, which tears the connection down again.
		if (std::unique_ptr<RedisError> failure = flushLocked(lock))
			failure->rethrow();
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
				// Only once every command sent was answered: the check walks
				// every subscription, and restoring 10,000 of them checked after
				// each of their 10,000 answers missed the deadline.
				if (_awaiting.empty() && allConfirmedLocked())
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
			std::unique_lock<std::mutex> lock(_mutex);
			queueLocked(RedisCommands::ping());
			flushLocked(lock);
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
			handle(*reply, connection->skippedBytesOfLastReply(), pongDue);
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

} // namespace eventbus
