//
// RedisPublisher.cpp
//
#include "RedisPublisher.h"
#include "RedisError.h"
#include <algorithm>
#include <future>

namespace eventbus {

namespace {

// Publisher replies are integers, PONG or short errors.
constexpr std::size_t MaxPublisherReplyBytes = 64 * 1024;
const std::string PublishCommand = "PUBLISH";
const char* const AclDeniedSeries = "eventbus_acl_denied_total";

Labels reasonLabels(const char* reason)
{
	return {{"transport", "redis"}, {"reason", reason}};
}

} // namespace

RedisPublisher::RedisPublisher(const RedisSettings& settings, RedisSocketFactory socketFactory,
	Metrics& metrics, Poco::Logger& logger)
	: _settings(settings)
	, _socketFactory(std::move(socketFactory))
	, _logger(logger)
	, _bufferDiscarded(metrics.counter(Metrics::Dropped, reasonLabels("buffer-discarded")))
	, _serverRefused(metrics.counter(Metrics::PublishFailed, reasonLabels("server-refused")))
	, _aclDenied(metrics.counter(AclDeniedSeries, {{"transport", "redis"}, {"operation", "publish"}}))
	, _backoff(settings.reconnectInitialMs, settings.reconnectMaxMs)
{
}

RedisPublisher::~RedisPublisher()
{
	stop();
	if (_sender.joinable())
		_sender.detach(); // only when stop() ran on the sender thread (from a completion)
}

void RedisPublisher::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopped || _sender.joinable())
		return;
	connectLocked();
	_sender = std::thread([this]() { sendLoop(); });
	_senderId = _sender.get_id();
}

void RedisPublisher::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopped = true;
	}
	_wake.notify_all();
	if (_sender.joinable() && std::this_thread::get_id() != _senderId)
		_sender.join();

	Completions completions;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		std::size_t buffered = 0;
		for (auto& pending : _queue)
		{
			if (pending.done)
				completions.emplace_back(std::move(pending.done), std::make_exception_ptr(TransportException(
					"redis transport stopped before the event was sent to " + _settings.endpoint.describe())));
			else
				++buffered;
		}
		if (buffered > 0)
		{
			_logger.warning("redis: discarding " + std::to_string(buffered) + " buffered events at shutdown; "
				+ _settings.endpoint.describe() + " was not reachable");
			_bufferDiscarded.increment(buffered);
		}
		_queue.clear();
		_queueBytes = 0;
		dropConnectionLocked();
	}
	complete(completions);
}

void RedisPublisher::complete(Completions& completions)
{
	for (auto& completion : completions)
	{
		try
		{
			completion.first(completion.second);
		}
		catch (...)
		{
			// A completion must not stop the others.
		}
	}
	completions.clear();
}

bool RedisPublisher::connectLocked()
{
	if (_connection)
		return true;
	if (Clock::now() < _nextAttempt)
		return false;
	auto connection = std::make_unique<RedisConnection>(_settings, _socketFactory(), MaxPublisherReplyBytes);
	try
	{
		connection->open();
	}
	catch (RedisError& exc)
	{
		_lastError = exc.message();
		const auto delay = exc.failure() == RedisFailure::Auth ? _backoff.nextAtMax() : _backoff.next();
		_nextAttempt = Clock::now() + delay;
		if (!_outageLogged || exc.failure() == RedisFailure::Auth)
			_logger.warning("redis publisher: " + _lastError + "; next attempt in " + std::to_string(delay.count()) + " ms");
		else
			_logger.debug("redis publisher: " + _lastError);
		_outageLogged = true;
		return false;
	}
	if (_outageLogged)
		_logger.information("redis publisher: connected to " + _settings.endpoint.describe());
	// The backoff is reset by the first command that succeeds, not here: a
	// server that accepts connections and then fails must not be hammered.
	_connection = std::move(connection);
	_connectionProven = false;
	_nextAttempt = Clock::time_point{};
	_lastError.clear();
	_outageLogged = false;
	return true;
}

