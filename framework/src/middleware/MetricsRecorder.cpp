//
// MetricsRecorder.cpp
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

void MetricsRecorder::afterPublish(const PublishContext& context, bool ok)
{
	if (!ok) return;
	Labels l = labels(context.transport, context.event);
	_metrics.counter(Metrics::Published, l).increment();
	_metrics.histogram(Metrics::PublishLatency, l).observe(
		static_cast<double>(context.started.elapsed()) / 1e6);
}

bool MetricsRecorder::onDeliver(DeliveryContext& context)
{
	Labels l = labels(context.transport, context.event);
	_metrics.counter(Metrics::Delivered, l).increment();
	_metrics.histogram(Metrics::EndToEndLatency, l).observe(
		static_cast<double>(Poco::Timestamp() - context.event.time) / 1e6);
	return true;
}

} // namespace eventbus
