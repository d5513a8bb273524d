//
// StreamCommands.h
//
// The catalogue of stream commands the redis-streams transport sends (named
// builders, so no call site spells out command words) and the parsers of
// their replies.
//
#pragma once

#include "RedisConnection.h"
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace eventbus {

/// One entry of a stream as the consumer sees it.
struct StreamEntry
{
	std::string key;              ///< the stream (= the channel)
	std::string id;               ///< the entry id, e.g. 1700000000000-0
	std::string wire;             ///< field `e`: the CloudEvents JSON
	bool deleted = false;         ///< trimmed or deleted: still pending, no fields left
	std::uint32_t deliveryCount = 1;
};

namespace StreamCommands {

/// The one field of an entry: the CloudEvents JSON.
extern const std::string EnvelopeField;

/// XADD key [MAXLEN ~ maxLen] [MINID ~ minId] * e wire (maxLen 0 / minId "": none).
Command xadd(const std::string& key, const std::string& wire, std::size_t maxLen, const std::string& minId);
/// XTRIM key MINID ~ minId: the age bound when MAXLEN is set too (XADD takes one).
Command trimMinId(const std::string& key, const std::string& minId);
/// XGROUP CREATE key group $|0 MKSTREAM.
Command createGroup(const std::string& key, const std::string& group, bool fromBeginning);
/// XREADGROUP GROUP group consumer COUNT count [BLOCK blockMs] STREAMS keys... ids...
Command readGroup(const std::string& group, const std::string& consumer, std::size_t count, int blockMs,
	const std::vector<std::string>& keys, const std::vector<std::string>& ids);
/// XACK key group ids...
Command ack(const std::string& key, const std::string& group, const std::vector<std::string>& ids);
/// XAUTOCLAIM key group consumer minIdleMs start COUNT count.
Command autoClaim(const std::string& key, const std::string& group, const std::string& consumer,
	int minIdleMs, const std::string& start, std::size_t count);
/// XCLAIM key group consumer 0 id: takes the entry again now (a retry).
Command claimNow(const std::string& key, const std::string& group, const std::string& consumer, const std::string& id);
/// XPENDING key group first last count consumer: delivery counts of a range.
Command pendingRange(const std::string& key, const std::string& group, const std::string& first,
	const std::string& last, std::size_t count, const std::string& consumer);
/// XINFO GROUPS key.
Command groupsInfo(const std::string& key);
/// XINFO STREAM key.
Command streamInfo(const std::string& key);
/// WAIT replicas timeoutMs.
Command wait(int replicas, int timeoutMs);
/// SCAN cursor MATCH pattern COUNT 1000 TYPE stream.
Command scanStreams(const std::string& cursor, const std::string& pattern);

/// The entries of an XRANGE-shaped array ([[id, [field, value...]]...]) of `key`.
std::vector<StreamEntry> parseEntries(const redisReply& entries, const std::string& key);
/// The entries of an XREADGROUP reply (null reply: none).
std::vector<StreamEntry> parseRead(const redisReply& reply);
/// id -> delivery count of an XPENDING range reply.
std::map<std::string, std::uint32_t> parsePendingCounts(const redisReply& reply);
/// The fields of a flat [name, value, ...] array (XINFO) as text; nested values are "".
std::map<std::string, std::string> parseFields(const redisReply& reply);

/// <0, 0 or >0 as entry id a sorts before, with or after b.
int compare(const std::string& a, const std::string& b);

} // namespace StreamCommands
} // namespace eventbus
