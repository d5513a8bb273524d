//
// StreamDelivery.cpp
//
#include "StreamDelivery.h"
#include "RedisError.h"
#include "StreamsMetrics.h"

namespace eventbus {

namespace {

constexpr std::size_t MaxReplyBytes = 64 * 1024;

/// The bus says so when no subscription took the entry: it stays pending for
/// another consumer of the group (or this one's next re-read).
bool notTaken(const DeliveryResult& result)
{
	return result.outcome == DeliveryOutcome::Rejected && (result.reason == "unsubscribed" || result.reason == "closed");
}

} // namespace

StreamDelivery::StreamDelivery(const RedisSettings& redis, const StreamsSettings& streams,
	RedisSocketFactory socketFactory, Metrics& metrics, Poco::Logger& logger, const Redactor& redactor,
	Settled settled, Failed failed)
	: _redis(redis)
	, _streams(streams)
	, _socketFactory(std::move(socketFactory))
	, _metrics(metrics)
	, _logger(logger)
	, _redactor(redactor)
	, _settled(std::move(settled))
	, _failed(std::move(failed))
	, _acked(metrics.counter(StreamsMetrics::Acked, {{"transport", "redis-streams"}}))
	, _deadLettered(metrics.counter(StreamsMetrics::DeadLettered, {{"transport", "redis-streams"}}))
	, _deadLetterLog(logger)
	, _ackLog(logger)
	, _backoff(redis.reconnectInitialMs, redis.reconnectMaxMs)
{
}

StreamDelivery::~StreamDelivery()
{
	stop(); // _thread detaches itself if stop() ran on it (from a callback)
}

void StreamDelivery::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopping || _thread.started())
		return;
	_thread.start([this]() { run(); });
}

void StreamDelivery::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping && !_thread.started())
			return;
		_stopping = true;
		_queue.clear(); // still pending in Redis: redelivered later
	}
	_ready.notify_all();
	if (_thread.isCurrent())
		return;
	_thread.join();
	if (_connection)
	{
		_connection->close();
		_connection.reset();
	}
}

void StreamDelivery::offer(std::vector<DueEntry>&& entries)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
			return;
		for (DueEntry& entry : entries)
			_queue.push_back(std::move(entry));
	}
	entries.clear();
	_ready.notify_one();
}

DeliveryResult StreamDelivery::deliver(const DueEntry& due)
{
	InboundMessage message(due.entry.key, due.entry.wire);
	message.id = due.entry.id;
	message.deliveryCount = due.entry.deliveryCount;
	bool delivered = false;
	bool handled = false;
	DeliveryResult failed;
	DeliveryResult rejected = DeliveryResult::rejected("unsubscribed");
	for (const StreamTargetPtr& target : due.targets)
	{
		DeliveryResult result = DeliveryResult::rejected("unsubscribed");
		target->gate.pass([&]() { result = target->callback(message); });
		if (notTaken(result))
			continue;
		delivered = true;
		if (result.outcome == DeliveryOutcome::Failed)
			failed = result;
		else if (result.outcome == DeliveryOutcome::Handled)
			handled = true;
		else
			rejected = result;
	}
	if (!delivered)
		return DeliveryResult::rejected("unsubscribed");
	// One subscription failing is enough to retry: every callback of the
	// consumer gets the entry again (their idempotency drops what they handled).
	if (failed.outcome == DeliveryOutcome::Failed)
		return failed;
	return handled ? DeliveryResult::handled() : rejected;
}

Command StreamDelivery::deadLetterCommand(const DueEntry& due, const std::string& reason) const
{
	Command argv{"XADD", StreamsSettings::deadLetterKey(due.entry.key)};
	if (_streams.maxLen > 0)
		argv.insert(argv.end(), {"MAXLEN", "~", std::to_string(_streams.maxLen)});
	argv.insert(argv.end(), {"*", "channel", due.entry.key, "id", due.entry.id, "group", due.group,
		"deliveries", std::to_string(due.entry.deliveryCount), "error", _redactor.redactText(reason, 1024),
		StreamCommands::EnvelopeField, due.entry.wire});
	return argv;
}

