//
// StreamPublisher.cpp
//
#include "StreamPublisher.h"
#include "ClusterRedirect.h"
#include "RedisError.h"
#include "RedisMetrics.h"
#include "StreamCommands.h"
#include <algorithm>
#include <future>

namespace eventbus {

namespace {

// Publisher replies are entry ids, integers, PONG or short errors.
constexpr std::size_t MaxPublisherReplyBytes = 64 * 1024;

Labels labels(const char* reason)
{
	return {{"transport", "redis-streams"}, {"reason", reason}};
}

/// The exception a failed login stands for: a wrong password or a missing
/// permission is the caller's to fix, not an outage.
std::exception_ptr loginError(bool denied, const std::string& message)
{
	if (denied)
		return std::make_exception_ptr(AccessDeniedException(message));
	return std::make_exception_ptr(TransportException(message));
}

} // namespace

StreamPublisher::StreamPublisher(const RedisSettings& redis, const StreamsSettings& streams,
	RedisSocketFactory socketFactory, Metrics& metrics, Poco::Logger& logger)
	: _redis(redis)
	, _streams(streams)
	, _socketFactory(std::move(socketFactory))
	, _logger(logger)
	, _bufferDiscarded(metrics.counter(Metrics::Dropped, labels("buffer-discarded")))
	, _aclDenied(metrics.counter(RedisMetrics::AclDenied, {{"transport", "redis-streams"}, {"operation", "publish"}}))
	, _backoff(redis.reconnectInitialMs, redis.reconnectMaxMs)
{
}

StreamPublisher::~StreamPublisher()
{
	stop(); // _sender detaches itself if stop() ran on it (from a completion)
}

void StreamPublisher::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopped || _sender.started())
		return;
	_sender.start([this]() { run(); });
}

void StreamPublisher::stop()
{
	{
		std::unique_lock<std::mutex> lock(_mutex);
		// Buffered events get one last chance, bounded by
		// eventbus.redis.commandTimeoutMs: the sender flushes them if the
		// server is (back) up; what is left is discarded and counted below.
		if (_sender.started() && !_sender.isCurrent())
		{
			const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(_redis.commandTimeoutMs);
			while (!_queue.empty() && Clock::now() < deadline)
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
		std::lock_guard<std::mutex> lock(_mutex);
		std::size_t buffered = 0;
		for (auto& pending : _queue)
		{
			if (pending.done)
				completions.push_back({std::move(pending.done), std::string(), std::make_exception_ptr(TransportException(
					"redis-streams transport stopped before the event was sent to " + _redis.endpoint.describe()))});
			else
				++buffered;
		}
		if (buffered > 0)
		{
			_logger.warning("redis-streams: discarding " + std::to_string(buffered) + " buffered events at shutdown; "
				+ _redis.endpoint.describe() + " was not reachable");
			_bufferDiscarded.increment(buffered);
		}
		_queue.clear();
		_queueBytes = 0;
	}
	complete(completions);
	if (!_sender.isCurrent() && _connection)
	{
		_connection->close();
		_connection.reset();
	}
}

void StreamPublisher::complete(Completions& completions)
{
	for (auto& completion : completions)
	{
		try
		{
			completion.done(completion.id, completion.error);
		}
		catch (...)
		{
			// A completion must not stop the others.
		}
	}
	completions.clear();
}

std::string StreamPublisher::publish(const std::string& key, const std::string& wire)
{
	if (_sender.isCurrent())
	{
		// From inside a completion: the sender cannot wait for itself; the
		// connection is idle meanwhile, so send this one directly.
		std::vector<Pending> batch{Pending{key, wire, nullptr, false, true}};
		std::string id;
		std::exception_ptr error;
		batch.front().done = [&](const std::string& entryId, std::exception_ptr e) { id = entryId; error = e; };
		Completions completions;
		std::vector<Pending> retry;
		if (!_connection || !sendBatch(batch, completions, retry))
			error = error ? error : std::make_exception_ptr(TransportException("redis " + _redis.endpoint.describe() + " unavailable"));
		complete(completions);
		if (error)
			std::rethrow_exception(error);
		return id;
	}
	auto result = std::make_shared<std::promise<std::string>>();
	std::future<std::string> future = result->get_future();
	{
		std::unique_lock<std::mutex> lock(_mutex);
		if (_stopped)
			throw TransportException("redis-streams transport is stopped");
		if (!_connected && (_denied || (Clock::now() < _nextAttempt && _redis.onOutage == OutagePolicy::Fail)))
			std::rethrow_exception(unavailableLocked());
		if (!_connected && _redis.onOutage == OutagePolicy::Buffer && !_lastError.empty())
		{
			enqueueLocked(Pending{key, wire, nullptr}, _lastError);
			return std::string();
		}
		enqueueLocked(Pending{key, wire, [result](const std::string& id, std::exception_ptr error) {
			if (error)
				result->set_exception(error);
			else
				result->set_value(id);
		}, true}, std::string());
	}
	// Bounded: every step of the sender is, and stop() fails what is left.
	// The error is thrown anew on this thread, not shared with the sender's.
	try
	{
		return future.get();
	}
	catch (OutcomeUnknownException& exc)
	{
		throw OutcomeUnknownException(exc.message());
	}
	catch (ClusterRedirectedError& exc)
	{
		throw ClusterRedirectedError(exc.message(), exc.redirect());
	}
	catch (AccessDeniedException& exc)
	{
		throw AccessDeniedException(exc.message());
	}
	catch (OverflowException& exc)
	{
		throw OverflowException(exc.message());
	}
	catch (Poco::Exception& exc)
	{
		throw TransportException(exc.message());
	}
}

void StreamPublisher::publishAsync(const std::string& key, const std::string& wire, Done done)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (_stopped)
		throw TransportException("redis-streams transport is stopped");
	if (!_connected && (_denied || (Clock::now() < _nextAttempt && _redis.onOutage == OutagePolicy::Fail)))
	{
		// A known outage fails as fast as publish() does.
		std::exception_ptr error = unavailableLocked();
		lock.unlock();
		done(std::string(), error);
		return;
	}
	enqueueLocked(Pending{key, wire, std::move(done)}, std::string());
}

