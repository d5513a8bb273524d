//
// OrdersModule.h
//
// The orders module: takes orders over HTTP and announces each one on the
// bus. It only publishes, so it depends on eventbus::EventPublisher alone and
// knows nothing of who reacts.
//
#pragma once

#include "eventbus/EventPublisher.h"
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace appserver {

class OrdersModule
{
public:
	OrdersModule(eventbus::EventPublisher& publisher, Poco::Logger& logger);

	/// POST /orders, header X-Tenant-Id, body a JSON object with "orderId":
	/// publishes orders.created for the tenant and answers 202 with the
	/// receipt; 400 with the reason when the bus refuses (bad tenant, topic
	/// or JSON), 503 when the transport is unavailable.
	void createOrder(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

private:
	eventbus::EventPublisher& _publisher;
	Poco::Logger& _logger;
};

} // namespace appserver
