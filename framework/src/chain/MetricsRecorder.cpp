//
// MetricsRecorder.cpp
//
// Counts and latencies on publish and delivery, labelled with safe metadata.
//
#include "eventbus/middleware/MetricsRecorder.h"

namespace eventbus {

MetricsRecorder::MetricsRecorder(Metrics& metrics, bool tenantLabel):
	_metrics(metrics),
	_tenantLabel(tenantLabel)
{
}

Labels MetricsRecorder::labels(const std::string& transport, const Event& event) const
{
	Labels result{{"transport", transport}, {"topic", event.type}};
	if (_tenantLabel) result.emplace_back("tenant", event.tenantId);
	return result;
}

std::pair<Counter*, Histogram*> MetricsRecorder::series(Cache& cache, const char* counterName,
	const char* histogramName, const std::string& transport, const Event& event)
{
	// Every event passes here: a registry lookup builds and sorts labels and
	// a key string under the registry's lock; this is two hash lookups
	// without allocating, once a series is known.
	static const std::string noTenant;
	const std::string& tenant = _tenantLabel ? event.tenantId : noTenant;
	std::lock_guard<std::mutex> lock(_mutex);
	auto byTopic = cache.find(event.type);
	if (byTopic != cache.end())
	{
		auto known = byTopic->second.find(tenant);
		if (known != byTopic->second.end() && known->second.transport == transport)
			return {known->second.counter, known->second.histogram};
	}
	Labels l = labels(transport, event);
	Series& s = cache[event.type][tenant];
	s.transport = transport;
	s.counter = &_metrics.counter(counterName, l);
	s.histogram = &_metrics.histogram(histogramName, l);
	return {s.counter, s.histogram};
}

void MetricsRecorder::afterPublish(const PublishContext& context, bool ok)
{
	if (!ok) return;
	auto s = series(_published, Metrics::Published, Metrics::PublishLatency, context.transport, context.event);
	s.first->increment();
	s.second->observe(static_cast<double>(context.started.elapsed()) / 1e6);
}

bool MetricsRecorder::onDeliver(DeliveryContext& context)
{
	auto s = series(_delivered, Metrics::Delivered, Metrics::EndToEndLatency, context.transport, context.event);
	s.first->increment();
	s.second->observe(static_cast<double>(Poco::Timestamp() - context.event.time) / 1e6);
	return true;
}

} // namespace eventbus
