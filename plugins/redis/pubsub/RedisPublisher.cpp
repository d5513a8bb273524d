//
// RedisPublisher.cpp
//
// The publisher's lifecycle, its connection (taken under the lock, used
// without it), publish() and health(). The sender thread is in
// RedisPublisherSender.cpp.
//
#include "RedisPublisher.h"
#include "RedisCommands.h"
#include "RedisError.h"
#include "RedisMetrics.h"
#include "eventbus/SafeText.h"
#include <algorithm>

namespace eventbus {

namespace {

// Publisher replies are integers, PONG or short errors.
constexpr std::size_t MaxPublisherReplyBytes = 64 * 1024;

// A publish() queued behind asynchronous ones: the sender hands over a copy
// of the error of its own, so no exception object is shared between threads.
struct QueuedResult
{
	std::mutex mutex;
	std::condition_variable done;
	bool finished = false;
	std::unique_ptr<Poco::Exception> error;
};

} // namespace


RedisPublisher::RedisPublisher(const RedisSettings& settings, RedisSocketFactory socketFactory,
	Metrics& metrics, Poco::Logger& logger, bool sharded)
	: _settings(settings)
	, _socketFactory(std::move(socketFactory))
	, _sharded(sharded)
	, _logger(logger)
	, _endpoint(settings.endpoint.describe())
	, _bufferDiscarded(RedisMetrics::dropped(metrics, RedisMetrics::DroppedBufferDiscarded))
	, _serverRefused(RedisMetrics::publishFailed(metrics, RedisMetrics::FailedServerRefused))
	, _aclDenied(RedisMetrics::aclDenied(metrics, "publish"))
	, _backoff(settings.reconnectInitialMs, settings.reconnectMaxMs)
{
}

RedisPublisher::~RedisPublisher()
{
	stop(); // _sender detaches itself if stop() ran on it (from a completion)
}

void RedisPublisher::start()
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (_stopped || _sender.started())
		return;
	waitIdleLocked(lock);
	connectLocked(lock);
	_sender.start([this]() { sendLoop(); });
}

void RedisPublisher::onRedirect(RedirectHandler handler)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_onRedirect = std::move(handler);
}

