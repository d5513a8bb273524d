//
// RawStreams.cpp
//
#include "RawStreams.h"
#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

namespace eventbus {
namespace bench {

namespace {

const char* const Group = "g";
const char* const Consumer = "c";
const int BlockMs = 100;
const auto Idle = std::chrono::seconds(5);

// XADD key MAXLEN ~ maxLen * e wire: what StreamCommands::xadd builds.
void appendXadd(redisContext* context, const std::string& key, const std::string& wire, const std::string& maxLen)
{
	redisAppendCommand(context, "XADD %b MAXLEN ~ %b * e %b", key.data(), key.size(), maxLen.data(), maxLen.size(),
		wire.data(), wire.size());
}

// The entry ids of an XREADGROUP reply of one stream ([[key, [[id, fields]...]]]; nil: none).
std::vector<std::string> idsOf(const redisReply& reply)
{
	std::vector<std::string> ids;
	if (reply.type != REDIS_REPLY_ARRAY) return ids;
	for (std::size_t s = 0; s < reply.elements; ++s)
	{
		const redisReply* stream = reply.element[s];
		if (!stream || stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) continue;
		const redisReply* entries = stream->element[1];
		if (!entries || entries->type != REDIS_REPLY_ARRAY) continue;
		for (std::size_t e = 0; e < entries->elements; ++e)
		{
			const redisReply* entry = entries->element[e];
			if (entry && entry->type == REDIS_REPLY_ARRAY && entry->elements >= 1 && entry->element[0]->type == REDIS_REPLY_STRING)
				ids.emplace_back(entry->element[0]->str, entry->element[0]->len);
		}
	}
	return ids;
}

// XACK key g ids...
void appendAck(redisContext* context, const std::string& key, const std::vector<std::string>& ids)
{
	std::vector<const char*> argv{"XACK", key.c_str(), Group};
	std::vector<std::size_t> lengths{4, key.size(), 1};
	for (const std::string& id : ids)
	{
		argv.push_back(id.c_str());
		lengths.push_back(id.size());
	}
	redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data());
}

} // namespace

RawStreams::RawStreams(const RedisAddress& address):
	_redis(address)
{
}

Measurement RawStreams::xaddSync(const std::string& key, const std::string& wire, std::size_t events, std::size_t maxLen)
{
	const std::string bound = std::to_string(maxLen);
	Measurement m;
	m.latencyUs.reserve(events);
	const std::int64_t start = nowNanos();
	for (std::size_t i = 0; i < events; ++i)
	{
		const std::int64_t t0 = nowNanos();
		RawRedis::ReplyPtr reply = _redis.command("XADD %b MAXLEN ~ %b * e %b", key.data(), key.size(), bound.data(),
			bound.size(), wire.data(), wire.size());
		if (reply->type == REDIS_REPLY_ERROR) ++m.errors;
		m.latencyUs.push_back(static_cast<double>(nowNanos() - t0) / 1e3);
	}
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = events;
	return m;
}

Measurement RawStreams::xaddPipelined(const std::string& key, const std::string& wire, std::size_t events,
	std::size_t batch, std::size_t maxLen)
{
	const std::string bound = std::to_string(maxLen);
	Measurement m;
	const std::int64_t start = nowNanos();
	std::size_t sent = 0;
	while (sent < events)
	{
		const std::size_t n = std::min(batch, events - sent);
		for (std::size_t i = 0; i < n; ++i) appendXadd(_redis.context(), key, wire, bound);
		for (std::size_t i = 0; i < n; ++i)
		{
			RawRedis::ReplyPtr reply = _redis.getReply();
			if (reply->type == REDIS_REPLY_ERROR) ++m.errors;
		}
		sent += n;
	}
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = events;
	return m;
}

Measurement RawStreams::readGroupAck(const RedisAddress& address, const std::string& key, const std::string& wire,
	std::size_t events, std::size_t batch, std::size_t maxLen, std::size_t maxInFlight)
{
	RawRedis publisher(address);
	RawRedis reader(address);
	{
		RawRedis::ReplyPtr reply = publisher.command("XGROUP CREATE %b %s $ MKSTREAM", key.data(), key.size(), Group);
		if (reply->type == REDIS_REPLY_ERROR) publisher.fail("XGROUP CREATE refused: " + std::string(reply->str, reply->len));
	}
	std::atomic<std::size_t> received{0};
	std::atomic<std::int64_t> last{0};
	std::atomic<bool> stop{false};
	std::atomic<bool> readerDone{false};
	std::string readerFailure; // written by the reader, read after join
	const std::string count = std::to_string(batch);
	const std::string block = std::to_string(BlockMs);

	std::thread consumer([&]() {
		try
		{
			std::vector<std::string> toAck;
			auto lastProgress = Clock::now();
			while (received.load() < events && !stop.load())
			{
				const bool acking = !toAck.empty();
				if (acking) appendAck(reader.context(), key, toAck);
				redisAppendCommand(reader.context(), "XREADGROUP GROUP %s %s COUNT %b BLOCK %b STREAMS %b >", Group,
					Consumer, count.data(), count.size(), block.data(), block.size(), key.data(), key.size());
				if (acking)
				{
					RawRedis::ReplyPtr ack = reader.getReply();
					if (ack->type == REDIS_REPLY_ERROR) reader.fail("XACK refused: " + std::string(ack->str, ack->len));
				}
				RawRedis::ReplyPtr reply = reader.getReply();
				if (reply->type == REDIS_REPLY_ERROR) reader.fail("XREADGROUP refused: " + std::string(reply->str, reply->len));
				toAck = idsOf(*reply);
				if (!toAck.empty())
				{
					last.store(nowNanos());
					received.fetch_add(toAck.size());
					lastProgress = Clock::now();
				}
				else if (Clock::now() - lastProgress > Idle)
					break; // the rest is lost
			}
			if (!toAck.empty())
			{
				appendAck(reader.context(), key, toAck);
				reader.getReply();
			}
		}
		catch (std::exception& exc)
		{
			readerFailure = exc.what();
		}
		readerDone.store(true);
	});

	Measurement m;
	const std::string bound = std::to_string(maxLen);
	const std::int64_t start = nowNanos();
	try
	{
		std::size_t sent = 0;
		while (sent < events)
		{
			// Keep at most maxInFlight entries ahead of the reader, as the bus row does.
			while (sent - std::min(sent, received.load()) >= maxInFlight && !readerDone.load())
				std::this_thread::sleep_for(std::chrono::microseconds(50));
			const std::size_t n = std::min({batch, events - sent, maxInFlight});
			for (std::size_t i = 0; i < n; ++i) appendXadd(publisher.context(), key, wire, bound);
			for (std::size_t i = 0; i < n; ++i)
			{
				RawRedis::ReplyPtr reply = publisher.getReply();
				if (reply->type == REDIS_REPLY_ERROR) ++m.errors;
			}
			sent += n;
		}
	}
	catch (...)
	{
		stop.store(true);
		consumer.join();
		throw;
	}
	consumer.join();
	if (!readerFailure.empty()) throw std::runtime_error(readerFailure);
	const std::size_t got = std::min(received.load(), events);
	m.seconds = static_cast<double>((got == events ? last.load() : nowNanos()) - start) / 1e9;
	m.events = got;
	m.lost = events - got;
	return m;
}

void RawStreams::remove(const std::string& key)
{
	const std::string deadLetters = key + ":dlq";
	RawRedis::ReplyPtr reply = _redis.command("DEL %b %b", key.data(), key.size(), deadLetters.data(), deadLetters.size());
	if (reply->type == REDIS_REPLY_ERROR) _redis.fail("DEL refused: " + std::string(reply->str, reply->len));
}

} // namespace bench
} // namespace eventbus