void RedisPublisher::dropConnectionLocked()
{
	if (_connection)
	{
		_connection->close();
		_connection.reset();
	}
	_connectionProven = false;
}

std::string RedisPublisher::unavailableLocked() const
{
	const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(_nextAttempt - Clock::now());
	std::string message = _lastError.empty() ? "redis " + _settings.endpoint.describe() + " unavailable" : _lastError;
	if (wait.count() > 0)
		message += " (next connection attempt in " + std::to_string(wait.count()) + " ms)";
	return message;
}

void RedisPublisher::publish(const std::string& channel, const std::string& wire)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (_stopped)
		throw TransportException("redis transport is stopped");
	// Events queued before this one go first: order is kept. (A completion
	// that publishes runs on the sender thread, which must not wait for itself.)
	if (!_queue.empty() && std::this_thread::get_id() != _senderId)
	{
		if (_settings.onOutage == OutagePolicy::Buffer)
		{
			enqueueLocked(Pending{channel, wire, nullptr}, _lastError);
			return;
		}
		auto result = std::make_shared<std::promise<void>>();
		std::shared_future<void> future = result->get_future().share();
		enqueueLocked(Pending{channel, wire, [result](std::exception_ptr error) {
			if (error)
				result->set_exception(error);
			else
				result->set_value();
		}}, std::string());
		lock.unlock();
		// Bounded: every step of the sender is, and stop() fails what is left.
		// The error is thrown anew from this thread, not shared with the sender's.
		std::string failure;
		bool denied = false;
		try
		{
			future.get();
		}
		catch (AccessDeniedException& exc)
		{
			failure = exc.message();
			denied = true;
		}
		catch (Poco::Exception& exc)
		{
			failure = exc.message();
		}
		if (denied)
			throw AccessDeniedException(failure);
		if (!failure.empty())
			throw TransportException(failure);
		return;
	}
	for (int attempt = 0;; ++attempt)
	{
		if (!connectLocked())
		{
			if (_settings.onOutage == OutagePolicy::Buffer)
			{
				enqueueLocked(Pending{channel, wire, nullptr}, _lastError);
				return;
			}
			throw TransportException(unavailableLocked());
		}
		const bool proven = _connectionProven;
		try
		{
			std::string command;
			command.reserve(channel.size() + wire.size() + 48);
			RedisConnection::append(command, {&PublishCommand, &channel, &wire});
			_connection->sendRaw(command);
			ReplyPtr reply = _connection->readReply();
			if (reply->type == REDIS_REPLY_ERROR && isPermissionError(RedisConnection::text(*reply)))
			{
				// The ACL user may not use this channel: the caller's error, not an
				// outage. Never retried, never buffered.
				_connectionProven = true;
				_aclDenied.increment();
				throw AccessDeniedException(accessDeniedMessage(_settings.endpoint.describe(), _settings.endpoint.user,
					PublishCommand, channel, RedisConnection::text(*reply)));
			}
			_connection->throwIfError(*reply, PublishCommand);
			_connectionProven = true;
			_backoff.reset();
			return;
		}
		catch (RedisError& exc)
		{
			if (exc.failure() == RedisFailure::Server || exc.failure() == RedisFailure::Auth
				|| exc.failure() == RedisFailure::Permission)
			{
				// The server is up and refused this event (ACL, OOM, ...): no outage.
				// The bus counts the failure.
				_connectionProven = true;
				throw TransportException(exc.message());
			}
			dropConnectionLocked();
			_lastError = exc.message();
			// A connection that worked may have been closed since (a server
			// restart): one fresh connection, at once. A duplicate this may cause
			// is dropped by the receivers' idempotency window.
			if (proven && attempt == 0 && exc.failure() == RedisFailure::Closed)
				continue;
			_nextAttempt = Clock::now() + _backoff.next();
			if (_settings.onOutage == OutagePolicy::Buffer)
			{
				enqueueLocked(Pending{channel, wire, nullptr}, exc.message());
				return;
			}
			throw TransportException(exc.message());
		}
	}
}

