//
// RawBaselines.h
//
// The floors the in-process and end-to-end rows are compared with: a plain
// queue between two threads, and hiredis publishing to its own subscriber.
//
#pragma once

#include "RedisAddress.h"
#include "Workload.h"
#include <string>

namespace eventbus {
namespace bench {

struct RawBaselines
{
	/// raw-queue: one thread pushes `events` copies of `payload` (a
	/// std::string each) into a std::deque under a std::mutex, signalling a
	/// std::condition_variable; a second thread pops and counts them. At most
	/// `maxInFlight` ahead, as the bus rows. The floor for memory and loopback.
	static Measurement queue(const std::string& payload, std::size_t events, std::size_t maxInFlight);

	/// raw-e2e: hiredis PUBLISH pipelined in batches of `batch` on one
	/// connection while a reader thread on a second, SUBSCRIBEd, connection
	/// counts what arrives; at most `maxInFlight` ahead (Pub/Sub has no flow
	/// control). The floor for redis-e2e.
	static Measurement redisEndToEnd(const RedisAddress& address, const std::string& channel, const std::string& wire,
		std::size_t events, std::size_t batch, std::size_t maxInFlight);
};

} // namespace bench
} // namespace eventbus
