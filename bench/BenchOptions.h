//
// BenchOptions.h
//
// The command line of eventbus-bench.
//
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace eventbus {
namespace bench {

struct BenchOptions
{
	std::size_t events = 50000;        ///< --events: per throughput row and round
	std::size_t payloadBytes = 256;    ///< --payload-bytes: size of the JSON data
	std::size_t batch = 64;            ///< --batch: commands per pipelined round trip
	int durationSeconds = 0;           ///< --duration: soak mode when > 0
	std::vector<std::string> only;     ///< --only: rows (or row prefixes) to run, with their baselines
	std::string redisUrl;              ///< --redis-url: an existing server; else one is started
	bool json = false;                 ///< --json
	bool signAll = false;              ///< --sign-all: sign on every Redis row, not only e2e and latency
	int rounds = 3;                    ///< --rounds: throughput is the best round, latency pools them
	int rate = 1000;                   ///< --rate: events/s of the latency rows
	std::size_t latencyEvents = 6000;  ///< --latency-events: samples per latency row
	std::string pluginDir;             ///< --plugins: the built plugins folder
	bool help = false;

	/// Throws std::invalid_argument naming the option at fault.
	static BenchOptions parse(int argc, char** argv);
	static std::string usage();

	/// True when the row was asked for (no --only, or a name / prefix match).
	bool wants(const std::string& row) const;
};

} // namespace bench
} // namespace eventbus
