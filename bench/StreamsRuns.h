//
// StreamsRuns.h
//
// The redis-streams rows, bus and raw: each run of each row on a stream of
// its own (a fresh eventbus.channel.prefix, so a fresh key and consumer
// group), deleted afterwards, so no row reads or trims another's entries.
//
#pragma once

#include "BusRuns.h"
#include "RawStreams.h"
#include "RedisAddress.h"
#include "Workload.h"
#include <memory>
#include <string>

namespace eventbus {
namespace bench {

class StreamsRuns
{
public:
	/// XADD MAXLEN ~ of every row, bus (eventbus.redis.streams.maxLen) and raw
	/// alike: the transport's default.
	static constexpr std::size_t MaxLen = 100000;

	/// Bus rows run in `env`, on the workload's tenant and topic.
	StreamsRuns(const BusRuns& bus, const BenchOptions& options, const std::string& env);

	/// Where the rows run; call before the first row.
	void connect(const RedisAddress& address, const std::string& redisUrl);

	/// raw-xadd-sync: RawStreams::xaddSync of `wire`.
	Measurement rawSync(const std::string& wire, std::size_t events);
	/// streams-sync: BusRuns::publishSync over redis-streams (signed with --sign-all).
	Measurement busSync(std::size_t events);
	/// raw-xadd-pipelined: RawStreams::xaddPipelined of `wire` in batches of --batch.
	Measurement rawPipelined(const std::string& wire, std::size_t events);
	/// streams-async: BusRuns::publishAsync over redis-streams, at most `window` futures open.
	Measurement busAsync(std::size_t events, std::size_t window);
	/// raw-xreadgroup-ack: RawStreams::readGroupAck of `wire`, COUNT --batch.
	Measurement rawReadGroupAck(const std::string& wire, std::size_t events, std::size_t maxInFlight);
	/// streams-e2e: BusRuns::endToEnd over redis-streams, signed and verified,
	/// one consumer group (the default, eventbus), XREADGROUP COUNT --batch,
	/// each entry acknowledged after the handler.
	Measurement busEndToEnd(std::size_t events, std::size_t window, std::size_t maxInFlight);
	/// cluster-streams-async / -e2e: busAsync / busEndToEnd on the Redis Cluster
	/// of `seeds` (a fresh stream each run, left on the bench's own cluster).
	Measurement clusterAsync(const std::string& seeds, std::size_t events, std::size_t window);
	Measurement clusterEndToEnd(const std::string& seeds, std::size_t events, std::size_t window, std::size_t maxInFlight);

private:
	/// A prefix never used before in this process: bench-s1, bench-s2, ...
	std::string freshPrefix();
	std::string keyOf(const std::string& prefix) const;
	/// With `clusterSeeds`, on that cluster instead of the server.
	Poco::AutoPtr<Poco::Util::MapConfiguration> config(const std::string& prefix, bool sign,
		const std::string& clusterSeeds = "") const;
	/// Runs `run` on a fresh stream key, then deletes the key (also when `run` throws).
	template <typename Run>
	Measurement onFreshStream(Run run);

	const BusRuns& _bus;
	const BenchOptions& _options;
	std::string _env;
	RedisAddress _address;
	std::string _redisUrl;
	std::unique_ptr<RawStreams> _admin;
	unsigned _streams = 0;
};

} // namespace bench
} // namespace eventbus
