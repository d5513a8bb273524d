//
// PocoRedisBaselines.h
//
// What a Poco user writes by hand instead of using the bus: Poco::Redis::Client
// (libPocoRedis, shipped with libpoco-dev) publishing the same envelope bytes.
//
#pragma once

#include "RedisAddress.h"
#include "Workload.h"
#include <string>

namespace eventbus {
namespace bench {

struct PocoRedisBaselines
{
	/// poco-redis-sync: Client::execute<Int64>(PUBLISH channel wire) in a loop.
	static Measurement publishSync(const RedisAddress& address, const std::string& channel, const std::string& wire,
		std::size_t events);

	/// poco-redis-pipelined: Client::sendCommands with `batch` PUBLISHes per call.
	static Measurement publishPipelined(const RedisAddress& address, const std::string& channel, const std::string& wire,
		std::size_t events, std::size_t batch);
};

} // namespace bench
} // namespace eventbus
