//
// PrometheusText.cpp
//
// Renders a registry's series; the registry itself knows no format.
//
#include "eventbus/PrometheusText.h"
#include <cmath>
#include <iomanip>
#include <sstream>

namespace eventbus {

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

} // namespace

std::string PrometheusText::render(const Metrics& metrics)
{
	const std::vector<SeriesView> all = metrics.series();
	std::ostringstream out;
	std::size_t i = 0;
	while (i < all.size())
	{
		// One family: HELP and TYPE once, then its series.
		const std::string& name = all[i].name;
		out << "# HELP " << name << " " << metrics.help(name) << "\n";
		out << "# TYPE " << name << (all[i].histogram ? " histogram" : all[i].gauge ? " gauge" : " counter") << "\n";
		for (; i < all.size() && all[i].name == name; ++i)
		{
			const SeriesView& series = all[i];
			if (series.histogram)
			{
				const Histogram& h = *series.histogram;
				std::vector<std::uint64_t> cumulative = h.cumulative();
				for (std::size_t b = 0; b < cumulative.size(); ++b)
					out << name << "_bucket" << labelText(series.labels, "le", formatDouble(Histogram::bounds()[b]))
					    << " " << cumulative[b] << "\n";
				out << name << "_bucket" << labelText(series.labels, "le", "+Inf") << " " << h.count() << "\n";
				out << name << "_sum" << labelText(series.labels) << " " << formatDouble(h.sum()) << "\n";
				out << name << "_count" << labelText(series.labels) << " " << h.count() << "\n";
			}
			else if (series.gauge)
			{
				out << name << labelText(series.labels) << " " << series.gauge->value() << "\n";
			}
			else if (series.counter)
			{
				out << name << labelText(series.labels) << " " << series.counter->value() << "\n";
			}
		}
	}
	return out.str();
}

std::string PrometheusText::summary(const Metrics& metrics)
{
	std::ostringstream out;
	for (const SeriesView& series : metrics.series())
	{
		out << "  " << series.name << labelText(series.labels);
		if (series.histogram)
		{
			const Histogram& h = *series.histogram;
			out << " count=" << h.count();
			if (h.count() > 0)
				out << " mean=" << formatDouble(h.sum() / static_cast<double>(h.count()) * 1000.0) << "ms"
				    << " p99<=" << formatDouble(h.quantile(0.99) * 1000.0) << "ms";
		}
		else if (series.gauge)
		{
			out << " " << series.gauge->value();
		}
		else if (series.counter)
		{
			out << " " << series.counter->value();
		}
		out << "\n";
	}
	return out.str();
}

std::string Metrics::toPrometheus() const
{
	return PrometheusText::render(*this);
}

std::string Metrics::summary() const
{
	return PrometheusText::summary(*this);
}

} // namespace eventbus
