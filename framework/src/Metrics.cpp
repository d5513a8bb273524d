//
// Metrics.cpp
//
#include "eventbus/Metrics.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include <iomanip>
#include <sstream>

namespace eventbus {

namespace {

Labels sorted(const Labels& labels)
{
	Labels result(labels);
	std::sort(result.begin(), result.end());
	return result;
}

} // namespace

std::string Metrics::escapeLabelValue(const std::string& value)
{
	std::string out;
	out.reserve(value.size());
	for (char c : value)
	{
		if (c == '\\') out += "\\\\";
		else if (c == '"') out += "\\\"";
		else if (c == '\n') out += "\\n";
		else out += c;
	}
	return out;
}

namespace {

std::string labelText(const Labels& labels, const std::string& extraName = "", const std::string& extraValue = "")
{
	if (labels.empty() && extraName.empty()) return "";
	std::string out = "{";
	bool first = true;
	for (const auto& label : labels)
	{
		if (!first) out += ",";
		first = false;
		out += label.first + "=\"" + Metrics::escapeLabelValue(label.second) + "\"";
	}
	if (!extraName.empty())
	{
		if (!first) out += ",";
		out += extraName + "=\"" + extraValue + "\"";
	}
	out += "}";
	return out;
}

std::string formatDouble(double value)
{
	if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
	std::ostringstream out;
	out << std::setprecision(9) << value;
	return out.str();
}

const char* helpFor(const std::string& name)
{
	if (name == Metrics::Published) return "Events accepted by the transport.";
	if (name == Metrics::PublishFailed) return "Publishes refused or failed, by reason.";
	if (name == Metrics::Delivered) return "Events handed to a handler.";
	if (name == Metrics::Dropped) return "Events dropped before a handler, by reason.";
	if (name == Metrics::Duplicates) return "Deliveries dropped as duplicates.";
	if (name == Metrics::HandlerErrors) return "Handlers that threw.";
	if (name == Metrics::Redactions) return "Sensitive values masked.";
	if (name == Metrics::Reconnects) return "Transport reconnects.";
	if (name == Metrics::PublishLatency) return "Time from publish call to transport acceptance.";
	if (name == Metrics::EndToEndLatency) return "Time from event time to handler start.";
	return "eventbus metric.";
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

Counter& Metrics::counter(const std::string& name, const Labels& labels)
{
	// Labels usually come sorted: copy and sort only when they are not.
	const bool isSorted = std::is_sorted(labels.begin(), labels.end());
	Labels sortedLabels;
	if (!isSorted) sortedLabels = sorted(labels);
	const Labels& use = isSorted ? labels : sortedLabels;
	std::string k = key(name, use);
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _series.find(k);
	if (it != _series.end() && it->second.counter) return *it->second.counter;
	Series& series = _series[k];
	if (!series.counter)
	{
		series.name = name;
		series.labels = use;
		series.counter.reset(new Counter);
	}
	return *series.counter;
}

Histogram& Metrics::histogram(const std::string& name, const Labels& labels)
{
	const bool isSorted = std::is_sorted(labels.begin(), labels.end());
	Labels sortedLabels;
	if (!isSorted) sortedLabels = sorted(labels);
	const Labels& use = isSorted ? labels : sortedLabels;
	std::string k = key(name, use);
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _series.find(k);
	if (it != _series.end() && it->second.histogram) return *it->second.histogram;
	Series& series = _series[k];
	if (!series.histogram)
	{
		series.name = name;
		series.labels = use;
		series.histogram.reset(new Histogram);
	}
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

std::string Metrics::toPrometheus() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	// Group series by name: HELP and TYPE once per metric family.
	std::map<std::string, std::vector<const Series*>> families;
	for (const auto& entry : _series)
		families[entry.second.name].push_back(&entry.second);
	std::ostringstream out;
	for (const auto& family : families)
	{
		const std::string& name = family.first;
		bool isHistogram = family.second.front()->histogram != nullptr;
		out << "# HELP " << name << " " << helpFor(name) << "\n";
		out << "# TYPE " << name << (isHistogram ? " histogram" : " counter") << "\n";
		for (const Series* series : family.second)
		{
			if (series->histogram)
			{
				const Histogram& h = *series->histogram;
				std::vector<std::uint64_t> cumulative = h.cumulative();
				for (std::size_t i = 0; i < cumulative.size(); ++i)
					out << name << "_bucket" << labelText(series->labels, "le", formatDouble(Histogram::bounds()[i]))
					    << " " << cumulative[i] << "\n";
				out << name << "_bucket" << labelText(series->labels, "le", "+Inf") << " " << h.count() << "\n";
				out << name << "_sum" << labelText(series->labels) << " " << formatDouble(h.sum()) << "\n";
				out << name << "_count" << labelText(series->labels) << " " << h.count() << "\n";
			}
			else if (series->counter)
			{
				out << name << labelText(series->labels) << " " << series->counter->value() << "\n";
			}
		}
	}
	return out.str();
}

std::string Metrics::summary() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::ostringstream out;
	for (const auto& entry : _series)
	{
		const Series& series = entry.second;
		out << "  " << series.name << labelText(series.labels);
		if (series.histogram)
		{
			const Histogram& h = *series.histogram;
			out << " count=" << h.count();
			if (h.count() > 0)
				out << " mean=" << formatDouble(h.sum() / static_cast<double>(h.count()) * 1000.0) << "ms"
				    << " p99<=" << formatDouble(h.quantile(0.99) * 1000.0) << "ms";
		}
		else if (series.counter)
		{
			out << " " << series.counter->value();
		}
		out << "\n";
	}
	return out.str();
}

} // namespace eventbus
