//
// StreamConsumer.cpp
//
// Lifecycle, subscriptions and the reader's session loop; the reclaim jobs
// (history, retries, XAUTOCLAIM) are in StreamReclaim.cpp, discovery and
// observation in StreamDiscovery.cpp.
//
#include "StreamConsumer.h"
#include "RedisError.h"
#include "StreamCommands.h"
#include "StreamsMetrics.h"
#include <algorithm>

namespace eventbus {

namespace {

constexpr std::size_t ControlReplyBytes = 1024 * 1024;

Labels gapLabels(const char* reason)
{
	return {{"transport", "redis-streams"}, {"reason", reason}};
}

} // namespace

StreamConsumer::StreamConsumer(const RedisSettings& redis, const StreamsSettings& streams,
	RedisSocketFactory socketFactory, Metrics& metrics, Poco::Logger& logger, const Redactor& redactor,
	TransportListener* listener)
	: _redis(redis)
	, _streams(streams)
	, _socketFactory(std::move(socketFactory))
	, _metrics(metrics)
	, _logger(logger)
	, _redactor(redactor)
	, _listener(listener)
	, _reconnects(metrics.counter(Metrics::Reconnects, {{"transport", "redis-streams"}}))
	, _redelivered(metrics.counter(StreamsMetrics::Redelivered, {{"transport", "redis-streams"}}))
	, _trimmed(metrics.counter(StreamsMetrics::Gaps, gapLabels("trimmed")))
	, _groupLost(metrics.counter(StreamsMetrics::Gaps, gapLabels("group-lost")))
	, _behind(metrics.counter(StreamsMetrics::Gaps, gapLabels("behind-retention")))
	, _errorLog(logger)
	, _gapLog(logger)
	, _delivery(redis, streams, _socketFactory, metrics, logger, redactor,
		[this](const std::vector<std::string>& keys) { settled(keys); },
		[this](DueEntry&& entry) { failed(std::move(entry)); })
{
}

StreamConsumer::~StreamConsumer()
{
	stop();
	if (_thread.joinable())
		_thread.detach(); // only when stop() ran on the reader thread (from a gap listener)
}

void StreamConsumer::start()
{
	_delivery.start();
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopping || _thread.joinable())
		return;
	_thread = std::thread([this]() { run(); });
	_threadId = _thread.get_id();
}

void StreamConsumer::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
	}
	_changed.notify_all();
	if (std::this_thread::get_id() != _threadId)
	{
		unblockReader();
		if (_thread.joinable())
			_thread.join();
	}
	_delivery.stop();
}

void StreamConsumer::unblockReader()
{
	// The reader may sit in XREADGROUP BLOCK: end it now (best effort; an ACL
	// user without CLIENT waits for the block to pass).
	const long long clientId = _readerClientId.load();
	if (clientId <= 0)
		return;
	try
	{
		RedisConnection connection(_redis, _socketFactory(), ControlReplyBytes);
		connection.open();
		connection.send({"CLIENT", "UNBLOCK", std::to_string(clientId)});
		connection.readReply();
		connection.close();
	}
	catch (RedisError&)
	{
	}
}