void RedisPublisher::stop()
{
	{
		std::unique_lock<std::mutex> lock(_mutex);
		// Buffered events get one last chance, bounded by
		// eventbus.redis.commandTimeoutMs: the sender flushes them if the
		// server is (back) up; what is left is discarded and counted below.
		if (_sender.started() && !_sender.isCurrent())
		{
			const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(_settings.commandTimeoutMs);
			while ((!_queue.empty() || _busy) && Clock::now() < deadline)
			{
				lock.unlock();
				std::this_thread::sleep_for(std::chrono::milliseconds(10));
				lock.lock();
			}
		}
		_stopped = true;
	}
	_wake.notify_all();
	_sender.join(); // returns at once on the sender itself

	Completions completions;
	{
		std::unique_lock<std::mutex> lock(_mutex);
		// A publish() or health() still using the connection ends within the command timeout.
		waitIdleLocked(lock);
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

void RedisPublisher::waitIdleLocked(std::unique_lock<std::mutex>& lock)
{
	_idle.wait(lock, [this]() { return !_busy; });
}

bool RedisPublisher::connectLocked(std::unique_lock<std::mutex>& lock)
{
	if (_connection)
		return true;
	if (Clock::now() < _nextAttempt)
		return false;
	// Connect, TLS handshake and login without the lock: publishers queue and
	// health() answers meanwhile; nobody else uses the connection while _busy.
	_busy = true;
	lock.unlock();
	std::unique_ptr<RedisConnection> connection;
	std::string failure;
	bool authFailure = false;
	try
	{
		connection = std::make_unique<RedisConnection>(_settings, _socketFactory(), MaxPublisherReplyBytes);
		connection->open();
	}
	catch (RedisError& exc)
	{
		failure = exc.message();
		authFailure = exc.failure() == RedisFailure::Auth;
	}
	lock.lock();
	_busy = false;
	_idle.notify_all();
	if (!failure.empty())
	{
		_lastError = failure;
		_denied = authFailure;
		const auto delay = authFailure ? _backoff.nextAtMax() : _backoff.next();
		_nextAttempt = Clock::now() + delay;
		if (!_outageLogged || authFailure)
			_logger.warning("redis publisher: " + _lastError + "; next attempt in " + std::to_string(delay.count()) + " ms");
		else
			_logger.debug("redis publisher: " + _lastError);
		_outageLogged = true;
		return false;
	}
	if (_outageLogged)
		_logger.information("redis publisher: connected to " + connection->endpoint());
	// The backoff is reset by the first command that succeeds, not here: a
	// server that accepts connections and then fails must not be hammered.
	_connection = std::move(connection);
	_connectionProven = false;
	_nextAttempt = Clock::time_point{};
	_lastError.clear();
	_denied = false;
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
	for (;;)
	{
		if (_stopped)
			throw TransportException("redis transport is stopped");
		// Events queued before this one go first: order is kept. (A completion
		// that publishes runs on the sender thread, which must not wait for itself.)
		if (!_queue.empty() && !_sender.isCurrent())
		{
			publishQueued(lock, channel, wire);
			return;
		}
		if (!_busy)
			break;
		_idle.wait(lock);
	}
	publishDirect(lock, channel, wire);
}

void RedisPublisher::publishQueued(std::unique_lock<std::mutex>& lock, const std::string& channel, const std::string& wire)
{
	if (_settings.onOutage == OutagePolicy::Buffer)
	{
		enqueueLocked(Pending::copied(channel, wire, nullptr, _sharded), _lastError);
		return;
	}
	// The caller waits below until the event is done: no copy.
	auto result = std::make_shared<QueuedResult>();
	enqueueLocked(Pending::borrowed(channel, wire, [result](std::exception_ptr error) {
		std::unique_ptr<Poco::Exception> copy;
		if (error)
		{
			try
			{
				std::rethrow_exception(error);
			}
			catch (Poco::Exception& exc)
			{
				copy.reset(exc.clone());
			}
			catch (std::exception& exc)
			{
				copy.reset(new TransportException(exc.what()));
			}
		}
		{
			std::lock_guard<std::mutex> resultLock(result->mutex);
			result->error = std::move(copy);
			result->finished = true;
		}
		result->done.notify_all();
	}, _sharded), std::string());
	lock.unlock();
	// Bounded: every step of the sender is, and stop() fails what is left.
	std::unique_ptr<Poco::Exception> error;
	{
		std::unique_lock<std::mutex> resultLock(result->mutex);
		result->done.wait(resultLock, [&]() { return result->finished; });
		error = std::move(result->error);
	}
	// Thrown anew from this thread, as the type the sender classified
	// (AccessDeniedException, OutcomeUnknownException, TransportException).
	if (error)
		error->rethrow();
}

void RedisPublisher::publishDirect(std::unique_lock<std::mutex>& lock, const std::string& channel, const std::string& wire)
{
	std::string command;
	command.reserve(channel.size() + wire.size() + 48);
	RedisCommands::appendPublish(command, channel, wire, _sharded);
	for (int attempt = 0;; ++attempt)
	{
		if (!connectLocked(lock))
		{
			// A refused login (WRONGPASS, NOPERM on AUTH) does not heal by
			// waiting: never buffered, reported as not permitted.
			if (_denied)
				throw AccessDeniedException(unavailableLocked());
			if (_settings.onOutage == OutagePolicy::Buffer)
			{
				enqueueLocked(Pending::copied(channel, wire, nullptr, _sharded), _lastError);
				return;
			}
			throw TransportException(unavailableLocked());
		}
		if (_stopped)
			throw TransportException("redis transport is stopped");
		const bool proven = _connectionProven;
		RedisConnection& connection = *_connection;
		// The round trip without the lock; nobody else uses the connection meanwhile.
		_busy = true;
		lock.unlock();
		ReplyPtr reply;
		bool failed = false;
		RedisFailure failure = RedisFailure::Closed;
		std::string failureMessage;
		try
		{
			connection.sendRaw(command);
			reply = connection.readReply();
		}
		catch (RedisError& exc)
		{
			failed = true;
			failure = exc.failure();
			failureMessage = exc.message();
		}
		lock.lock();
		_busy = false;
		_idle.notify_all();

		if (!failed)
		{
			_connectionProven = true;
			if (reply->type != REDIS_REPLY_ERROR)
			{
				_backoff.reset();
				return;
			}
			// The server is up and refused this event (ACL, OOM, ...): no outage.
			// The bus counts the failure.
			const std::string serverError = RedisConnection::text(*reply);
			if (_onRedirect)
			{
				const ClusterRedirect redirect = ClusterRedirect::parse(serverError);
				if (redirect.kind != ClusterRedirect::Kind::None)
					throw ClusterRedirectedError("redis " + _endpoint + " redirected SPUBLISH: " + SafeText::escape(serverError), redirect);
			}
			if (classifyReply(serverError, ReplyStage::Command) == RedisFailure::Permission)
			{
				// The ACL user may not use this channel: the caller's error, not an
				// outage. Never retried, never buffered.
				_aclDenied.increment();
				throw AccessDeniedException(accessDeniedMessage(_endpoint, _settings.endpoint.user,
					RedisCommands::Publish, channel, serverError));
			}
			try
			{
				throwReplyError(_endpoint, serverError, RedisCommands::Publish);
			}
			catch (RedisError& exc)
			{
				throw TransportException(exc.message());
			}
		}
		dropConnectionLocked();
		_lastError = failureMessage;
		// A connection that worked may have been closed since (a server
		// restart): one fresh connection, at once. A duplicate this may cause
		// is dropped by the receivers' idempotency window.
		if (proven && attempt == 0 && failure == RedisFailure::Closed)
			continue;
		_nextAttempt = Clock::now() + _backoff.next();
		// No reply in time to a PUBLISH written (a send that timed out may have
		// written part of it): the server may have it, and may still deliver
		// it. Neither buffered nor retried. (A closed connection is not: the
		// server went away, and what it had not answered is lost with it.)
		if (failure == RedisFailure::Timeout)
			throw OutcomeUnknownException(outcomeUnknownMessage(failureMessage, RedisCommands::Publish));
		if (_settings.onOutage == OutagePolicy::Buffer)
		{
			enqueueLocked(Pending::copied(channel, wire, nullptr, _sharded), failureMessage);
			return;
		}
		throw TransportException(failureMessage);
	}
}

void RedisPublisher::requeue(const std::string& channel, const std::string& wire, PublishCallback done)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (_stopped)
		throw TransportException("redis transport is stopped");
	enqueueLocked(Pending::copied(channel, wire, std::move(done), _sharded), std::string());
}

void RedisPublisher::publishAsync(const std::string& channel, const std::string& wire, PublishCallback done, bool classic,
	bool borrow)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (_stopped)
		throw TransportException("redis transport is stopped");
	if (!_connection && (_denied || (_settings.onOutage == OutagePolicy::Fail && Clock::now() < _nextAttempt)))
	{
		// A known outage or refused login fails as fast as publish() does.
		const std::string message = unavailableLocked();
		const bool denied = _denied;
		lock.unlock();
		done(denied ? std::make_exception_ptr(AccessDeniedException(message))
			: std::make_exception_ptr(TransportException(message)));
		return;
	}
	const bool sharded = _sharded && !classic;
	enqueueLocked(borrow ? Pending::borrowed(channel, wire, std::move(done), sharded)
		: Pending::copied(channel, wire, std::move(done), sharded), std::string());
}

