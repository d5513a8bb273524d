//
// MiddlewareChain.h
//
#pragma once

#include "eventbus/BusSettings.h"
#include "eventbus/Metrics.h"
#include "eventbus/Middleware.h"
#include "eventbus/Redactor.h"
#include <Poco/Logger.h>
#include <vector>

namespace eventbus {

/// Builds the ordered chain named by eventbus.middleware from the built-ins:
/// tenant-guard, redaction, idempotency, metrics. Throws ConfigException for
/// an unknown or repeated name.
std::vector<MiddlewarePtr> buildMiddlewareChain(const BusSettings& settings, const Redactor& redactor,
	Metrics& metrics, Poco::Logger& logger);

} // namespace eventbus
