//
// FulfilmentModule.h
//
// The fulfilment module: reacts to orders.created of each tenant it serves.
// It never calls the orders module; the bus is the only way in.
//
#pragma once

#include "eventbus/EventBus.h"
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace appserver {

class FulfilmentModule
{
public:
	/// Subscribes to orders.created of every tenant in `tenants`.
	FulfilmentModule(eventbus::EventBus& bus, const std::vector<std::string>& tenants, Poco::Logger& logger);
	/// Unsubscribes; no handler runs after it returns.
	~FulfilmentModule();

	FulfilmentModule(const FulfilmentModule&) = delete;
	FulfilmentModule& operator=(const FulfilmentModule&) = delete;

	/// GET /orders/handled?tenant=T: {"tenant":T,"handled":N,"orders":[ids]}.
	void listHandled(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

private:
	void onOrderCreated(const eventbus::Event& event);

	eventbus::EventBus& _bus;
	Poco::Logger& _logger;
	std::vector<eventbus::SubscriptionToken> _tokens;
	std::mutex _mutex;
	std::map<std::string, std::vector<std::string>> _handled; // tenant -> order ids
};

} // namespace appserver
