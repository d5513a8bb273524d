//
// Metrics.h
//
// Counters, gauges and latency histograms, labelled with safe metadata only.
//
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace eventbus {

/// Label pairs; order does not matter (they are sorted).
using Labels = std::vector<std::pair<std::string, std::string>>;

/// A monotonically increasing counter; lock-free to increment.
class Counter
{
public:
	void increment(std::uint64_t n = 1) { _value.fetch_add(n, std::memory_order_relaxed); }
	std::uint64_t value() const { return _value.load(std::memory_order_relaxed); }
private:
	std::atomic<std::uint64_t> _value{0};
};

/// A value that goes up and down (a queue depth, a pending count): the last
/// value set; lock-free.
class Gauge
{
public:
	void set(std::int64_t value) { _value.store(value, std::memory_order_relaxed); }
	void add(std::int64_t n) { _value.fetch_add(n, std::memory_order_relaxed); }
	std::int64_t value() const { return _value.load(std::memory_order_relaxed); }
private:
	std::atomic<std::int64_t> _value{0};
};

/// A histogram of durations in seconds with fixed buckets.
class Histogram
{
public:
	/// Upper bounds in seconds: 50us .. 10s.
	static const std::vector<double>& bounds();
	Histogram();
	void observe(double seconds);
	std::uint64_t count() const;
	double sum() const;
	/// Cumulative count of observations <= bounds()[i].
	std::vector<std::uint64_t> cumulative() const;
	/// Quantile estimated from the buckets (upper bound of the bucket), q in [0,1].
	double quantile(double q) const;
private:
	std::vector<std::atomic<std::uint64_t>> _buckets; // last one is +Inf
	std::atomic<std::uint64_t> _count{0};
	std::atomic<std::uint64_t> _sumNanos{0};
};

/// One series of the registry as an exporter sees it; the pointers stay
/// valid as long as the registry lives.
struct SeriesView
{
	std::string name;
	Labels labels;
	const Counter* counter = nullptr;     ///< set for a counter
	const Gauge* gauge = nullptr;         ///< set for a gauge
	const Histogram* histogram = nullptr; ///< set for a histogram
};

/// Registry of named, labelled series. Names follow Prometheus conventions
/// (eventbus_events_published_total, eventbus_publish_latency_seconds).
/// The returned references stay valid as long as the registry lives, so hot
/// paths look a series up once and keep it. Every family is declared once,
/// with its help text: the framework's in one table (MetricCatalog.cpp), a
/// plugin's in its own one place, through describe(). Exporting is not the
/// registry's job: PrometheusText renders it.
class Metrics
{
public:
	// Series names used by the framework and the built-in transports.
	static constexpr const char* Published = "eventbus_events_published_total";
	static constexpr const char* PublishFailed = "eventbus_publish_failures_total";
	static constexpr const char* Delivered = "eventbus_events_delivered_total";
	static constexpr const char* Dropped = "eventbus_events_dropped_total";
	static constexpr const char* Duplicates = "eventbus_duplicates_total";
	static constexpr const char* HandlerErrors = "eventbus_handler_errors_total";
	static constexpr const char* Redactions = "eventbus_redactions_total";
	static constexpr const char* Reconnects = "eventbus_reconnects_total";
	static constexpr const char* PublishLatency = "eventbus_publish_latency_seconds";
	static constexpr const char* EndToEndLatency = "eventbus_end_to_end_latency_seconds";

	/// A registry that knows the framework's families (with their help).
	Metrics();

	/// Declares a family's help text (a plugin's own series); the last
	/// description of a name wins.
	void describe(const std::string& name, const std::string& help);
	/// The help text of a family ("eventbus metric." when never described).
	std::string help(const std::string& name) const;

	/// Every series, sorted by name then labels.
	std::vector<SeriesView> series() const;

	Counter& counter(const std::string& name, const Labels& labels = {});
	Gauge& gauge(const std::string& name, const Labels& labels = {});
	Histogram& histogram(const std::string& name, const Labels& labels = {});

	/// Value of a counter, 0 when it does not exist. Without labels: the sum
	/// over every label set of that name.
	std::uint64_t counterValue(const std::string& name) const;
	std::uint64_t counterValue(const std::string& name, const Labels& labels) const;
	/// Value of a gauge, 0 when it does not exist.
	std::int64_t gaugeValue(const std::string& name, const Labels& labels = {}) const;

	/// A label value escaped for the Prometheus text format (\\, \", \n).
	static std::string escapeLabelValue(const std::string& value);

	/// PrometheusText::render(*this): the text exposition format 0.0.4.
	std::string toPrometheus() const;
	/// PrometheusText::summary(*this): one series per line, for the CLI.
	std::string summary() const;

private:
	static std::string key(const std::string& name, const Labels& labels);
	struct Series
	{
		std::string name;
		Labels labels;
		std::unique_ptr<Counter> counter;
		std::unique_ptr<Gauge> gauge;
		std::unique_ptr<Histogram> histogram;
	};
	/// The series of name and labels, created empty when new; takes `lock` (of _mutex).
	Series& seriesLocked(const std::string& name, const Labels& labels, std::unique_lock<std::mutex>& lock);
	mutable std::mutex _mutex;
	std::map<std::string, Series> _series;
	std::map<std::string, std::string> _help;
};

} // namespace eventbus