void RedisPublisher::enqueueLocked(Pending&& pending, const std::string& outageCause)
{
	const std::size_t bytes = pending.bytes();
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

TransportHealth RedisPublisher::health()
{
	std::unique_lock<std::mutex> lock(_mutex);
	// Whoever uses the connection is done within the command timeout.
	waitIdleLocked(lock);
	if (_stopped)
		return {false, "redis transport is stopped"};
	if (!connectLocked(lock))
		return {false, _lastError};
	if (_stopped)
		return {false, "redis transport is stopped"};
	RedisConnection& connection = *_connection;
	_busy = true;
	lock.unlock();
	std::string failure;
	try
	{
		ReplyPtr reply = connection.command(RedisCommands::ping());
		if (RedisConnection::text(*reply) != "PONG")
			throwRedisError(_endpoint, RedisFailure::Protocol, "PING", "unexpected reply");
	}
	catch (RedisError& exc)
	{
		failure = exc.message();
	}
	lock.lock();
	_busy = false;
	_idle.notify_all();
	if (!failure.empty())
	{
		dropConnectionLocked();
		_lastError = failure;
		_nextAttempt = Clock::now() + _backoff.next();
		return {false, failure};
	}
	_connectionProven = true;
	_backoff.reset();
	return {true, "redis " + _endpoint + " answers PING"};
}

std::size_t RedisPublisher::queued() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _queue.size();
}

} // namespace eventbus
