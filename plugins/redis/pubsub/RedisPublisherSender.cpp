//
// RedisPublisherSender.cpp
//
// The publisher's sender thread: sends the queue in pipelined batches
// without the lock, matches the replies, and completes the callbacks outside
// the lock.
//
#include "RedisPublisher.h"
#include "RedisCommands.h"
#include "RedisError.h"
#include <algorithm>

namespace eventbus {

void RedisPublisher::complete(Completions& completions)
{
	for (auto& completion : completions)
	{
		// Moved out: the error is the callback's alone once handed over, and
		// the callback (with what it captured, e.g. a promise) goes right after
		// its call; this thread keeps no reference to either.
		PublishCallback done = std::move(completion.first);
		try
		{
			done(std::move(completion.second));
		}
		catch (...)
		{
			// A completion must not stop the others.
		}
	}
	completions.clear();
}

void RedisPublisher::redirect(std::vector<Redirected>& redirected)
{
	for (auto& entry : redirected)
	{
		try
		{
			_onRedirect(entry.pending.channel(), entry.pending.wire(), std::move(entry.pending.done), entry.redirect);
		}
		catch (...)
		{
			// The handler completes what it cannot re-route.
		}
	}
	redirected.clear();
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
		if (!completions.empty() || !_redirected.empty())
		{
			// Never call back while holding the lock.
			lock.unlock();
			complete(completions);
			redirect(_redirected);
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
		if (_busy)
		{
			// A publish() or health() uses the connection: batch after it.
			_idle.wait(lock, [this]() { return _stopped || !_busy; });
			continue;
		}
		if (!connectLocked(lock))
		{
			if (_settings.onOutage == OutagePolicy::Fail)
			{
				failQueuedLocked(unavailableLocked(), completions);
				continue;
			}
			_wake.wait_until(lock, _nextAttempt, [this]() { return _stopped; });
			continue;
		}
		if (_stopped || _queue.empty())
			continue; // connecting released the lock
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
		RedisCommands::appendPublish(_commands, _queue[i].channel(), _queue[i].wire(), _queue[i].sharded);
	// Send and read without the lock: publishers keep queueing (and preparing
	// the next batch) during the round trip. Nothing else uses the connection
	// meanwhile: publish() queues behind the events in flight, health() waits.
	RedisConnection& connection = *_connection;
	_busy = true;
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
	_busy = false;
	_idle.notify_all();

	const std::size_t replied = _replies.size();
	std::size_t buffered = 0; // sent events a publish() had buffered
	for (std::size_t i = 0; i < replied; ++i)
	{
		const ReplyPtr& reply = _replies[i];
		_connectionProven = true;
		Pending pending = std::move(_queue.front());
		_queue.pop_front();
		_queueBytes -= pending.bytes();
		if (reply->type == REDIS_REPLY_ERROR && _onRedirect)
		{
			ClusterRedirect redirect = ClusterRedirect::parse(RedisConnection::text(*reply));
			if (redirect.kind != ClusterRedirect::Kind::None)
			{
				_redirected.push_back(Redirected{std::move(pending), redirect});
				continue;
			}
		}
		if (reply->type == REDIS_REPLY_ERROR)
		{
			const std::string serverError = RedisConnection::text(*reply);
			const bool denied = classifyReply(serverError, ReplyStage::Command) == RedisFailure::Permission;
			const std::string error = denied
				? accessDeniedMessage(_endpoint, _settings.endpoint.user, RedisCommands::publishWord(pending.sharded),
					pending.channel(), serverError)
				: "redis " + _endpoint + " refused " + RedisCommands::publishWord(pending.sharded) + ": " + serverError;
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
				_logger.error("redis: a buffered event on " + pending.channel() + " was refused: " + error);
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
	// The events in flight whose caller waits: written (or partly, when the
	// send timed out) and not answered in time, their outcome is unknown,
	// whatever the policy; never resent. Lost with a closed connection: a
	// plain failure (onOutage=fail) or tried again on the next connection
	// (buffer). Buffered events (nobody waits) stay queued and are sent
	// again: at least once.
	const bool unknown = failure == RedisFailure::Timeout;
	const std::string unknownMessage = outcomeUnknownMessage(failureMessage, RedisCommands::Publish);
	std::deque<Pending> kept;
	for (std::size_t i = replied; i < count && !_queue.empty(); ++i)
	{
		Pending pending = std::move(_queue.front());
		_queue.pop_front();
		const bool keep = pending.done ? (!unknown && _settings.onOutage == OutagePolicy::Buffer)
			: _settings.onOutage == OutagePolicy::Buffer;
		if (keep)
		{
			kept.push_back(std::move(pending));
			continue;
		}
		_queueBytes -= pending.bytes();
		if (pending.done)
		{
			completions.emplace_back(std::move(pending.done), unknown
				? std::make_exception_ptr(OutcomeUnknownException(unknownMessage))
				: std::make_exception_ptr(TransportException(failureMessage)));
		}
	}
	while (!kept.empty())
	{
		_queue.push_front(std::move(kept.back()));
		kept.pop_back();
	}
	if (_settings.onOutage == OutagePolicy::Fail)
		return buffered;
	_logger.warning("redis: sending buffered events failed: " + failureMessage + "; " + std::to_string(_queue.size())
		+ " events wait, next attempt in " + std::to_string(delay.count()) + " ms");
	return buffered;
}

} // namespace eventbus