void RedisPublisher::publishAsync(const std::string& channel, const std::string& wire, PublishCallback done)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (_stopped)
		throw TransportException("redis transport is stopped");
	if (_settings.onOutage == OutagePolicy::Fail && !_connection && Clock::now() < _nextAttempt)
	{
		// A known outage fails as fast as publish() does.
		const std::string message = unavailableLocked();
		lock.unlock();
		done(std::make_exception_ptr(TransportException(message)));
		return;
	}
	enqueueLocked(Pending{channel, wire, std::move(done)}, std::string());
}

void RedisPublisher::enqueueLocked(Pending&& pending, const std::string& outageCause)
{
	const std::size_t bytes = pending.channel.size() + pending.wire.size();
	if (_queue.size() + 1 > _settings.bufferMaxEvents || _queueBytes + bytes > _settings.bufferMaxBytes)
	{
		throw OverflowException("redis publish queue full (" + std::to_string(_queue.size()) + " events, "
			+ std::to_string(_queueBytes) + " bytes; limits eventbus.redis.buffer.maxEvents="
			+ std::to_string(_settings.bufferMaxEvents) + ", eventbus.redis.buffer.maxBytes="
			+ std::to_string(_settings.bufferMaxBytes) + ")"
			+ (outageCause.empty() ? std::string() : ": " + outageCause));
	}
	if (!outageCause.empty() && std::none_of(_queue.begin(), _queue.end(), [](const Pending& p) { return !p.done; }))
		_logger.warning("redis: buffering events (eventbus.redis.onOutage=buffer): " + outageCause);
	_queue.push_back(std::move(pending));
	_queueBytes += bytes;
	_wake.notify_all();
}

void RedisPublisher::failQueuedLocked(const std::string& cause, Completions& completions)
{
	for (auto& pending : _queue)
	{
		if (pending.done)
			completions.emplace_back(std::move(pending.done), std::make_exception_ptr(TransportException(cause)));
	}
	_queue.clear();
	_queueBytes = 0;
}

void RedisPublisher::sendLoop()
{
	Completions completions;
	std::size_t flushed = 0;
	std::unique_lock<std::mutex> lock(_mutex);
	for (;;)
	{
		if (!completions.empty())
		{
			// Never call back while holding the lock.
			lock.unlock();
			complete(completions);
			lock.lock();
		}
		if (_stopped)
			return; // stop() completes what is left
		if (_queue.empty())
		{
			if (flushed > 0)
				_logger.information("redis: flushed " + std::to_string(flushed) + " buffered events to " + _settings.endpoint.describe());
			flushed = 0;
			_wake.wait(lock, [this]() { return _stopped || !_queue.empty(); });
			continue;
		}
		if (!connectLocked())
		{
			if (_settings.onOutage == OutagePolicy::Fail)
			{
				failQueuedLocked(unavailableLocked(), completions);
				continue;
			}
			_wake.wait_until(lock, _nextAttempt, [this]() { return _stopped; });
			continue;
		}
		flushed += sendBatchLocked(lock, completions);
		if (completions.empty())
		{
			// Let waiting publishers in between batches; they queue behind.
			lock.unlock();
			std::this_thread::yield();
			lock.lock();
		}
	}
}

