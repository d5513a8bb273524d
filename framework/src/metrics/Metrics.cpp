//
// Metrics.cpp
//
// The registry: counters and histograms by name and sorted labels, and the
// help text of each family. Rendering is PrometheusText's.
//
#include "eventbus/Metrics.h"
#include <algorithm>
#include <cmath>
#include <limits>

namespace eventbus {

namespace {

Labels sorted(const Labels& labels)
{
	Labels result(labels);
	std::sort(result.begin(), result.end());
	return result;
}

} // namespace

const std::vector<double>& Histogram::bounds()
{
	static const std::vector<double> b{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
		0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
	return b;
}

Histogram::Histogram():
	_buckets(bounds().size() + 1)
{
}

void Histogram::observe(double seconds)
{
	if (!(seconds >= 0)) seconds = 0; // negative or NaN (clock skew) counts as zero
	const auto& b = bounds();
	std::size_t i = static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), seconds) - b.begin());
	_buckets[i].fetch_add(1, std::memory_order_relaxed);
	_count.fetch_add(1, std::memory_order_relaxed);
	_sumNanos.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

std::uint64_t Histogram::count() const
{
	return _count.load(std::memory_order_relaxed);
}

double Histogram::sum() const
{
	return static_cast<double>(_sumNanos.load(std::memory_order_relaxed)) / 1e9;
}

std::vector<std::uint64_t> Histogram::cumulative() const
{
	std::vector<std::uint64_t> result(bounds().size());
	std::uint64_t running = 0;
	for (std::size_t i = 0; i < result.size(); ++i)
	{
		running += _buckets[i].load(std::memory_order_relaxed);
		result[i] = running;
	}
	return result;
}

double Histogram::quantile(double q) const
{
	std::uint64_t total = 0;
	for (const auto& bucket : _buckets) total += bucket.load(std::memory_order_relaxed);
	if (total == 0) return 0;
	double rank = q * static_cast<double>(total);
	std::uint64_t running = 0;
	for (std::size_t i = 0; i < _buckets.size(); ++i)
	{
		running += _buckets[i].load(std::memory_order_relaxed);
		if (static_cast<double>(running) >= rank && running > 0)
			return i < bounds().size() ? bounds()[i] : std::numeric_limits<double>::infinity();
	}
	return std::numeric_limits<double>::infinity();
}

std::string Metrics::key(const std::string& name, const Labels& labels)
{
	std::size_t size = name.size();
	for (const auto& label : labels) size += label.first.size() + label.second.size() + 2;
	std::string k;
	k.reserve(size);
	k.append(name);
	for (const auto& label : labels)
	{
		k.append(1, '\x1f').append(label.first).append(1, '=').append(label.second);
	}
	return k;
}

Metrics::Series& Metrics::seriesLocked(const std::string& name, const Labels& labels, std::unique_lock<std::mutex>& lock)
{
	// Labels usually come sorted: copy and sort only when they are not.
	const bool isSorted = std::is_sorted(labels.begin(), labels.end());
	Labels sortedLabels;
	if (!isSorted) sortedLabels = sorted(labels);
	const Labels& use = isSorted ? labels : sortedLabels;
	std::string k = key(name, use);
	lock.lock();
	auto it = _series.find(k);
	if (it != _series.end()) return it->second;
	Series& series = _series[k];
	series.name = name;
	series.labels = use;
	return series;
}

Counter& Metrics::counter(const std::string& name, const Labels& labels)
{
	std::unique_lock<std::mutex> lock(_mutex, std::defer_lock);
	Series& series = seriesLocked(name, labels, lock);
	if (!series.counter) series.counter.reset(new Counter);
	return *series.counter;
}

Gauge& Metrics::gauge(const std::string& name, const Labels& labels)
{
	std::unique_lock<std::mutex> lock(_mutex, std::defer_lock);
	Series& series = seriesLocked(name, labels, lock);
	if (!series.gauge) series.gauge.reset(new Gauge);
	return *series.gauge;
}

Histogram& Metrics::histogram(const std::string& name, const Labels& labels)
{
	std::unique_lock<std::mutex> lock(_mutex, std::defer_lock);
	Series& series = seriesLocked(name, labels, lock);
	if (!series.histogram) series.histogram.reset(new Histogram);
	return *series.histogram;
}

std::uint64_t Metrics::counterValue(const std::string& name) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::uint64_t total = 0;
	for (const auto& entry : _series)
		if (entry.second.name == name && entry.second.counter) total += entry.second.counter->value();
	return total;
}

std::uint64_t Metrics::counterValue(const std::string& name, const Labels& labels) const
{
	std::string k = key(name, sorted(labels));
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _series.find(k);
	return it != _series.end() && it->second.counter ? it->second.counter->value() : 0;
}

std::int64_t Metrics::gaugeValue(const std::string& name, const Labels& labels) const
{
	std::string k = key(name, sorted(labels));
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _series.find(k);
	return it != _series.end() && it->second.gauge ? it->second.gauge->value() : 0;
}

void Metrics::describe(const std::string& name, const std::string& help)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_help[name] = help;
}

std::string Metrics::help(const std::string& name) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _help.find(name);
	return it != _help.end() ? it->second : std::string("eventbus metric.");
}

std::vector<SeriesView> Metrics::series() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<SeriesView> views;
	views.reserve(_series.size());
	for (const auto& entry : _series)
		views.push_back(SeriesView{entry.second.name, entry.second.labels, entry.second.counter.get(),
			entry.second.gauge.get(), entry.second.histogram.get()});
	std::stable_sort(views.begin(), views.end(), [](const SeriesView& a, const SeriesView& b) { return a.name < b.name; });
	return views;
}

} // namespace eventbus
