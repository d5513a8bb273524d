//
// StreamPublisherSender.cpp
//
// StreamPublisher's sender thread: connects, sends the queue in pipelined
// batches of XADD (plus XTRIM MINID when both bounds are set, plus one WAIT
// when replicas are required), completes each publish with its entry id or
// its error, and pings the idle connection. A batch written without its
// replies completes with OutcomeUnknownException; buffered events are sent
// again.
//
#include "StreamPublisher.h"
#include "ClusterRedirect.h"
#include "RedisError.h"
#include "StreamCommands.h"
#include "eventbus/SafeText.h"
#include <Poco/Timestamp.h>
#include <algorithm>

namespace eventbus {

std::string StreamPublisher::minId() const
{
	if (_streams.maxAgeSeconds <= 0)
		return std::string();
	const Poco::Timestamp now;
	const long long ms = now.epochMicroseconds() / 1000 - static_cast<long long>(_streams.maxAgeSeconds) * 1000;
	return std::to_string(std::max(0LL, ms));
}

std::string StreamPublisher::replicationShortfall(const std::string& endpoint, const redisReply& waited,
	const StreamsSettings& streams)
{
	const long long acks = waited.type == REDIS_REPLY_INTEGER ? waited.integer : -1;
	if (acks >= streams.waitReplicas)
		return std::string();
	return "redis " + endpoint + ": replicated to " + std::to_string(std::max(0LL, acks)) + " of "
		+ std::to_string(streams.waitReplicas) + " replicas within eventbus.redis.streams.waitTimeoutMs="
		+ std::to_string(streams.waitTimeoutMs) + " ms";
}

bool StreamPublisher::sendBatch(std::vector<Pending>& batch, Completions& completions, std::vector<Pending>& retry)
{
	const std::string minimum = minId();
	const bool trimSeparately = _streams.maxLen > 0 && !minimum.empty();
	std::size_t repliesDue = 0;
	_commands.clear();
	for (const Pending& pending : batch)
	{
		_commands += RedisConnection::format(StreamCommands::xadd(pending.key, pending.wire, _streams.maxLen, minimum));
		++repliesDue;
		if (trimSeparately)
		{
			_commands += RedisConnection::format(StreamCommands::trimMinId(pending.key, minimum));
			++repliesDue;
		}
	}
	if (_streams.waitReplicas > 0)
	{
		_commands += RedisConnection::format(StreamCommands::wait(_streams.waitReplicas, _streams.waitTimeoutMs));
		++repliesDue;
	}
	std::vector<ReplyPtr> replies;
	replies.reserve(repliesDue);
	bool written = false;
	std::string failure;
	try
	{
		_connection->sendRaw(_commands);
		written = true;
		while (replies.size() < repliesDue)
			replies.push_back(_connection->readReply());
	}
	catch (RedisError& exc)
	{
		failure = exc.message();
	}
	if (!failure.empty())
	{
		_connection->close();
		_connection.reset();
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_connected = false;
			_lastError = failure;
			_nextAttempt = Clock::now() + _backoff.next();
		}
		for (Pending& pending : batch)
		{
			if (!pending.done)
			{
				// Nobody waits for a buffered event: send it again (a duplicate
				// entry, at worst, which the receivers' idempotency drops).
				retry.push_back(std::move(pending));
			}
			else if (written)
			{
				completions.push_back({std::move(pending.done), std::string(), std::make_exception_ptr(OutcomeUnknownException(
					failure + ": the XADD was written and no reply came; the event may or may not be in the stream"))});
			}
			else
			{
				completions.push_back({std::move(pending.done), std::string(), std::make_exception_ptr(TransportException(failure))});
			}
		}
		return false;
	}
	_backoff.reset();
	std::string replicated;
	if (_streams.waitReplicas > 0)
		replicated = replicationShortfall(_connection->endpoint(), *replies.back(), _streams);
	const std::size_t stride = trimSeparately ? 2 : 1;
	std::vector<std::pair<Pending, ClusterRedirect>> redirected; // events a cluster node redirected
	for (std::size_t i = 0; i < batch.size(); ++i)
	{
		Pending& pending = batch[i];
		const redisReply& reply = *replies[i * stride];
		std::exception_ptr error;
		std::string id;
		if (reply.type == REDIS_REPLY_ERROR)
		{
			const std::string serverError = RedisConnection::text(reply);
			if (isPermissionError(serverError))
			{
				_aclDenied.increment();
				error = std::make_exception_ptr(AccessDeniedException(accessDeniedMessage(_redis.endpoint.describe(),
					_redis.endpoint.user, "XADD", pending.key, serverError)));
			}
			else
			{
				const ClusterRedirect redirect = ClusterRedirect::parse(serverError);
				if (redirect.kind != ClusterRedirect::Kind::None && _onRedirect && !pending.direct)
				{
					// On a cluster: the node does not serve the key's slot; the
					// cluster publisher re-routes the event, `done` and all.
					redirected.push_back({std::move(pending), redirect});
					continue;
				}
				const std::string message = "redis " + _connection->endpoint() + " refused XADD: " + SafeText::escape(serverError);
				error = redirect.kind != ClusterRedirect::Kind::None
					? std::make_exception_ptr(ClusterRedirectedError(message, redirect))
					: std::make_exception_ptr(TransportException(message));
			}
		}
		else if (!replicated.empty())
		{
			error = std::make_exception_ptr(TransportException(replicated));
		}
		else
		{
			id = RedisConnection::text(reply);
		}
		if (pending.done)
			completions.push_back({std::move(pending.done), id, error});
		else if (error)
			_logger.error("redis-streams: a buffered event for " + pending.key + " was refused: "
				+ (replicated.empty() ? RedisConnection::text(reply) : replicated));
	}
	// After the completions of this batch: an event re-routed to another node
	// completes there, later.
	complete(completions);
	for (auto& item : redirected)
		_onRedirect(std::move(item.first.key), std::move(item.first.wire), std::move(item.first.done), item.second);
	return true;
}

