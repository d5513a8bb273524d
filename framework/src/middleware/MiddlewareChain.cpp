//
// MiddlewareChain.cpp
//
#include "eventbus/middleware/MiddlewareChain.h"
#include "eventbus/Exceptions.h"
#include "eventbus/middleware/Idempotency.h"
#include "eventbus/middleware/MetricsRecorder.h"
#include "eventbus/middleware/Redaction.h"
#include "eventbus/middleware/TenantGuard.h"
#include <set>

namespace eventbus {

std::vector<MiddlewarePtr> buildMiddlewareChain(const BusSettings& settings, const Redactor& redactor,
	Metrics& metrics, Poco::Logger& logger)
{
	std::vector<MiddlewarePtr> chain;
	std::set<std::string> seen;
	for (const auto& name : settings.middleware)
	{
		if (!seen.insert(name).second)
			throw ConfigException("eventbus.middleware: '" + name + "' is listed twice");
		if (name == "tenant-guard")
			chain.push_back(std::make_shared<TenantGuard>(settings.prefix, settings.env));
		else if (name == "redaction")
			chain.push_back(std::make_shared<Redaction>(redactor, settings.redactionMode, metrics, logger));
		else if (name == "idempotency")
			chain.push_back(std::make_shared<Idempotency>(settings.idempotencyMaxEntries,
				settings.idempotencyWindowSeconds, settings.maxEventAgeSeconds, settings.maxClockSkewSeconds, metrics));
		else if (name == "metrics")
			chain.push_back(std::make_shared<MetricsRecorder>(metrics, settings.metricsTenantLabel));
		else
			throw ConfigException("eventbus.middleware: unknown middleware '" + name
				+ "' (built-ins: tenant-guard, redaction, idempotency, metrics)");
	}
	return chain;
}

} // namespace eventbus