void StreamDelivery::run()
{
	std::vector<DueEntry> batch;
	for (;;)
	{
		{
			std::unique_lock<std::mutex> lock(_mutex);
			if (_unsettled.empty())
				_ready.wait(lock, [this]() { return _stopping || !_queue.empty(); });
			if (_stopping)
				break;
			batch.swap(_queue);
		}
		std::vector<std::string> released;
		for (DueEntry& due : batch)
		{
			DeliveryResult result;
			if (due.deadLetterOnly)
				result = DeliveryResult::failed(due.lastError);
			else
				result = deliver(due);
			if (notTaken(result))
			{
				released.push_back(due.inFlightKey());
				continue;
			}
			if (result.outcome == DeliveryOutcome::Failed)
			{
				if (static_cast<int>(due.entry.deliveryCount) < _streams.maxDeliveries && !due.deadLetterOnly)
				{
					due.lastError = result.reason;
					_failed(std::move(due));
					continue;
				}
				_unsettled.push_back({due.group, due.entry.key, due.entry.id, due.inFlightKey(),
					deadLetterCommand(due, result.reason)});
				continue;
			}
			if (result.outcome == DeliveryOutcome::Rejected)
				_metrics.counter(StreamsMetrics::Rejected, {{"transport", "redis-streams"}, {"reason", result.reason}}).increment();
			_unsettled.push_back({due.group, due.entry.key, due.entry.id, due.inFlightKey(), Command()});
		}
		batch.clear();
		if (!released.empty())
			_settled(released);
		if (_unsettled.empty())
			continue;
		if (!settle(_unsettled))
		{
			// Wait before the next attempt; new entries still queue meanwhile.
			const auto delay = _backoff.next();
			std::unique_lock<std::mutex> lock(_mutex);
			_ready.wait_for(lock, delay, [this]() { return _stopping; });
			if (_stopping)
				break;
		}
	}
	// Once more at stop: what the handlers finished should not come again.
	if (!_unsettled.empty())
		settle(_unsettled);
}

bool StreamDelivery::settle(std::vector<Settlement>& settlements)
{
	try
	{
		if (!_connection)
		{
			auto connection = std::make_unique<RedisConnection>(_redis, _socketFactory(), MaxReplyBytes);
			connection->open();
			_connection = std::move(connection);
		}
		// Dead letters first, each checked: an entry is acknowledged only once
		// its dead letter is written. One refused stays pending (reclaimed,
		// tried again later); one that could not be sent fails the round.
		std::vector<std::string> unwritten;
		for (auto it = settlements.begin(); it != settlements.end();)
		{
			if (it->deadLetter.empty())
			{
				++it;
				continue;
			}
			std::string refusal;
			if (_deadLetterWriter)
			{
				refusal = _deadLetterWriter(it->deadLetter);
			}
			else
			{
				_connection->send(it->deadLetter);
				ReplyPtr reply = _connection->readReply();
				if (reply->type == REDIS_REPLY_ERROR)
					refusal = RedisConnection::text(*reply);
			}
			if (!refusal.empty())
			{
				_deadLetterLog.warning("redis-streams: dead letter for entry " + it->id + " of " + _redactor.redactText(it->key, 256)
					+ " refused: " + _redactor.redactText(refusal, 512) + "; the entry stays pending");
				unwritten.push_back(it->inFlightKey);
				it = settlements.erase(it);
				continue;
			}
			it->deadLetter.clear();
			it->deadLettered = true;
			++it;
		}
		if (!unwritten.empty())
			_settled(unwritten);
		if (settlements.empty())
			return true;
		// One XACK per stream and group, in order.
		std::string commands;
		std::size_t replies = 0;
		std::size_t i = 0;
		while (i < settlements.size())
		{
			std::vector<std::string> ids{settlements[i].id};
			std::size_t j = i + 1;
			while (j < settlements.size() && settlements[j].key == settlements[i].key
				&& settlements[j].group == settlements[i].group)
			{
				ids.push_back(settlements[j].id);
				++j;
			}
			commands += RedisConnection::format(StreamCommands::ack(settlements[i].key, settlements[i].group, ids));
			++replies;
			i = j;
		}
		_connection->sendRaw(commands);
		std::string refused;
		for (std::size_t r = 0; r < replies; ++r)
		{
			ReplyPtr reply = _connection->readReply();
			if (reply->type == REDIS_REPLY_ERROR && refused.empty())
				refused = RedisConnection::text(*reply);
		}
		if (!refused.empty())
		{
			// NOGROUP (the stream was lost) or NOPERM: nothing left to acknowledge
			// there; the reader recovers the group and reports the gap.
			_ackLog.warning("redis-streams: acknowledgement refused by " + _redis.endpoint.describe() + ": " + refused);
		}
	}
	catch (Poco::Exception& exc)
	{
		if (_connection)
		{
			_connection->close();
			_connection.reset();
		}
		_ackLog.warning("redis-streams: acknowledging " + std::to_string(settlements.size()) + " entries failed: "
			+ exc.message() + "; retrying");
		return false;
	}
	_backoff.reset();
	std::vector<std::string> keys;
	keys.reserve(settlements.size());
	std::size_t deadLettered = 0;
	for (const Settlement& settlement : settlements)
	{
		keys.push_back(settlement.inFlightKey);
		if (settlement.deadLettered)
		{
			++deadLettered;
			_deadLetterLog.warning("redis-streams: entry " + settlement.id + " of " + _redactor.redactText(settlement.key, 256)
				+ " moved to " + _redactor.redactText(StreamsSettings::deadLetterKey(settlement.key), 256)
				+ " (eventbus.redis.streams.maxDeliveries=" + std::to_string(_streams.maxDeliveries) + ")");
		}
	}
	_acked.increment(settlements.size());
	_deadLettered.increment(deadLettered);
	settlements.clear();
	_settled(keys);
	return true;
}

} // namespace eventbus
