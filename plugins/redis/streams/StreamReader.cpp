//
// StreamReader.cpp
//
// StreamConsumer's reader thread: connect with capped backoff and jitter,
// then one session per connection: groups first, this consumer's own pending
// entries next, retries and reclaims when due, then XREADGROUP of new
// entries within the in-flight bound, with a BLOCK bounded by the next due
// job (never 0) inside the socket's command timeout, so a dead connection
// is noticed and replaced.
//
#include "StreamConsumer.h"
#include "RedisError.h"
#include "StreamCommands.h"
#include "StreamsMetrics.h"
#include "ClusterSlot.h"
#include <algorithm>

namespace eventbus {

void StreamConsumer::run()
{
	Backoff backoff(_redis.reconnectInitialMs, _redis.reconnectMaxMs);
	bool connectedBefore = false;
	for (;;)
	{
		{
			std::unique_lock<std::mutex> lock(_mutex);
			_changed.wait(lock, [this]() { return _stopping || !_subscriptions.empty(); });
			if (_stopping)
				return;
		}
		// One reply holds up to `batch` entries.
		const std::size_t maxReply = std::min<std::size_t>(_redis.maxMessageBytes * (_streams.batch + 1) + 64 * 1024,
			512 * 1024 * 1024);
		RedisConnection connection(_redis, _socketFactory(), maxReply);
		std::chrono::milliseconds delay(0);
		try
		{
			connection.open();
			ReplyPtr id = connection.command({"CLIENT", "ID"});
			_readerClientId = id->type == REDIS_REPLY_INTEGER ? id->integer : 0;
		}
		catch (RedisError& exc)
		{
			const bool denied = exc.failure() == RedisFailure::Auth || exc.failure() == RedisFailure::Permission;
			delay = denied ? backoff.nextAtMax() : backoff.next();
			_errorLog.warning("redis-streams reader: " + exc.message() + "; next attempt in " + std::to_string(delay.count()) + " ms");
			std::unique_lock<std::mutex> lock(_mutex);
			_lastError = exc.message();
			_connected = false;
			_changed.wait_for(lock, delay, [this]() { return _stopping; });
			continue;
		}
		if (connectedBefore)
		{
			_reconnects.increment();
			_logger.information("redis-streams reader: reconnected to " + _redis.endpoint.describe());
		}
		connectedBefore = true;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_connected = true;
			_lastError.clear();
		}
		for (auto& state : _state)
			state.second.created = false; // checked again on this connection
		try
		{
			session(connection);
			backoff.reset();
		}
		catch (RedisError& exc)
		{
			_errorLog.warning("redis-streams reader: " + exc.message() + "; reconnecting");
			std::lock_guard<std::mutex> lock(_mutex);
			_lastError = exc.message();
		}
		_readerClientId = 0;
		connection.close();
		delay = backoff.next();
		std::unique_lock<std::mutex> lock(_mutex);
		_connected = false;
		_groupsReady = false;
		if (_stopping)
			return;
		_changed.wait_for(lock, delay, [this]() { return _stopping; });
	}
}

void StreamConsumer::session(RedisConnection& connection)
{
	Backoff refused(_redis.reconnectInitialMs, _redis.reconnectMaxMs);
	for (;;)
	{
		std::uint64_t changes = 0;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			if (_stopping)
				return;
			changes = _changes;
		}
		if (Clock::now() >= _nextDiscovery || _discoverNow.exchange(false))
		{
			// Before the read set: a pattern's first stream may appear only now.
			discover(connection);
			_nextDiscovery = Clock::now() + std::chrono::milliseconds(_streams.discoveryIntervalMs);
		}
		const auto set = readSet();
		if (_cluster.owns)
		{
			// A stream that left this node (its slot moved) is checked again if it comes back.
			for (auto& state : _state)
			{
				auto group = set.find(state.first.first);
				if (group == set.end() || group->second.count(state.first.second) == 0)
					state.second.created = false;
			}
		}
		if (set.empty())
		{
			std::unique_lock<std::mutex> lock(_mutex);
			_groupsReady = true;
			_changed.wait_until(lock, _nextDiscovery, [&]() { return _stopping || _changes != changes; });
			continue;
		}
		if (!ensureGroups(connection, set))
		{
			// Refused (not an outage): capped backoff, never a tight loop.
			std::unique_lock<std::mutex> lock(_mutex);
			_changed.wait_for(lock, refused.next(), [this]() { return _stopping; });
			continue;
		}
		_refused = false;
		bool historyLeft = false;
		for (const auto& group : set)
		{
			for (const auto& stream : group.second)
			{
				StreamState& state = _state[StreamId(group.first, stream.first)];
				if (state.history && state.created)
					readHistory(connection, group.first, stream.first, state);
				historyLeft = historyLeft || state.history;
			}
		}
		retryDue(connection);
		auto now = Clock::now();
		if (now >= _nextClaim)
		{
			for (const auto& group : set)
			{
				std::uint64_t pending = 0;
				std::uint64_t lag = 0;
				for (const auto& stream : group.second)
				{
					StreamState& state = _state[StreamId(group.first, stream.first)];
					if (!state.created)
						continue;
					claim(connection, group.first, stream.first, state);
					const auto observed = observe(connection, group.first, stream.first, state);
					pending += observed.first;
					lag += observed.second;
				}
				const Labels labels{{"transport", "redis-streams"}, {"group", group.first}};
				_metrics.gauge(StreamsMetrics::Pending, labels).set(static_cast<std::int64_t>(pending));
				_metrics.gauge(StreamsMetrics::Lag, labels).set(static_cast<std::int64_t>(lag));
			}
			_nextClaim = now + std::chrono::milliseconds(_streams.claimIntervalMs);
		}
		// The next due job bounds the block.
		now = Clock::now();
		auto next = std::min(_nextClaim, _nextDiscovery);
		{
			std::unique_lock<std::mutex> lock(_mutex);
			for (const Retry& retry : _retries)
				next = std::min(next, retry.due);
			if (_inFlight.size() >= _streams.maxInFlight)
			{
				// Nothing prefetched beyond the bound: wait for the handlers.
				_changed.wait_until(lock, next, [&]() {
					return _stopping || _changes != changes || _inFlight.size() < _streams.maxInFlight
						|| std::any_of(_retries.begin(), _retries.end(), [&](const Retry& r) { return r.due <= Clock::now(); });
				});
				continue;
			}
		}
		long long blockMs = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count();
		blockMs = std::max<long long>(1, std::min<long long>(blockMs, _streams.blockMs) / static_cast<long long>(set.size()));
		if (historyLeft)
			blockMs = 0; // no block: back to the history at once
		for (const auto& group : set)
			readNew(connection, group.first, group.second, static_cast<int>(blockMs));
		if (_refused)
		{
			// An error reply this round (NOGROUP, NOPERM, WRONGTYPE): capped
			// backoff before the next, never a tight loop.
			std::unique_lock<std::mutex> lock(_mutex);
			_changed.wait_for(lock, refused.next(), [this]() { return _stopping; });
		}
		else
		{
			refused.reset();
		}
	}
}

