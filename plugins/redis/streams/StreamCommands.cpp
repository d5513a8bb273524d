//
// StreamCommands.cpp
//
#include "StreamCommands.h"
#include <Poco/NumberParser.h>

namespace eventbus {
namespace StreamCommands {

const std::string EnvelopeField = "e";

namespace {

std::string textOf(const redisReply* reply)
{
	if (!reply)
		return std::string();
	if (reply->type == REDIS_REPLY_INTEGER)
		return std::to_string(reply->integer);
	return RedisConnection::text(*reply);
}

bool parseId(const std::string& id, Poco::UInt64& ms, Poco::UInt64& seq)
{
	const std::size_t dash = id.find('-');
	if (dash == std::string::npos)
		return Poco::NumberParser::tryParseUnsigned64(id, ms) && ((seq = 0), true);
	return Poco::NumberParser::tryParseUnsigned64(id.substr(0, dash), ms)
		&& Poco::NumberParser::tryParseUnsigned64(id.substr(dash + 1), seq);
}

} // namespace

Command xadd(const std::string& key, const std::string& wire, std::size_t maxLen, const std::string& minId)
{
	Command argv{"XADD", key};
	if (maxLen > 0)
	{
		argv.insert(argv.end(), {"MAXLEN", "~", std::to_string(maxLen)});
	}
	else if (!minId.empty())
	{
		argv.insert(argv.end(), {"MINID", "~", minId});
	}
	argv.insert(argv.end(), {"*", EnvelopeField, wire});
	return argv;
}

Command trimMinId(const std::string& key, const std::string& minId)
{
	return {"XTRIM", key, "MINID", "~", minId};
}

Command createGroup(const std::string& key, const std::string& group, bool fromBeginning)
{
	return {"XGROUP", "CREATE", key, group, fromBeginning ? "0" : "$", "MKSTREAM"};
}

Command readGroup(const std::string& group, const std::string& consumer, std::size_t count, int blockMs,
	const std::vector<std::string>& keys, const std::vector<std::string>& ids)
{
	Command argv{"XREADGROUP", "GROUP", group, consumer, "COUNT", std::to_string(count)};
	if (blockMs > 0)
		argv.insert(argv.end(), {"BLOCK", std::to_string(blockMs)});
	argv.push_back("STREAMS");
	argv.insert(argv.end(), keys.begin(), keys.end());
	argv.insert(argv.end(), ids.begin(), ids.end());
	return argv;
}

Command ack(const std::string& key, const std::string& group, const std::vector<std::string>& ids)
{
	Command argv{"XACK", key, group};
	argv.insert(argv.end(), ids.begin(), ids.end());
	return argv;
}

Command autoClaim(const std::string& key, const std::string& group, const std::string& consumer,
	int minIdleMs, const std::string& start, std::size_t count)
{
	return {"XAUTOCLAIM", key, group, consumer, std::to_string(minIdleMs), start, "COUNT", std::to_string(count)};
}

Command claimNow(const std::string& key, const std::string& group, const std::string& consumer, const std::string& id)
{
	return {"XCLAIM", key, group, consumer, "0", id};
}

Command pendingRange(const std::string& key, const std::string& group, const std::string& first,
	const std::string& last, std::size_t count, const std::string& consumer)
{
	return {"XPENDING", key, group, first, last, std::to_string(count), consumer};
}

Command groupsInfo(const std::string& key)
{
	return {"XINFO", "GROUPS", key};
}

Command streamInfo(const std::string& key)
{
	return {"XINFO", "STREAM", key};
}

Command wait(int replicas, int timeoutMs)
{
	return {"WAIT", std::to_string(replicas), std::to_string(timeoutMs)};
}

Command scanStreams(const std::string& cursor, const std::string& pattern)
{
	return {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000", "TYPE", "stream"};
}

std::vector<StreamEntry> parseEntries(const redisReply& entries, const std::string& key)
{
	std::vector<StreamEntry> result;
	if (entries.type != REDIS_REPLY_ARRAY)
		return result;
	result.reserve(entries.elements);
	for (std::size_t i = 0; i < entries.elements; ++i)
	{
		const redisReply* entry = entries.element[i];
		if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements < 1)
			continue;
		StreamEntry parsed;
		parsed.key = key;
		parsed.id = textOf(entry->element[0]);
		const redisReply* fields = entry->elements > 1 ? entry->element[1] : nullptr;
		// A pending entry that was trimmed or deleted comes back without fields.
		parsed.deleted = !fields || fields->type != REDIS_REPLY_ARRAY || fields->elements == 0;
		if (!parsed.deleted)
		{
			for (std::size_t f = 0; f + 1 < fields->elements; f += 2)
			{
				if (textOf(fields->element[f]) == EnvelopeField)
					parsed.wire = textOf(fields->element[f + 1]);
			}
		}
		result.push_back(std::move(parsed));
	}
	return result;
}

std::vector<StreamEntry> parseRead(const redisReply& reply)
{
	std::vector<StreamEntry> result;
	if (reply.type != REDIS_REPLY_ARRAY)
		return result; // nil: BLOCK passed without entries
	for (std::size_t i = 0; i < reply.elements; ++i)
	{
		const redisReply* stream = reply.element[i];
		if (!stream || stream->type != REDIS_REPLY_ARRAY || stream->elements < 2 || !stream->element[1])
			continue;
		std::vector<StreamEntry> entries = parseEntries(*stream->element[1], textOf(stream->element[0]));
		result.insert(result.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
	}
	return result;
}

std::map<std::string, std::uint32_t> parsePendingCounts(const redisReply& reply)
{
	std::map<std::string, std::uint32_t> counts;
	if (reply.type != REDIS_REPLY_ARRAY)
		return counts;
	for (std::size_t i = 0; i < reply.elements; ++i)
	{
		const redisReply* row = reply.element[i];
		if (row && row->type == REDIS_REPLY_ARRAY && row->elements >= 4 && row->element[3]->type == REDIS_REPLY_INTEGER)
			counts[textOf(row->element[0])] = static_cast<std::uint32_t>(row->element[3]->integer);
	}
	return counts;
}

std::map<std::string, std::string> parseFields(const redisReply& reply)
{
	std::map<std::string, std::string> fields;
	if (reply.type != REDIS_REPLY_ARRAY)
		return fields;
	for (std::size_t i = 0; i + 1 < reply.elements; i += 2)
		fields[textOf(reply.element[i])] = reply.element[i + 1]->type == REDIS_REPLY_ARRAY ? std::string() : textOf(reply.element[i + 1]);
	return fields;
}

int compare(const std::string& a, const std::string& b)
{
	Poco::UInt64 ams = 0, aseq = 0, bms = 0, bseq = 0;
	if (!parseId(a, ams, aseq) || !parseId(b, bms, bseq))
		return a.compare(b);
	if (ams != bms)
		return ams < bms ? -1 : 1;
	if (aseq != bseq)
		return aseq < bseq ? -1 : 1;
	return 0;
}

} // namespace StreamCommands
} // namespace eventbus
