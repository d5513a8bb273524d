//
// StreamDiscovery.cpp
//
// StreamConsumer's watch jobs: finding the streams of pattern subscriptions
// (there is no pattern XREADGROUP: SCAN ... TYPE stream every
// discoveryIntervalMs), and reading each group's pending count and lag,
// telling when a group fell behind retention.
//
#include "StreamConsumer.h"
#include "RedisError.h"
#include "StreamCommands.h"
#include "StreamsMetrics.h"
#include <cstdlib>

namespace eventbus {

namespace {

// A SCAN pass reads at most this many pages of 1000 keys: the bound of one
// discovery pass on a large keyspace (the next pass starts over).
constexpr int MaxScanPages = 1000;

bool isDeadLetterKey(const std::string& key)
{
	return key.size() >= 4 && key.compare(key.size() - 4, 4, ":dlq") == 0;
}

} // namespace

void StreamConsumer::discover(RedisConnection& connection)
{
	std::map<std::string, std::set<std::string>> groupsOf; // pattern -> groups
	{
		std::lock_guard<std::mutex> lock(_mutex);
		for (const auto& entry : _subscriptions)
		{
			if (entry.second.pattern)
				groupsOf[entry.second.channel].insert(entry.second.group);
		}
	}
	for (const auto& pattern : groupsOf)
	{
		std::set<std::string> found;
		std::string cursor = "0";
		int pages = 0;
		do
		{
			connection.send(StreamCommands::scanStreams(cursor, pattern.first));
			ReplyPtr reply = connection.readReply();
			if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2)
			{
				_errorLog.warning("redis-streams: SCAN for " + _redactor.redactText(pattern.first, 256) + ": "
					+ RedisConnection::text(*reply));
				break;
			}
			cursor = RedisConnection::text(*reply->element[0]);
			const redisReply& keys = *reply->element[1];
			for (std::size_t i = 0; i < keys.elements; ++i)
			{
				const std::string key = RedisConnection::text(*keys.element[i]);
				if (!isDeadLetterKey(key))
					found.insert(key);
			}
		}
		while (cursor != "0" && ++pages < MaxScanPages);
		std::size_t added = 0;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			auto known = _discovered.find(pattern.first);
			if (known == _discovered.end())
				continue; // unsubscribed meanwhile
			for (const std::string& key : found)
			{
				if (!known->second.insert(key).second)
					continue;
				++added;
				// Appeared after the subscription: its group reads it from its start.
				for (const std::string& group : pattern.second)
					_state[StreamId(group, key)].fromStart = true;
			}
		}
		if (added > 0)
			_logger.information("redis-streams: " + std::to_string(added) + " new streams for "
				+ _redactor.redactText(pattern.first, 256));
	}
}

std::pair<std::uint64_t, std::uint64_t> StreamConsumer::observe(RedisConnection& connection, const std::string& group,
	const std::string& key, StreamState& state)
{
	connection.send(StreamCommands::groupsInfo(key));
	connection.send(StreamCommands::streamInfo(key));
	ReplyPtr groups = connection.readReply();
	ReplyPtr stream = connection.readReply();
	std::uint64_t pending = 0;
	std::uint64_t lag = 0;
	std::string lastDelivered;
	std::string entriesRead;
	if (groups->type == REDIS_REPLY_ARRAY)
	{
		for (std::size_t i = 0; i < groups->elements; ++i)
		{
			auto fields = StreamCommands::parseFields(*groups->element[i]);
			if (fields["name"] != group)
				continue;
			pending = std::strtoull(fields["pending"].c_str(), nullptr, 10);
			lag = std::strtoull(fields["lag"].c_str(), nullptr, 10);
			lastDelivered = fields["last-delivered-id"];
			entriesRead = fields["entries-read"];
		}
	}
	if (stream->type != REDIS_REPLY_ARRAY || lastDelivered.empty())
		return {pending, lag};
	auto fields = StreamCommands::parseFields(*stream);
	// Entries ever removed from the stream (trimmed or deleted).
	const long long added = std::strtoll(fields["entries-added"].c_str(), nullptr, 10);
	const long long length = std::strtoll(fields["length"].c_str(), nullptr, 10);
	const long long removed = added - length;
	const std::string first = fields["recorded-first-entry-id"];
	bool behind = false;
	if (removed > 0)
	{
		// A group reads in id order: it read fewer entries than were removed,
		// so some were removed unread. Without the count (a group made on an
		// empty stream): its last read is before the oldest entry kept.
		if (!entriesRead.empty())
			behind = std::strtoll(entriesRead.c_str(), nullptr, 10) < removed;
		else
			behind = !first.empty() && StreamCommands::compare(first, lastDelivered) > 0;
	}
	if (behind && !state.behind)
	{
		_behind.increment();
		gap("group " + group + " fell behind the retention of " + _redactor.redactText(key, 256)
			+ ": entries were trimmed before it read them (eventbus.redis.streams.maxLen / maxAgeSeconds)");
	}
	state.behind = behind;
	return {pending, lag};
}

} // namespace eventbus
