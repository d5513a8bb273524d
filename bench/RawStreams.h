//
// RawStreams.h
//
// The baselines of the redis-streams rows: XADD, XREADGROUP and XACK with
// hiredis on its own, in the command shape the transport sends (see
// plugins/redis/streams/StreamCommands.cpp), with no bus in between.
//
#pragma once

#include "RawRedis.h"
#include "RedisAddress.h"
#include "Workload.h"
#include <string>

namespace eventbus {
namespace bench {

/// One synchronous hiredis connection that adds to streams, plus the
/// consumer-group round trip on two connections of its own.
class RawStreams
{
public:
	explicit RawStreams(const RedisAddress& address);

	/// `events` times XADD key MAXLEN ~ maxLen * e wire with redisCommand,
	/// each waiting for its reply (the entry id); records each call's latency.
	Measurement xaddSync(const std::string& key, const std::string& wire, std::size_t events, std::size_t maxLen);

	/// The same in batches of `batch`: redisAppendCommand x batch, then
	/// redisGetReply x batch.
	Measurement xaddPipelined(const std::string& key, const std::string& wire, std::size_t events,
		std::size_t batch, std::size_t maxLen);

	/// Publish -> read -> acknowledge throughput through a consumer group:
	/// XGROUP CREATE key g $ MKSTREAM, then one connection XADDs in pipelined
	/// batches of `batch` (at most `maxInFlight` entries ahead of the reader)
	/// while a thread on a second connection runs XREADGROUP GROUP g c COUNT
	/// batch BLOCK 100 STREAMS key > and acknowledges each batch read with one
	/// XACK, pipelined with the next read. The time from the first XADD to the
	/// read of the last entry; entries not read within 5 s of the last
	/// progress are lost.
	static Measurement readGroupAck(const RedisAddress& address, const std::string& key, const std::string& wire,
		std::size_t events, std::size_t batch, std::size_t maxLen, std::size_t maxInFlight);

	/// DEL key and its dead-letter stream key:dlq: the next row starts from nothing.
	void remove(const std::string& key);

private:
	RawRedis _redis;
};

} // namespace bench
} // namespace eventbus
