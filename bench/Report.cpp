//
// Report.cpp
//
#include "Report.h"
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace eventbus {
namespace bench {

namespace {

double at(const std::vector<double>& sorted, double q)
{
	if (sorted.empty()) return 0;
	// Nearest rank: the smallest sample with at least q of the samples at or below it.
	std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
	if (rank == 0) rank = 1;
	return sorted[std::min(rank, sorted.size()) - 1];
}

std::string fixed(double value, int decimals)
{
	std::ostringstream out;
	out << std::fixed << std::setprecision(decimals) << value;
	return out.str();
}

std::string grouped(double value)
{
	std::string digits = std::to_string(static_cast<long long>(std::llround(value)));
	std::string out;
	int count = 0;
	for (auto it = digits.rbegin(); it != digits.rend(); ++it)
	{
		if (count && count % 3 == 0) out.insert(out.begin(), ',');
		out.insert(out.begin(), *it);
		++count;
	}
	return out;
}

std::string pad(const std::string& s, std::size_t width, bool right = false)
{
	if (s.size() >= width) return s;
	return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string targetText(const Row& row)
{
	if (row.target == Target::ThroughputAtLeast) return ">= " + fixed(row.targetRatio, 2) + " x";
	if (row.target == Target::P99AtMost) return "p99 <= " + fixed(row.targetRatio, 1) + " x";
	return "";
}

} // namespace

Percentiles Percentiles::of(std::vector<double> samples)
{
	Percentiles p;
	p.count = samples.size();
	if (samples.empty()) return p;
	std::sort(samples.begin(), samples.end());
	p.p50 = at(samples, 0.50);
	p.p99 = at(samples, 0.99);
	p.p999 = at(samples, 0.999);
	p.max = samples.back();
	return p;
}

void Row::add(Measurement&& m)
{
	measured = true;
	lost += m.lost;
	errors += m.errors;
	double rate = m.seconds > 0 ? static_cast<double>(m.events) / m.seconds : 0;
	roundRates.push_back(rate);
	if (latencyRow)
	{
		events += m.events;
		seconds += m.seconds;
		eventsPerSecond = seconds > 0 ? static_cast<double>(events) / seconds : 0;
	}
	else if (rate > eventsPerSecond)
	{
		events = m.events;
		seconds = m.seconds;
		eventsPerSecond = rate;
	}
	samples.insert(samples.end(), m.latencyUs.begin(), m.latencyUs.end());
}

void Report::note(const std::string& key, const std::string& value)
{
	for (auto& kv : header)
	{
		if (kv.first == key)
		{
			kv.second = value;
			return;
		}
	}
	header.emplace_back(key, value);
}

const Row* Report::find(const std::string& name) const
{
	for (const auto& row : rows)
		if (row.name == name) return &row;
	return nullptr;
}

Row* Report::find(const std::string& name)
{
	for (auto& row : rows)
		if (row.name == name) return &row;
	return nullptr;
}

double Report::ratio(const Row& row) const
{
	const Row* base = row.baseline.empty() ? nullptr : find(row.baseline);
	if (!base || !base->measured || !row.measured) return 0;
	if (row.latencyRow)
	{
		double b = Percentiles::of(base->samples).p99;
		return b > 0 ? Percentiles::of(row.samples).p99 / b : 0;
	}
	return base->eventsPerSecond > 0 ? row.eventsPerSecond / base->eventsPerSecond : 0;
}

std::string Report::verdict(const Row& row) const
{
	if (row.target == Target::None || !row.measured) return "";
	double r = ratio(row);
	if (r <= 0) return "";
	bool holds = row.target == Target::ThroughputAtLeast ? r >= row.targetRatio : r <= row.targetRatio;
	return holds ? "holds" : "MISSES";
}

void Report::printTable(std::ostream& out) const
{
	const std::size_t NameWidth = 20; // the longest row name (raw-xreadgroup-ack) and a gap
	for (const auto& kv : header) out << kv.first << ": " << kv.second << "\n";
	out << "\n";
	out << pad("row", NameWidth) << pad("events/s", 12, true) << "  " << pad("baseline", NameWidth) << pad("ratio", 7, true)
	    << pad("p50 us", 9, true) << pad("p99 us", 9, true) << pad("p99.9 us", 10, true) << "  "
	    << pad("target", 13) << "result\n";
	for (const auto& row : rows)
	{
		if (!row.measured)
		{
			out << pad(row.name, NameWidth) << "not measured: " << row.failure << "\n";
			continue;
		}
		double r = ratio(row);
		std::string ratioText = row.baseline.empty() ? "1.00" : (r > 0 ? fixed(r, 2) : "-");
		if (row.latencyRow && !row.baseline.empty() && r > 0) ratioText = fixed(r, 2);
		out << pad(row.name, NameWidth) << pad(grouped(row.eventsPerSecond), 12, true) << "  "
		    << pad(row.baseline.empty() ? "-" : row.baseline, NameWidth) << pad(ratioText, 7, true);
		if (!row.samples.empty())
		{
			Percentiles p = Percentiles::of(row.samples);
			out << pad(fixed(p.p50, 1), 9, true) << pad(fixed(p.p99, 1), 9, true) << pad(fixed(p.p999, 1), 10, true);
		}
		else
			out << pad("", 28);
		out << "  " << pad(targetText(row), 13) << verdict(row);
		if (row.lost) out << "  LOST " << row.lost;
		if (row.errors) out << "  ERRORS " << row.errors;
		out << "\n";
	}
	out << "\nrows:\n";
	for (const auto& row : rows)
	{
		out << "  " << pad(row.name, NameWidth) << row.description;
		if (row.roundRates.size() > 1 && !row.latencyRow)
		{
			out << " [rounds:";
			for (double rate : row.roundRates) out << " " << grouped(rate);
			out << "]";
		}
		out << "\n";
	}
	out << "ratios: events/s over the baseline's (latency rows: p99 over the baseline's p99); "
	       "throughput = best round, latency = samples pooled over the rounds\n";
}

void Report::printJson(std::ostream& out) const
{
	Poco::JSON::Object root(Poco::JSON_PRESERVE_KEY_ORDER);
	Poco::JSON::Object::Ptr head(new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER));
	for (const auto& kv : header) head->set(kv.first, kv.second);
	root.set("run", head);
	Poco::JSON::Array::Ptr list(new Poco::JSON::Array);
	for (const auto& row : rows)
	{
		Poco::JSON::Object::Ptr o(new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER));
		o->set("name", row.name);
		o->set("description", row.description);
		o->set("measured", row.measured);
		if (!row.measured)
		{
			o->set("failure", row.failure);
			list->add(o);
			continue;
		}
		o->set("events", static_cast<Poco::UInt64>(row.events));
		o->set("seconds", row.seconds);
		o->set("eventsPerSecond", row.eventsPerSecond);
		Poco::JSON::Array::Ptr rounds(new Poco::JSON::Array);
		for (double rate : row.roundRates) rounds->add(rate);
		o->set("roundEventsPerSecond", rounds);
		if (!row.baseline.empty())
		{
			o->set("baseline", row.baseline);
			o->set("ratio", ratio(row));
			o->set("ratioOf", row.latencyRow ? "p99" : "eventsPerSecond");
		}
		if (row.target != Target::None)
		{
			o->set("target", targetText(row));
			o->set("targetRatio", row.targetRatio);
			o->set("holds", verdict(row) == "holds");
		}
		if (!row.samples.empty())
		{
			Percentiles p = Percentiles::of(row.samples);
			Poco::JSON::Object::Ptr lat(new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER));
			lat->set("samples", static_cast<Poco::UInt64>(p.count));
			lat->set("p50", p.p50);
			lat->set("p99", p.p99);
			lat->set("p999", p.p999);
			lat->set("max", p.max);
			o->set("latencyMicros", lat);
		}
		o->set("lost", static_cast<Poco::UInt64>(row.lost));
		o->set("errors", static_cast<Poco::UInt64>(row.errors));
		list->add(o);
	}
	root.set("rows", list);
	root.stringify(out, 2);
	out << "\n";
}

} // namespace bench
} // namespace eventbus
