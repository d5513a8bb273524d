//
// OrdersModule.cpp
//
#include "OrdersModule.h"
#include "eventbus/Exceptions.h"
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/StreamCopier.h>
#include <sstream>

namespace appserver {

namespace {

void reply(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status, const Poco::JSON::Object& body)
{
	std::ostringstream out;
	body.stringify(out);
	out << "\n";
	response.setStatusAndReason(status);
	response.setContentType("application/json");
	response.sendBuffer(out.str().data(), out.str().size());
}

Poco::JSON::Object error(const std::string& message)
{
	Poco::JSON::Object body;
	body.set("error", message);
	return body;
}

} // namespace

OrdersModule::OrdersModule(eventbus::EventPublisher& publisher, Poco::Logger& logger):
	_publisher(publisher),
	_logger(logger)
{
}

void OrdersModule::createOrder(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	using Poco::Net::HTTPResponse;
	std::string body;
	Poco::StreamCopier::copyToString(request.stream(), body);
	const std::string tenant = request.get("X-Tenant-Id", "");
	Poco::JSON::Object::Ptr order;
	try
	{
		Poco::Dynamic::Var parsed = Poco::JSON::Parser().parse(body);
		if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) order = parsed.extract<Poco::JSON::Object::Ptr>();
	}
	catch (Poco::Exception&)
	{
	}
	if (!order || !order->has("orderId"))
		return reply(response, HTTPResponse::HTTP_BAD_REQUEST, error("body: a JSON object with \"orderId\" is required"));
	try
	{
		// The bus validates the tenant id and refuses anything it would not send.
		eventbus::Receipt receipt = _publisher.publish("orders.created", order, tenant, request.get("X-Correlation-Id", ""));
		_logger.information("order %s of tenant %s published as %s", order->getValue<std::string>("orderId"), tenant,
			receipt.messageId);
		Poco::JSON::Object answer;
		answer.set("messageId", receipt.messageId);
		answer.set("channel", receipt.channel);
		answer.set("correlationId", receipt.correlationId);
		reply(response, HTTPResponse::HTTP_ACCEPTED, answer);
	}
	catch (eventbus::TransportException& exc)
	{
		reply(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, error(exc.message()));
	}
	catch (eventbus::EventBusException& exc)
	{
		reply(response, HTTPResponse::HTTP_BAD_REQUEST, error(exc.message()));
	}
}

} // namespace appserver
