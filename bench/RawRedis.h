//
// RawRedis.h
//
// The baselines: what hiredis does on its own, with no bus in between.
//
#pragma once

#include "RedisAddress.h"
#include "Workload.h"
#include <hiredis/hiredis.h>
#include <memory>
#include <string>

namespace eventbus {
namespace bench {

/// One synchronous hiredis connection (redisConnect, then AUTH / SELECT).
class RawRedis
{
public:
	explicit RawRedis(const RedisAddress& address);

	bool ping();
	std::string info(const std::string& section);
	void shutdown();

	/// `events` times PUBLISH channel wire with redisCommand, each waiting for
	/// its reply; records each call's latency.
	Measurement publishSync(const std::string& channel, const std::string& wire, std::size_t events);

	/// The same in batches of `batch`: redisAppendCommand x batch, then
	/// redisGetReply x batch.
	Measurement publishPipelined(const std::string& channel, const std::string& wire, std::size_t events,
		std::size_t batch);

	/// Publish -> receive latency: a second connection SUBSCRIBEs to the
	/// channel and a thread reads it; `events` PUBLISHes at `rate` per second.
	static Measurement roundTrip(const RedisAddress& address, const std::string& channel, const std::string& wire,
		std::size_t events, int rate);

	struct ReplyDeleter
	{
		void operator()(void* r) const { freeReplyObject(r); }
	};
	using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

	/// redisCommand with a printf-like format (%b for binary); throws when
	/// the connection failed. A server error is a REDIS_REPLY_ERROR reply.
	ReplyPtr command(const char* format, ...);
	/// The next reply of the pipeline; throws when there is none.
	ReplyPtr getReply();
	/// The connection, for redisAppendCommand.
	redisContext* context() const { return _context.get(); }
	/// The socket timeout of every later read and write.
	void setTimeout(int seconds);
	/// Throws std::runtime_error naming the server, `what` and the connection's error.
	[[noreturn]] void fail(const std::string& what) const;

private:
	struct ContextDeleter
	{
		void operator()(redisContext* c) const { redisFree(c); }
	};

	RedisAddress _address;
	std::unique_ptr<redisContext, ContextDeleter> _context;
};

} // namespace bench
} // namespace eventbus
