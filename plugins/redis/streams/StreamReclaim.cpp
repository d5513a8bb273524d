//
// StreamReclaim.cpp
//
// StreamConsumer's redelivery jobs: re-reading its own pending entries after
// a (re)connect, retrying failed entries after their backoff, and reclaiming
// idle entries of any consumer of the group (XAUTOCLAIM), with the delivery
// counts the server keeps.
//
#include "StreamConsumer.h"
#include "RedisError.h"
#include "StreamCommands.h"
#include "StreamsMetrics.h"

namespace eventbus {

void StreamConsumer::countsOf(RedisConnection& connection, const std::string& group, std::vector<StreamEntry>& entries)
{
	if (entries.empty())
		return;
	connection.send(StreamCommands::pendingRange(entries.front().key, group, entries.front().id, entries.back().id,
		entries.size(), _streams.consumer));
	ReplyPtr reply = connection.readReply();
	const auto counts = StreamCommands::parsePendingCounts(*reply);
	for (StreamEntry& entry : entries)
	{
		auto count = counts.find(entry.id);
		if (count != counts.end())
			entry.deliveryCount = std::max<std::uint32_t>(1, count->second);
	}
}

void StreamConsumer::readHistory(RedisConnection& connection, const std::string& group, const std::string& key,
	StreamState& state)
{
	const std::size_t room = std::min(capacity(), _streams.batch);
	if (room == 0)
		return;
	connection.send(StreamCommands::readGroup(group, _streams.consumer, room, 0, {key}, {state.historyCursor}));
	ReplyPtr reply = connection.readReply();
	if (reply->type == REDIS_REPLY_ERROR)
	{
		streamError(group, key, RedisConnection::text(*reply));
		return;
	}
	std::vector<StreamEntry> entries = StreamCommands::parseRead(*reply);
	if (entries.empty())
	{
		state.history = false; // every pending entry of this consumer was read again
		return;
	}
	state.historyCursor = entries.back().id;
	countsOf(connection, group, entries);
	dispatch(connection, group, entries, true);
}

void StreamConsumer::retryDue(RedisConnection& connection)
{
	std::vector<Retry> due;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		const auto now = Clock::now();
		for (auto it = _retries.begin(); it != _retries.end();)
		{
			if (it->due <= now)
			{
				due.push_back(std::move(*it));
				it = _retries.erase(it);
			}
			else
			{
				++it;
			}
		}
	}
	std::vector<std::string> released;
	std::vector<DueEntry> again;
	for (Retry& retry : due)
	{
		DueEntry& item = retry.entry;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			item.targets = targetsLocked(item.group, item.entry.key);
		}
		if (item.targets.empty())
		{
			released.push_back(item.inFlightKey()); // unsubscribed: stays pending for the group
			continue;
		}
		// XCLAIM to itself: the server counts the delivery and resets its idle time.
		connection.send(StreamCommands::claimNow(item.entry.key, item.group, _streams.consumer, item.entry.id));
		ReplyPtr reply = connection.readReply();
		if (reply->type == REDIS_REPLY_ERROR)
		{
			streamError(item.group, item.entry.key, RedisConnection::text(*reply));
			released.push_back(item.inFlightKey());
			continue;
		}
		std::vector<StreamEntry> entries = StreamCommands::parseEntries(*reply, item.entry.key);
		if (entries.empty() || entries.front().deleted)
		{
			// Trimmed, deleted, or acknowledged by another consumer that reclaimed it.
			if (!entries.empty())
				acknowledgeDeleted(connection, item.group, item.entry.key, {item.entry.id});
			released.push_back(item.inFlightKey());
			continue;
		}
		item.entry.wire = std::move(entries.front().wire);
		++item.entry.deliveryCount;
		again.push_back(std::move(item));
	}
	if (!released.empty())
		settled(released);
	if (!again.empty())
	{
		_redelivered.increment(again.size());
		_delivery.offer(std::move(again));
	}
}

void StreamConsumer::claim(RedisConnection& connection, const std::string& group, const std::string& key,
	StreamState& state)
{
	const std::size_t room = std::min(capacity(), _streams.batch);
	if (room == 0)
		return;
	connection.send(StreamCommands::autoClaim(key, group, _streams.consumer, _streams.claimIdleMs, state.claimCursor, room));
	ReplyPtr reply = connection.readReply();
	if (reply->type == REDIS_REPLY_ERROR)
	{
		streamError(group, key, RedisConnection::text(*reply));
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2)
		return;
	state.claimCursor = RedisConnection::text(*reply->element[0]);
	if (state.claimCursor.empty())
		state.claimCursor = "0-0";
	std::vector<StreamEntry> entries = StreamCommands::parseEntries(*reply->element[1], key);
	if (reply->elements > 2 && reply->element[2]->type == REDIS_REPLY_ARRAY)
	{
		// Redis 7: ids of pending entries that no longer exist (the server has
		// dropped them from the pending list already).
		std::vector<std::string> deleted;
		const redisReply& ids = *reply->element[2];
		for (std::size_t i = 0; i < ids.elements; ++i)
			deleted.push_back(RedisConnection::text(*ids.element[i]));
		acknowledgeDeleted(connection, group, key, deleted);
	}
	if (entries.empty())
		return;
	countsOf(connection, group, entries);
	dispatch(connection, group, entries, true);
}

} // namespace eventbus
