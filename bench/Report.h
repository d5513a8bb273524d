//
// Report.h
//
// The rows of a run, their ratios to their baselines, and the table / JSON.
//
#pragma once

#include "Workload.h"
#include <ostream>
#include <string>
#include <vector>

namespace eventbus {
namespace bench {

/// p50 / p99 / p99.9 in microseconds.
struct Percentiles
{
	std::size_t count = 0;
	double p50 = 0;
	double p99 = 0;
	double p999 = 0;
	double max = 0;

	static Percentiles of(std::vector<double> samples);
};

/// What a row is compared with its baseline on.
enum class Target
{
	None,
	ThroughputAtLeast,  ///< events/s >= ratio x baseline events/s
	P99AtMost           ///< p99 <= ratio x baseline p99
};

struct Row
{
	std::string name;
	std::string description;
	std::string baseline;          ///< name of the baseline row, empty for a baseline
	Target target = Target::None;
	double targetRatio = 0;
	bool latencyRow = false;       ///< compared on p99, pooled over rounds

	// Results
	bool measured = false;
	std::string failure;           ///< why it could not run
	std::size_t events = 0;        ///< best round (throughput) or pooled (latency)
	double seconds = 0;
	double eventsPerSecond = 0;
	std::vector<double> samples;   ///< latency samples, pooled over rounds (us)
	std::uint64_t lost = 0;        ///< summed over rounds
	std::uint64_t errors = 0;
	std::vector<double> roundRates;

	/// Folds one round in: keeps the best throughput, pools the samples.
	void add(Measurement&& m);
};

class Report
{
public:
	/// Machine and options, printed first, in the order noted.
	std::vector<std::pair<std::string, std::string>> header;
	std::vector<Row> rows;

	void note(const std::string& key, const std::string& value);
	const Row* find(const std::string& name) const;
	Row* find(const std::string& name);

	/// The row's figure divided by its baseline's (events/s, or p99 for a
	/// latency row); 0 when either is missing.
	double ratio(const Row& row) const;
	/// "holds", "MISSES" or "" (no target / not measured).
	std::string verdict(const Row& row) const;

	void printTable(std::ostream& out) const;
	void printJson(std::ostream& out) const;
};

} // namespace bench
} // namespace eventbus
