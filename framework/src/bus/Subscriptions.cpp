//
// Subscriptions.cpp
//
// The subscription registry: a token per subscribe(), the channel (or the
// framework-built cross-tenant pattern) it maps to, and unsubscribe's
// promise through the subscription's gate.
//
#include "EventBusImpl.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"

namespace eventbus {

SubscriptionToken EventBus::Impl::subscribe(const std::string& topic, Handler handler, const TenantScope& scope)
{
	if (closed.load()) throw EventBusException("subscribe: the bus is closed");
	Names::validateTopic(topic);
	if (!handler) throw ValidationException("handler: must not be empty");
	auto sub = std::make_shared<Subscription>();
	sub->topic = topic;
	sub->scope = scope;
	sub->handler = std::move(handler);
	if (scope.isCrossTenant())
	{
		if (!settings.allowCrossTenant)
			throw PolicyException("cross-tenant subscription to '" + topic
				+ "' refused: eventbus.security.allowCrossTenant is false");
		sub->channel = ChannelName::crossTenantPattern(settings.prefix, settings.env, topic);
		sub->pattern = true;
	}
	else
	{
		Names::validateTenant(scope.tenantId());
		sub->channel = ChannelName::build(settings.prefix, settings.env, scope.tenantId(), topic);
	}
	sub->token = nextToken.fetch_add(1);
	Impl* self = this;
	std::weak_ptr<Subscription> weak(sub);
	sub->transportId = transport->subscribe(ChannelSubscription{sub->channel, sub->pattern},
		[self, weak](const InboundMessage& message) {
			if (SubscriptionPtr s = weak.lock()) return self->deliver(s, message);
			return DeliveryResult::rejected("unsubscribed");
		});
	{
		std::lock_guard<std::mutex> lock(mutex);
		subscriptions[sub->token] = sub;
	}
	logger.debug("subscribed %s (%s) as %s", sub->channel, scope.toString(), std::to_string(sub->token));
	return sub->token;
}

void EventBus::Impl::unsubscribe(SubscriptionToken token)
{
	SubscriptionPtr sub;
	{
		std::lock_guard<std::mutex> lock(mutex);
		auto it = subscriptions.find(token);
		if (it == subscriptions.end()) return;
		sub = it->second;
		subscriptions.erase(it);
	}
	sub->gate.close();
	try
	{
		transport->unsubscribe(sub->transportId);
	}
	catch (std::exception& exc)
	{
		// The gate already guarantees the handler is not called again.
		logger.warning("transport %s failed to unsubscribe %s: %s", transportName, sub->channel, std::string(exc.what()));
	}
}

SubscriptionToken EventBus::subscribe(const std::string& topic, Handler handler, const TenantScope& scope)
{
	return _impl->subscribe(topic, std::move(handler), scope);
}

void EventBus::unsubscribe(SubscriptionToken token)
{
	_impl->unsubscribe(token);
}

} // namespace eventbus
