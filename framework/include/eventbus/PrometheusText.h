//
// PrometheusText.h
//
// The exporter of a Metrics registry: the Prometheus text format and the
// CLI's human summary.
//
#pragma once

#include "eventbus/Metrics.h"
#include <string>

namespace eventbus {

class PrometheusText
{
public:
	/// Text exposition format 0.0.4: HELP and TYPE once per family, label
	/// values escaped, histograms as cumulative buckets, sum and count.
	static std::string render(const Metrics& metrics);

	/// One series per line ("  name{labels} value"; histograms with count,
	/// mean and p99 in ms), for the CLI.
	static std::string summary(const Metrics& metrics);
};

} // namespace eventbus
