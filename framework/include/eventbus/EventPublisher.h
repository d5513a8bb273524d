//
// EventPublisher.h
//
// The publish-only interface, for code that only publishes.
//
#pragma once

#include "eventbus/Event.h"
#include <Poco/JSON/Object.h>
#include <string>

namespace eventbus {

/// The publish-only side of the bus, for code that only publishes.
class EventPublisher
{
public:
	virtual ~EventPublisher();

	/// Publishes `payload` (a JSON object) on the tenant's channel of the topic.
	/// Refuses, before anything is sent, an invalid topic or tenant id or a
	/// payload over eventbus.maxPayloadBytes (ValidationException naming the
	/// field), and an outage (TransportException). An empty correlation id is
	/// replaced by a fresh UUID; the message id is always a fresh UUID.
	virtual Receipt publish(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
		const std::string& tenantId, const std::string& correlationId = "") = 0;

	/// The same with the payload as JSON text, which must be one JSON object.
	virtual Receipt publish(const std::string& topic, const std::string& payloadJson,
		const std::string& tenantId, const std::string& correlationId = "") = 0;
};

} // namespace eventbus
