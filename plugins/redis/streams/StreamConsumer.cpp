//
// StreamConsumer.cpp
//
// Lifecycle, subscriptions, groups and the hand-over to the dispatcher; the
// reader's loop is in StreamReader.cpp, the reclaim jobs (history, retries,
// XAUTOCLAIM) in StreamReclaim.cpp, discovery and observation in
// StreamDiscovery.cpp.
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
	stop(); // _thread detaches itself if stop() ran on it (from a gap listener)
}

void StreamConsumer::start()
{
	_delivery.start();
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopping || _thread.started())
		return;
	_thread.start([this]() { run(); });
}

void StreamConsumer::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
	}
	_changed.notify_all();
	if (!_thread.isCurrent())
	{
		unblockReader();
		_thread.join();
	}
	_delivery.stop();
}

void StreamConsumer::cluster(ClusterHooks hooks)
{
	_cluster = std::move(hooks);
	_pollWaitMs = _cluster.pollMs;
	_delivery.deadLetterWriter(_cluster.deadLetter);
}

void StreamConsumer::topologyChanged()
{
	_discoverNow = true;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		++_changes;
	}
	_changed.notify_all();
	unblockReader();
}

bool StreamConsumer::redirectedBy(const std::string& error)
{
	if (!_cluster.owns)
		return false;
	const std::string::size_type at = std::min(error.find("MOVED "), error.find("ASK "));
	if (at == std::string::npos)
		return false;
	ClusterRedirect redirect = ClusterRedirect::parse(error.substr(at));
	if (redirect.kind == ClusterRedirect::Kind::None)
		return false;
	if (redirect.target.host.empty())
		redirect.target.host = _redis.endpoint.host;
	if (_cluster.redirected)
		_cluster.redirected(redirect);
	return true;
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
	// it is read by this group. No lock held: this is network I/O. (On a
	// cluster the ClusterStreamConsumer made a single stream's group already.)
	if (subscription.pattern || !_cluster.owns)
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
		else if (!_cluster.owns)
		{
			found.insert(subscription.channel); // on a cluster, ClusterStreamConsumer created it on its owner
		}
		for (const std::string& key : found)
		{
			if (_cluster.owns && !_cluster.owns(key))
				continue; // a key of a slot migrating away: its new owner's consumer creates it
			try
			{
				createGroup(connection, key, group, _streams.startFromBeginning);
			}
			catch (ClusterRedirectedError& exc)
			{
				redirectedBy(exc.message());
			}
		}
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
			if (!_cluster.owns || _cluster.owns(sub.channel))
				set[sub.group][sub.channel].push_back(sub.target);
			continue;
		}
		auto keys = _discovered.find(sub.channel);
		if (keys == _discovered.end())
			continue;
		for (const std::string& key : keys->second)
		{
			if (!_cluster.owns || _cluster.owns(key))
				set[sub.group][key].push_back(sub.target);
		}
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
	if (reply->type == REDIS_REPLY_ERROR)
	{
		const ClusterRedirect redirect = ClusterRedirect::parse(RedisConnection::text(*reply));
		if (redirect.kind != ClusterRedirect::Kind::None)
			throw ClusterRedirectedError(RedisConnection::text(*reply), redirect);
	}
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
			catch (ClusterRedirectedError& exc)
			{
				// The slot left this node (MOVED: not ours any more, the next
				// read set leaves it out) or is migrating (ASK: try again later).
				redirectedBy(exc.message());
				if (exc.redirect().kind == ClusterRedirect::Kind::Ask)
					all = false;
				continue;
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
	if (redirectedBy(error) && error.compare(0, 6, "MOVED ") == 0)
		return; // the slot left this node: the next read set leaves its streams out
	_refused = true;
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

} // namespace eventbus
