//
// MetricCatalog.cpp
//
// The framework's metric families, each declared once with its help text.
// A plugin declares its own through Metrics::describe().
//
#include "eventbus/Metrics.h"

namespace eventbus {

Metrics::Metrics()
{
	static const struct
	{
		const char* name;
		const char* help;
	} catalog[] = {
		{Published, "Events accepted by the transport."},
		{PublishFailed, "Publishes refused or failed, by reason."},
		{Delivered, "Events handed to a handler."},
		{Dropped, "Events dropped before a handler, by reason."},
		{Duplicates, "Deliveries dropped as duplicates."},
		{HandlerErrors, "Handlers that threw."},
		{Redactions, "Sensitive values masked."},
		{Reconnects, "Transport reconnects."},
		{PublishLatency, "Time from publish call to transport acceptance."},
		{EndToEndLatency, "Time from event time to handler start."},
	};
	for (const auto& family : catalog) _help[family.name] = family.help;
}

} // namespace eventbus