void StreamPublisher::run()
{
	Completions completions;
	std::vector<Pending> batch;
	std::vector<Pending> retry;
	std::unique_lock<std::mutex> lock(_mutex);
	for (;;)
	{
		if (!completions.empty())
		{
			lock.unlock();
			complete(completions); // never under the lock
			lock.lock();
		}
		if (_stopped)
			return; // stop() completes what is left
		if (!_connected)
		{
			const auto now = Clock::now();
			if (now < _nextAttempt)
			{
				if (_redis.onOutage == OutagePolicy::Fail || _denied)
					failQueuedLocked(completions);
				else
					releaseWaitingLocked(completions);
				if (!completions.empty())
					continue;
				_wake.wait_until(lock, _nextAttempt, [this]() { return _stopped; });
				continue;
			}
			lock.unlock();
			connect();
			lock.lock();
			continue;
		}
		if (_queue.empty())
		{
			const bool woken = _wake.wait_for(lock, std::chrono::milliseconds(_redis.healthIntervalMs),
				[this]() { return _stopped || !_queue.empty(); });
			if (!woken)
			{
				lock.unlock();
				heartbeat();
				lock.lock();
			}
			continue;
		}
		const std::size_t count = std::min(_redis.pipelineMaxBatch, _queue.size());
		batch.clear();
		for (std::size_t i = 0; i < count; ++i)
		{
			batch.push_back(std::move(_queue.front()));
			_queue.pop_front();
		}
		std::size_t bytes = 0;
		for (const Pending& pending : batch)
			bytes += pending.key.size() + pending.wire.size();
		lock.unlock();
		retry.clear();
		sendBatch(batch, completions, retry);
		lock.lock();
		_queueBytes -= bytes;
		// What must be sent again goes first, in its order.
		for (auto it = retry.rbegin(); it != retry.rend(); ++it)
		{
			_queueBytes += it->key.size() + it->wire.size();
			_queue.push_front(std::move(*it));
		}
	}
}

} // namespace eventbus
