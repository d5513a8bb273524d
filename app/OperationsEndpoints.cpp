//
// OperationsEndpoints.cpp
//
// The routes of `serve`: /health/live, /health/ready and /metrics.
//
#include "OperationsEndpoints.h"
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <iomanip>
#include <sstream>

namespace eventbus {

namespace {

const char* const PrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
const char* const JsonContentType = "application/json";

class ResponseHandler: public Poco::Net::HTTPRequestHandler
{
public:
	explicit ResponseHandler(OperationsEndpoints& endpoints): _endpoints(endpoints) {}

	void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override
	{
		OperationsResponse answer{400, "text/plain", "bad request target\n"};
		try
		{
			answer = _endpoints.respond(request.getMethod(), Poco::URI(request.getURI()).getPath());
		}
		catch (Poco::SyntaxException&)
		{
			// A target that is not a URI keeps the 400.
		}
		response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
		response.setContentType(answer.contentType);
		response.set("Cache-Control", "no-store");
		if (answer.status == Poco::Net::HTTPResponse::HTTP_METHOD_NOT_ALLOWED) response.set("Allow", "GET");
		response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
		response.send() << answer.body;
	}

private:
	OperationsEndpoints& _endpoints;
};

} // namespace

OperationsEndpoints::OperationsEndpoints(EventBus& bus, ServeInfo info): _bus(bus), _info(std::move(info))
{
}

Poco::Net::HTTPRequestHandler* OperationsEndpoints::createRequestHandler(const Poco::Net::HTTPServerRequest&)
{
	return new ResponseHandler(*this);
}

OperationsResponse OperationsEndpoints::respond(const std::string& method, const std::string& path)
{
	const bool known = path == "/health/live" || path == "/health/ready" || path == "/metrics";
	if (!known) return OperationsResponse{404, "text/plain", "not found: GET /health/live, /health/ready or /metrics\n"};
	if (method != "GET") return OperationsResponse{405, "text/plain", "method not allowed: only GET\n"};
	if (path == "/health/live") return OperationsResponse{200, JsonContentType, "{\"live\":true}\n"};
	if (path == "/health/ready") return readiness();
	return OperationsResponse{200, PrometheusContentType, metricsText()};
}

OperationsResponse OperationsEndpoints::readiness()
{
	TransportHealth health = _bus.health();
	Poco::JSON::Object body;
	body.set("ready", health.ready);
	body.set("transport", _info.transport);
	body.set("reason", health.reason);
	std::ostringstream out;
	body.stringify(out);
	out << "\n";
	return OperationsResponse{health.ready ? 200 : 503, JsonContentType, out.str()};
}

std::string OperationsEndpoints::metricsText()
{
	std::ostringstream out;
	out << _bus.metrics().toPrometheus();
	out << "# HELP eventbus_process_start_time_seconds Start time of the process since the Unix epoch.\n"
	    << "# TYPE eventbus_process_start_time_seconds gauge\n"
	    << "eventbus_process_start_time_seconds " << std::fixed << std::setprecision(3)
	    << static_cast<double>(_info.startTime.epochMicroseconds()) / 1e6 << "\n";
	const std::string transport = Metrics::escapeLabelValue(_info.transport);
	out << "# HELP eventbus_transport_ready 1 when the transport is ready (as /health/ready), else 0.\n"
	    << "# TYPE eventbus_transport_ready gauge\n"
	    << "eventbus_transport_ready{transport=\"" << transport << "\"} " << (_bus.health().ready ? 1 : 0) << "\n";
	out << "# HELP eventbus_plugin_info The transport plugin this process loaded.\n"
	    << "# TYPE eventbus_plugin_info gauge\n"
	    << "eventbus_plugin_info{transport=\"" << transport << "\",file=\"" << Metrics::escapeLabelValue(_info.pluginFile)
	    << "\",api_version=\"" << _info.apiVersion << "\"} 1\n";
	return out.str();
}

} // namespace eventbus
