//
// Soak.h
//
// Sustained publishing on the memory transport with a subscriber: memory
// must stay flat and nothing may be lost.
//
#pragma once

#include "Workload.h"
#include <ostream>
#include <utility>
#include <vector>

namespace eventbus {
namespace bench {

struct SoakResult
{
	double seconds = 0;
	std::uint64_t published = 0;
	std::uint64_t delivered = 0;
	std::uint64_t outOfOrder = 0;
	std::uint64_t lost = 0;
	std::uint64_t dropped = 0;        ///< eventbus_events_dropped_total
	std::uint64_t handlerErrors = 0;
	std::uint64_t publishErrors = 0;
	std::size_t rssStart = 0;         ///< before the first publish
	std::size_t rssWarm = 0;          ///< once the idempotency window and queues are full
	std::size_t rssEnd = 0;
	std::size_t rssMax = 0;
	double warmAtSeconds = 0;
	std::vector<std::pair<double, std::size_t>> rssSamples; ///< (second, bytes)

	/// Growth from warm to end within max(8 MiB, 5 %).
	bool flat() const;
	bool ok() const { return flat() && lost == 0 && dropped == 0 && outOfOrder == 0 && publishErrors == 0; }
};

/// Publishes fresh payloads through the full chain for `durationSeconds`;
/// progress goes to `progress`.
SoakResult runSoak(const BenchOptions& options, std::ostream& progress);

void printSoak(const SoakResult& result, const BenchOptions& options, bool json, std::ostream& out);

} // namespace bench
} // namespace eventbus