std::size_t RedisPublisher::sendBatchLocked(std::unique_lock<std::mutex>& lock, Completions& completions)
{
	const std::size_t count = std::min(_settings.pipelineMaxBatch, _queue.size());
	const bool proven = _connectionProven;
	_commands.clear();
	for (std::size_t i = 0; i < count; ++i)
		RedisConnection::append(_commands, {&PublishCommand, &_queue[i].channel, &_queue[i].wire});
	// Send and read without the lock: publishers keep queueing (and preparing
	// the next batch) during the round trip. Nothing else uses the connection
	// meanwhile: publish() queues behind the events in flight, health() waits.
	RedisConnection& connection = *_connection;
	_sending = true;
	lock.unlock();
	_replies.clear();
	bool failed = false;
	RedisFailure failure = RedisFailure::Closed;
	std::string failureMessage;
	try
	{
		connection.sendRaw(_commands);
		while (_replies.size() < count)
			_replies.push_back(connection.readReply());
	}
	catch (RedisError& exc)
	{
		failed = true;
		failure = exc.failure();
		failureMessage = exc.message();
	}
	lock.lock();
	_sending = false;
	_sent.notify_all();

	const std::size_t replied = _replies.size();
	std::size_t buffered = 0; // sent events a publish() had buffered
	for (std::size_t i = 0; i < replied; ++i)
	{
		const ReplyPtr& reply = _replies[i];
		_connectionProven = true;
		Pending pending = std::move(_queue.front());
		_queue.pop_front();
		_queueBytes -= pending.channel.size() + pending.wire.size();
		if (reply->type == REDIS_REPLY_ERROR)
		{
			const std::string serverError = RedisConnection::text(*reply);
			const bool denied = isPermissionError(serverError);
			const std::string error = denied
				? accessDeniedMessage(_settings.endpoint.describe(), _settings.endpoint.user, PublishCommand,
					pending.channel, serverError)
				: "redis " + _settings.endpoint.describe() + " refused PUBLISH: " + serverError;
			if (denied)
				_aclDenied.increment();
			if (pending.done)
			{
				completions.emplace_back(std::move(pending.done), denied
					? std::make_exception_ptr(AccessDeniedException(error))
					: std::make_exception_ptr(TransportException(error)));
			}
			else
			{
				// Nobody waits for a buffered event any more: count and log it here.
				_serverRefused.increment();
				_logger.error("redis: a buffered event on " + pending.channel + " was refused: " + error);
			}
		}
		else if (pending.done)
		{
			completions.emplace_back(std::move(pending.done), nullptr);
		}
		else
		{
			++buffered;
		}
	}
	_replies.clear();
	if (!failed)
	{
		_backoff.reset();
		return buffered;
	}
	dropConnectionLocked();
	_lastError = failureMessage;
	// A connection that worked may have been closed since (a server restart):
	// resend on a fresh one at once. Events whose reply did not arrive may be
	// sent twice; the receivers' idempotency window drops the duplicate.
	if (proven && replied == 0 && failure == RedisFailure::Closed)
		return buffered;
	const auto delay = _backoff.next();
	_nextAttempt = Clock::now() + delay;
	if (_settings.onOutage == OutagePolicy::Fail)
	{
		// The events in flight fail (their fate is unknown); later ones are
		// tried on the next connection.
		for (std::size_t i = replied; i < count && !_queue.empty(); ++i)
		{
			Pending pending = std::move(_queue.front());
			_queue.pop_front();
			_queueBytes -= pending.channel.size() + pending.wire.size();
			if (pending.done)
				completions.emplace_back(std::move(pending.done), std::make_exception_ptr(TransportException(failureMessage)));
		}
		return buffered;
	}
	_logger.warning("redis: sending buffered events failed: " + failureMessage + "; " + std::to_string(_queue.size())
		+ " events wait, next attempt in " + std::to_string(delay.count()) + " ms");
	return buffered;
}

TransportHealth RedisPublisher::health()
{
	std::unique_lock<std::mutex> lock(_mutex);
	// The sender's round trip is bounded by the command timeout.
	_sent.wait(lock, [this]() { return !_sending; });
	if (_stopped)
		return {false, "redis transport is stopped"};
	if (!connectLocked())
		return {false, _lastError};
	try
	{
		ReplyPtr reply = _connection->command({"PING"});
		if (RedisConnection::text(*reply) != "PONG")
			throwRedisError(_connection->endpoint(), RedisFailure::Protocol, "PING", "unexpected reply");
		_connectionProven = true;
		_backoff.reset();
	}
	catch (RedisError& exc)
	{
		dropConnectionLocked();
		_lastError = exc.message();
		_nextAttempt = Clock::now() + _backoff.next();
		return {false, exc.message()};
	}
	return {true, "redis " + _settings.endpoint.describe() + " answers PING"};
}

std::size_t RedisPublisher::queued() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _queue.size();
}

} // namespace eventbus
