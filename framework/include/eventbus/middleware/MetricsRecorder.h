//
// MetricsRecorder.h
//
// The metrics middleware: published, delivered and latency series.
//
#pragma once

#include "eventbus/Metrics.h"
#include "eventbus/Middleware.h"
#include <mutex>
#include <string>
#include <unordered_map>

namespace eventbus {

/// The `metrics` middleware: counts published and delivered events and
/// records publish and end-to-end latency, labelled by transport and topic
/// (and tenant when eventbus.metrics.tenantLabel=true). Never payload values.
class MetricsRecorder : public Middleware
{
public:
	MetricsRecorder(Metrics& metrics, bool tenantLabel);
	std::string name() const override { return "metrics"; }
	void afterPublish(const PublishContext& context, bool ok) override;
	bool onDeliver(DeliveryContext& context) override;
private:
	struct Series
	{
		std::string transport;
		Counter* counter = nullptr;
		Histogram* histogram = nullptr;
	};
	// topic -> tenant ("" without the tenant label) -> series
	using Cache = std::unordered_map<std::string, std::unordered_map<std::string, Series>>;

	Labels labels(const std::string& transport, const Event& event) const;
	/// The series of one (transport, topic[, tenant]), looked up in the
	/// registry once and then kept.
	std::pair<Counter*, Histogram*> series(Cache& cache, const char* counterName, const char* histogramName,
		const std::string& transport, const Event& event);
	Metrics& _metrics;
	bool _tenantLabel;
	std::mutex _mutex;
	Cache _published;
	Cache _delivered;
};

} // namespace eventbus
