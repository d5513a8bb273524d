//
// Middleware.h
//
// One link of the chain every event passes on publish (before the transport)
// and on delivery (after the transport, before the handler).
//
#pragma once

#include "eventbus/Event.h"
#include "eventbus/TenantScope.h"
#include <Poco/Timestamp.h>
#include <memory>
#include <string>

namespace eventbus {

/// What a middleware sees on publish. It may modify the event (redaction
/// in payload mode does); it refuses by throwing ValidationException or
/// PolicyException.
struct PublishContext
{
	Event& event;
	std::string channel;
	std::string transport;
	Poco::Timestamp started;
};

/// What a middleware sees on delivery. The event is shared with other
/// subscribers and must not be modified.
struct DeliveryContext
{
	const Event& event;
	const std::string& channel;          ///< the concrete channel it arrived on
	const std::string& subscribedTopic;
	const TenantScope& scope;
	std::uint64_t subscription;          ///< the subscription token
	std::string transport;
	std::string dropReason;              ///< set by the middleware that drops
};

class Middleware
{
public:
	virtual ~Middleware();
	/// The name used in eventbus.middleware.
	virtual std::string name() const = 0;
	/// Called in chain order before the transport publishes.
	virtual void onPublish(PublishContext& context);
	/// Called in chain order after the transport accepted (ok) or refused the event.
	virtual void afterPublish(const PublishContext& context, bool ok);
	/// Called in chain order on delivery; return false (and set dropReason) to drop.
	virtual bool onDeliver(DeliveryContext& context);
	/// Called after the handler returned (threw = true if it threw).
	virtual void afterDeliver(const DeliveryContext& context, bool threw);
};

using MiddlewarePtr = std::shared_ptr<Middleware>;

} // namespace eventbus