std::uint64_t StreamConsumer::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	const std::string group = subscription.group.empty() ? _streams.group : subscription.group;
	std::set<std::string> found;
	bool created = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
			throw TransportException("redis-streams transport is stopped");
	}
	// The group exists before subscribe() returns: an event published after
	// it is read by this group. No lock held: this is network I/O.
	try
	{
		RedisConnection connection(_redis, _socketFactory(), ControlReplyBytes);
		connection.open();
		if (subscription.pattern)
		{
			std::string cursor = "0";
			do
			{
				ReplyPtr reply = connection.command(StreamCommands::scanStreams(cursor, subscription.channel));
				if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2)
					break;
				cursor = RedisConnection::text(*reply->element[0]);
				const redisReply& keys = *reply->element[1];
				for (std::size_t i = 0; i < keys.elements; ++i)
				{
					const std::string key = RedisConnection::text(*keys.element[i]);
					if (key.size() < 4 || key.compare(key.size() - 4, 4, ":dlq") != 0)
						found.insert(key);
				}
			}
			while (cursor != "0");
		}
		else
		{
			found.insert(subscription.channel);
		}
		for (const std::string& key : found)
			createGroup(connection, key, group, _streams.startFromBeginning);
		created = true;
		connection.close();
	}
	catch (RedisError& exc)
	{
		if (exc.failure() == RedisFailure::Permission || exc.failure() == RedisFailure::Auth)
		{
			throw AccessDeniedException(accessDeniedMessage(_redis.endpoint.describe(), _redis.endpoint.user,
				"XGROUP CREATE", subscription.channel, exc.message()));
		}
		_logger.warning("redis-streams: group " + group + " on " + _redactor.redactText(subscription.channel, 256)
			+ " not created yet (" + exc.message() + "); the reader creates it when connected");
	}
	std::uint64_t id = 0;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
			throw TransportException("redis-streams transport is stopped");
		id = ++_nextId;
		_subscriptions[id] = Subscription{group, subscription.channel, subscription.pattern,
			std::make_shared<StreamTarget>(std::move(callback))};
		if (subscription.pattern && created)
			_discovered[subscription.channel].insert(found.begin(), found.end());
		++_changes;
	}
	_changed.notify_all();
	unblockReader(); // so the next read includes the new stream at once
	return id;
}

void StreamConsumer::unsubscribe(std::uint64_t id)
{
	StreamTargetPtr target;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _subscriptions.find(id);
		if (it == _subscriptions.end())
			return;
		target = it->second.target;
		const std::string pattern = it->second.pattern ? it->second.channel : std::string();
		_subscriptions.erase(it);
		if (!pattern.empty() && std::none_of(_subscriptions.begin(), _subscriptions.end(),
				[&](const std::pair<const std::uint64_t, Subscription>& s) { return s.second.pattern && s.second.channel == pattern; }))
			_discovered.erase(pattern);
		++_changes;
	}
	// Entries of it already read stay pending (another consumer, or this
	// one's next re-read, gets them); the gate waits for a running callback.
	target->gate.close();
	_changed.notify_all();
}

TransportHealth StreamConsumer::health() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopping)
		return {false, "redis-streams transport is stopped"};
	if (_subscriptions.empty() && _lastError.empty())
		return {true, "redis-streams: no subscriptions"};
	if (!_connected)
		return {false, _lastError.empty() ? "redis-streams reader not connected yet" : _lastError};
	if (!_groupsReady)
		return {false, "redis-streams: consumer groups not created yet" + (_lastError.empty() ? std::string() : ": " + _lastError)};
	return {true, "redis-streams reader connected as consumer " + _streams.consumer};
}

std::map<std::string, std::map<std::string, std::vector<StreamTargetPtr>>> StreamConsumer::readSet() const
{
	std::map<std::string, std::map<std::string, std::vector<StreamTargetPtr>>> set;
	std::lock_guard<std::mutex> lock(_mutex);
	for (const auto& entry : _subscriptions)
	{
		const Subscription& sub = entry.second;
		if (!sub.pattern)
		{
			set[sub.group][sub.channel].push_back(sub.target);
			continue;
		}
		auto keys = _discovered.find(sub.channel);
		if (keys == _discovered.end())
			continue;
		for (const std::string& key : keys->second)
			set[sub.group][key].push_back(sub.target);
	}
	return set;
}

bool StreamConsumer::createGroup(RedisConnection& connection, const std::string& key, const std::string& group,
	bool fromBeginning)
{
	connection.send(StreamCommands::createGroup(key, group, fromBeginning));
	ReplyPtr reply = connection.readReply();
	if (reply->type == REDIS_REPLY_ERROR && RedisConnection::text(*reply).compare(0, 9, "BUSYGROUP") == 0)
		return true;
	connection.throwIfError(*reply, "XGROUP");
	return false;
}

