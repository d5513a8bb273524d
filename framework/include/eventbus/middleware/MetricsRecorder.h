//
// MetricsRecorder.h
//
#pragma once

#include "eventbus/Metrics.h"
#include "eventbus/Middleware.h"

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
	Labels labels(const std::string& transport, const Event& event) const;
	Metrics& _metrics;
	bool _tenantLabel;
};

} // namespace eventbus