void StreamPublisher::enqueueLocked(Pending&& pending, const std::string& outageCause)
{
	const std::size_t bytes = pending.key.size() + pending.wire.size();
	if (_queue.size() + 1 > _redis.bufferMaxEvents || _queueBytes + bytes > _redis.bufferMaxBytes)
	{
		throw OverflowException("redis-streams publish queue full (" + std::to_string(_queue.size()) + " events, "
			+ std::to_string(_queueBytes) + " bytes; limits eventbus.redis.buffer.maxEvents="
			+ std::to_string(_redis.bufferMaxEvents) + ", eventbus.redis.buffer.maxBytes="
			+ std::to_string(_redis.bufferMaxBytes) + ")" + (outageCause.empty() ? std::string() : ": " + outageCause));
	}
	if (!outageCause.empty() && std::none_of(_queue.begin(), _queue.end(), [](const Pending& p) { return !p.done; }))
		_logger.warning("redis-streams: buffering events (eventbus.redis.onOutage=buffer): " + outageCause);
	_queue.push_back(std::move(pending));
	_queueBytes += bytes;
	_wake.notify_all();
}

std::exception_ptr StreamPublisher::unavailableLocked() const
{
	std::string message = _lastError.empty() ? "redis " + _redis.endpoint.describe() + " unavailable" : _lastError;
	const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(_nextAttempt - Clock::now());
	if (wait.count() > 0)
		message += " (next connection attempt in " + std::to_string(wait.count()) + " ms)";
	return loginError(_denied, message);
}

void StreamPublisher::failQueuedLocked(Completions& completions)
{
	const std::exception_ptr error = unavailableLocked();
	for (auto it = _queue.begin(); it != _queue.end();)
	{
		if (it->done)
		{
			_queueBytes -= it->key.size() + it->wire.size();
			completions.push_back({std::move(it->done), std::string(), error});
			it = _queue.erase(it);
		}
		else
		{
			++it;
		}
	}
}

void StreamPublisher::releaseWaitingLocked(Completions& completions)
{
	bool released = false;
	for (Pending& pending : _queue)
	{
		if (pending.sync && pending.done)
		{
			completions.push_back({std::move(pending.done), std::string(), nullptr});
			pending.done = nullptr;
			released = true;
		}
	}
	if (released)
		_logger.warning("redis-streams: buffering events (eventbus.redis.onOutage=buffer): " + _lastError);
}

bool StreamPublisher::connect()
{
	auto connection = std::make_unique<RedisConnection>(_redis, _socketFactory(), MaxPublisherReplyBytes);
	try
	{
		connection->open();
	}
	catch (RedisError& exc)
	{
		const bool denied = exc.failure() == RedisFailure::Auth || exc.failure() == RedisFailure::Permission;
		const auto delay = denied ? _backoff.nextAtMax() : _backoff.next();
		std::lock_guard<std::mutex> lock(_mutex);
		_lastError = exc.message();
		_denied = denied;
		_nextAttempt = Clock::now() + delay;
		if (!_outageLogged || denied)
			_logger.warning("redis-streams publisher: " + _lastError + "; next attempt in " + std::to_string(delay.count()) + " ms");
		_outageLogged = true;
		return false;
	}
	std::lock_guard<std::mutex> lock(_mutex);
	// The node it reached: the URL's, or the master the sentinels named.
	_connectedTo = connection->endpoint();
	_connection = std::move(connection);
	if (_outageLogged)
		_logger.information("redis-streams publisher: connected to " + _connectedTo);
	_connected = true;
	_denied = false;
	_lastError.clear();
	_outageLogged = false;
	_nextAttempt = Clock::time_point{};
	return true;
}

void StreamPublisher::heartbeat()
{
	try
	{
		ReplyPtr reply = _connection->command({"PING"});
		_backoff.reset();
	}
	catch (RedisError& exc)
	{
		_connection->close();
		_connection.reset();
		std::lock_guard<std::mutex> lock(_mutex);
		_connected = false;
		_lastError = exc.message();
	}
}

TransportHealth StreamPublisher::health() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopped)
		return {false, "redis-streams transport is stopped"};
	if (!_connected)
		return {false, _lastError.empty() ? "redis " + _redis.endpoint.describe() + " not connected yet" : _lastError};
	return {true, "redis " + _connectedTo + " connected"};
}

} // namespace eventbus
