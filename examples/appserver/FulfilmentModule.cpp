//
// FulfilmentModule.cpp
//
#include "FulfilmentModule.h"
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/URI.h>
#include <sstream>

namespace appserver {

FulfilmentModule::FulfilmentModule(eventbus::EventBus& bus, const std::vector<std::string>& tenants, Poco::Logger& logger):
	_bus(bus),
	_logger(logger)
{
	for (const auto& tenant : tenants)
	{
		_tokens.push_back(_bus.subscribe("orders.created",
			[this](const eventbus::Event& event) { onOrderCreated(event); },
			eventbus::TenantScope::tenant(tenant)));
		_logger.information("fulfilment listens to orders.created of tenant %s", tenant);
	}
}

FulfilmentModule::~FulfilmentModule()
{
	for (auto token : _tokens) _bus.unsubscribe(token);
}

void FulfilmentModule::onOrderCreated(const eventbus::Event& event)
{
	const std::string orderId = event.data->optValue<std::string>("orderId", "?");
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_handled[event.tenantId].push_back(orderId);
	}
	_logger.information("order %s handled for tenant %s (event %s, correlation %s)", orderId, event.tenantId, event.id,
		event.correlationId);
}

void FulfilmentModule::listHandled(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response)
{
	std::string tenant;
	for (const auto& parameter : Poco::URI(request.getURI()).getQueryParameters())
		if (parameter.first == "tenant") tenant = parameter.second;
	Poco::JSON::Array::Ptr orders(new Poco::JSON::Array);
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _handled.find(tenant);
		if (it != _handled.end())
			for (const auto& id : it->second) orders->add(id);
	}
	Poco::JSON::Object body;
	body.set("tenant", tenant);
	body.set("handled", static_cast<int>(orders->size()));
	body.set("orders", orders);
	std::ostringstream out;
	body.stringify(out);
	out << "\n";
	response.setContentType("application/json");
	response.sendBuffer(out.str().data(), out.str().size());
}

} // namespace appserver