bool StreamConsumer::ensureGroups(RedisConnection& connection,
	const std::map<std::string, std::map<std::string, std::vector<StreamTargetPtr>>>& set)
{
	bool all = true;
	for (const auto& group : set)
	{
		for (const auto& stream : group.second)
		{
			StreamState& state = _state[StreamId(group.first, stream.first)];
			if (state.created)
				continue;
			bool existed = false;
			try
			{
				// A group made again (lost with its stream) reads from the start:
				// what was published since the loss is not skipped too. A stream
				// discovered after the subscription is new: read from its start.
				existed = createGroup(connection, stream.first, group.first,
					state.everCreated || state.fromStart || _streams.startFromBeginning);
			}
			catch (RedisError& exc)
			{
				if (exc.failure() != RedisFailure::Server && exc.failure() != RedisFailure::Permission)
					throw;
				_errorLog.warning("redis-streams: XGROUP CREATE " + group.first + " on "
					+ _redactor.redactText(stream.first, 256) + ": " + exc.message());
				std::lock_guard<std::mutex> lock(_mutex);
				_lastError = exc.message();
				all = false;
				continue;
			}
			if (!existed && state.everCreated)
			{
				_groupLost.increment();
				gap("consumer group " + group.first + " of stream " + _redactor.redactText(stream.first, 256)
					+ " was lost (the stream was deleted or the server restarted without persistence); recreated, entries not yet handled may be lost");
			}
			state.created = true;
			state.everCreated = true;
			state.history = true;
			state.historyCursor = "0";
		}
	}
	std::lock_guard<std::mutex> lock(_mutex);
	_groupsReady = all;
	if (all)
		_lastError.clear();
	return all;
}

void StreamConsumer::gap(const std::string& reason)
{
	_gapLog.warning("redis-streams: gap: " + reason);
	if (_listener)
		_listener->onGap("redis-streams", reason);
}

void StreamConsumer::streamError(const std::string& group, const std::string& key, const std::string& error)
{
	if (error.compare(0, 7, "NOGROUP") == 0)
	{
		// Which stream lost it is not certain for a multi-stream read: check them all.
		for (auto& state : _state)
		{
			if (state.first.first == group && (key.empty() || state.first.second == key))
				state.second.created = false;
		}
		std::lock_guard<std::mutex> lock(_mutex);
		_groupsReady = false;
	}
	_errorLog.warning("redis-streams: " + _redactor.redactText(error, 512) + " (group " + group + ")");
}

std::size_t StreamConsumer::capacity() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _inFlight.size() >= _streams.maxInFlight ? 0 : _streams.maxInFlight - _inFlight.size();
}

int StreamConsumer::retryDelayMs(std::uint32_t deliveryCount) const
{
	long long ms = _streams.retryBackoffMs;
	for (std::uint32_t i = 1; i < deliveryCount && ms < _streams.retryBackoffMaxMs; ++i)
		ms *= 2;
	return static_cast<int>(std::min<long long>(ms, _streams.retryBackoffMaxMs));
}

void StreamConsumer::settled(const std::vector<std::string>& keys)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		for (const std::string& key : keys)
			_inFlight.erase(key);
	}
	_changed.notify_all();
}

void StreamConsumer::failed(DueEntry&& entry)
{
	// Stays in flight (and pending) until the retry is handled.
	const auto due = Clock::now() + std::chrono::milliseconds(retryDelayMs(entry.entry.deliveryCount));
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_retries.push_back(Retry{due, std::move(entry)});
	}
	_changed.notify_all();
}

