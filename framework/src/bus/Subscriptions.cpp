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
#include <cctype>

namespace eventbus {

namespace {

// A group name reaches the server as one argument (XGROUP CREATE key group),
// never as a pattern; this keeps it printable, short and free of globs.
void validateGroup(const std::string& group)
{
	if (group.size() > 64)
		throw ValidationException("group: at most 64 characters, got " + std::to_string(group.size()));
	for (char c : group)
	{
		if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-')
			throw ValidationException("group: only A-Z a-z 0-9 . _ - are allowed");
	}
}

} // namespace

SubscriptionToken EventBus::Impl::subscribe(const std::string& topic, Handler handler, const TenantScope& scope,
	const SubscribeOptions& options)
{
	if (closed.load()) throw EventBusException("subscribe: the bus is closed");
	Names::validateTopic(topic);
	validateGroup(options.group);
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
	sub->transportId = transport->subscribe(ChannelSubscription{sub->channel, sub->pattern, options.group},
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
	return _impl->subscribe(topic, std::move(handler), scope, SubscribeOptions());
}

SubscriptionToken EventBus::subscribe(const std::string& topic, Handler handler, const TenantScope& scope,
	const SubscribeOptions& options)
{
	return _impl->subscribe(topic, std::move(handler), scope, options);
}

void EventBus::unsubscribe(SubscriptionToken token)
{
	_impl->unsubscribe(token);
}

} // namespace eventbus
