//
// OperationsEndpoints.h
//
// The HTTP side of `eventbus serve`: liveness, readiness and Prometheus metrics.
//
#pragma once

#include "eventbus/EventBus.h"
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Timestamp.h>
#include <string>

namespace eventbus {

/// What /metrics says about the process besides the bus's own series.
struct ServeInfo
{
	Poco::Timestamp startTime;  ///< eventbus_process_start_time_seconds
	std::string transport;      ///< eventbus_plugin_info{transport}
	std::string pluginFile;     ///< eventbus_plugin_info{file}: the .so that provides it
	int apiVersion = EVENTBUS_PLUGIN_API_VERSION; ///< eventbus_plugin_info{api_version}
};

/// One answer of an endpoint.
struct OperationsResponse
{
	int status = 200;
	std::string contentType;
	std::string body;
};

/// Routes the operations endpoints:
///   GET /health/live   200 while the process runs
///   GET /health/ready  200 when the transport is ready, else 503; JSON
///                      {"ready":..,"transport":..,"reason":..} either way
///   GET /metrics       Prometheus text exposition format 0.0.4
/// Another path is 404; another method on one of these paths is 405.
/// Responses are never cached and carry no payload value of any event.
class OperationsEndpoints: public Poco::Net::HTTPRequestHandlerFactory
{
public:
	/// The bus must outlive the HTTP server that uses this factory.
	OperationsEndpoints(EventBus& bus, ServeInfo info);

	Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override;

	/// The answer to `method` on `path` (the query is ignored).
	OperationsResponse respond(const std::string& method, const std::string& path);

	/// The /metrics body: the bus's series, then the process start time, the
	/// transport readiness and the plugin info gauges.
	std::string metricsText();

private:
	OperationsResponse readiness();

	EventBus& _bus;
	ServeInfo _info;
};

} // namespace eventbus