std::vector<StreamTargetPtr> StreamConsumer::targetsLocked(const std::string& group, const std::string& key) const
{
	std::vector<StreamTargetPtr> targets;
	for (const auto& entry : _subscriptions)
	{
		const Subscription& sub = entry.second;
		if (sub.group != group)
			continue;
		if (sub.pattern)
		{
			auto keys = _discovered.find(sub.channel);
			if (keys == _discovered.end() || keys->second.count(key) == 0)
				continue;
		}
		else if (sub.channel != key)
		{
			continue;
		}
		targets.push_back(sub.target);
	}
	return targets;
}

void StreamConsumer::dispatch(RedisConnection& connection, const std::string& group, std::vector<StreamEntry>& entries,
	bool redelivery)
{
	std::vector<DueEntry> due;
	std::map<std::string, std::vector<std::string>> deleted; // key -> ids
	{
		std::lock_guard<std::mutex> lock(_mutex);
		// The subscriptions of now, not of when the read was sent: one made
		// meanwhile gets the entry too.
		std::map<std::string, std::vector<StreamTargetPtr>> current;
		for (StreamEntry& entry : entries)
		{
			auto found = current.find(entry.key);
			if (found == current.end())
				found = current.emplace(entry.key, targetsLocked(group, entry.key)).first;
			DueEntry item;
			item.group = group;
			item.entry = std::move(entry);
			const std::string key = item.inFlightKey();
			if (_inFlight.count(key) > 0)
				continue; // already on its way (read before a reconnect, or waiting for a retry)
			if (item.entry.deleted)
			{
				deleted[item.entry.key].push_back(item.entry.id);
				continue;
			}
			if (static_cast<int>(item.entry.deliveryCount) > _streams.maxDeliveries)
			{
				item.deadLetterOnly = true;
				item.lastError = "delivered " + std::to_string(item.entry.deliveryCount - 1)
					+ " times without an acknowledgement (reclaimed)";
			}
			if (found->second.empty())
				continue; // unsubscribed meanwhile: stays pending for the group
			item.targets = found->second;
			_inFlight.insert(key);
			due.push_back(std::move(item));
		}
	}
	if (redelivery)
		_redelivered.increment(due.size());
	for (const auto& stream : deleted)
		acknowledgeDeleted(connection, group, stream.first, stream.second);
	if (!due.empty())
		_delivery.offer(std::move(due));
}

void StreamConsumer::acknowledgeDeleted(RedisConnection& connection, const std::string& group, const std::string& key,
	const std::vector<std::string>& ids)
{
	if (ids.empty())
		return;
	// Trimmed or deleted before anyone handled them: claiming them again
	// returns nothing forever, so acknowledge and count them.
	connection.send(StreamCommands::ack(key, group, ids));
	connection.readReply();
	_trimmed.increment(ids.size());
	gap(std::to_string(ids.size()) + " pending entries of " + _redactor.redactText(key, 256) + " (group " + group
		+ ") were trimmed or deleted before they were handled (eventbus.redis.streams.maxLen / maxAgeSeconds)");
}

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
		if (Clock::now() >= _nextDiscovery)
		{
			// Before the read set: a pattern's first stream may appear only now.
			discover(connection);
			_nextDiscovery = Clock::now() + std::chrono::milliseconds(_streams.discoveryIntervalMs);
		}
		const auto set = readSet();
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
		refused.reset();
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
				StreamsMetrics::set(_metrics.counter(StreamsMetrics::Pending, labels), pending);
				StreamsMetrics::set(_metrics.counter(StreamsMetrics::Lag, labels), lag);
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
	}
}

void StreamConsumer::readNew(RedisConnection& connection, const std::string& group,
	const std::map<std::string, std::vector<StreamTargetPtr>>& streams, int blockMs)
{
	std::vector<std::string> keys;
	for (const auto& stream : streams)
	{
		if (_state[StreamId(group, stream.first)].created)
			keys.push_back(stream.first);
	}
	const std::size_t room = std::min(capacity(), _streams.batch);
	if (keys.empty() || room == 0)
		return;
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

} // namespace eventbus