void StreamConsumer::readNew(RedisConnection& connection, const std::string& group,
	const std::map<std::string, std::vector<StreamTargetPtr>>& streams, int blockMs)
{
	std::vector<std::string> keys;
	for (const auto& stream : streams)
	{
		// Not while this consumer's own pending entries are re-read: an entry
		// read new now would be pending too, and the next history page would
		// deliver it a second time.
		const StreamState& state = _state[StreamId(group, stream.first)];
		if (state.created && !state.history)
			keys.push_back(stream.first);
	}
	const std::size_t room = std::min(capacity(), _streams.batch);
	if (keys.empty() || room == 0)
		return;
	if (_cluster.owns)
	{
		readNewBySlot(connection, group, keys, room, blockMs);
		return;
	}
	std::vector<std::string> ids(keys.size(), ">");
	connection.send(StreamCommands::readGroup(group, _streams.consumer, room, blockMs, keys, ids));
	ReplyPtr reply = connection.readReply();
	if (reply->type == REDIS_REPLY_ERROR)
	{
		streamError(group, std::string(), RedisConnection::text(*reply));
		return;
	}
	std::vector<StreamEntry> entries = StreamCommands::parseRead(*reply);
	dispatch(connection, group, entries, false);
}

void StreamConsumer::readNewBySlot(RedisConnection& connection, const std::string& group,
	const std::vector<std::string>& keys, std::size_t room, int blockMs)
{
	// A cluster node refuses one command over keys of several slots
	// (CROSSSLOT): one XREADGROUP per slot, pipelined. Only the last blocks:
	// the slot that had entries last (woken at once), the others seen within
	// the poll wait, which starts at clusterPollMs and doubles while rounds
	// come back empty, up to blockMs (the idle load stays bounded).
	std::map<unsigned, std::vector<std::string>> bySlot;
	for (const std::string& key : keys)
		bySlot[ClusterSlot::ofKey(key)].push_back(key);
	std::vector<unsigned> order;
	for (const auto& slot : bySlot)
	{
		if (slot.first != _hotSlot)
			order.push_back(slot.first);
	}
	if (bySlot.count(_hotSlot) > 0)
		order.push_back(_hotSlot);
	const std::size_t count = std::max<std::size_t>(1, (room + bySlot.size() - 1) / bySlot.size());
	const int lastBlock = bySlot.size() > 1 ? std::min(blockMs, _pollWaitMs) : blockMs;
	std::string commands;
	for (std::size_t i = 0; i < order.size(); ++i)
	{
		const std::vector<std::string>& slotKeys = bySlot[order[i]];
		const std::vector<std::string> ids(slotKeys.size(), ">");
		commands += RedisConnection::format(StreamCommands::readGroup(group, _streams.consumer, count,
			i + 1 == order.size() ? lastBlock : 0, slotKeys, ids));
	}
	connection.sendRaw(commands);
	// Every reply first: dispatch() may send commands of its own.
	std::vector<ReplyPtr> replies;
	for (std::size_t i = 0; i < order.size(); ++i)
		replies.push_back(connection.readReply());
	bool any = false;
	for (std::size_t i = 0; i < replies.size(); ++i)
	{
		if (replies[i]->type == REDIS_REPLY_ERROR)
		{
			streamError(group, std::string(), RedisConnection::text(*replies[i]));
			continue;
		}
		std::vector<StreamEntry> entries = StreamCommands::parseRead(*replies[i]);
		if (!entries.empty())
		{
			any = true;
			_hotSlot = order[i];
		}
		dispatch(connection, group, entries, false);
	}
	_pollWaitMs = any ? _cluster.pollMs : std::min(std::max(blockMs, 1), _pollWaitMs * 2);
}

} // namespace eventbus
