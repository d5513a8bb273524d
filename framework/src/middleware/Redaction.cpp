//
// Redaction.cpp
//
#include "eventbus/middleware/Redaction.h"
#include <sstream>

namespace eventbus {

Redaction::Redaction(const Redactor& redactor, RedactionMode mode, Metrics& metrics, Poco::Logger& logger):
	_redactor(redactor),
	_mode(mode),
	_redactions(metrics.counter(Metrics::Redactions)),
	_logger(logger)
{
}

void Redaction::onPublish(PublishContext& context)
{
	std::size_t masked = 0;
	Poco::JSON::Object::Ptr redacted = _redactor.redactCopy(context.event.data, &masked);
	if (masked > 0)
	{
		_redactions.increment(masked);
		if (_mode == RedactionMode::Payload)
			context.event.data = redacted;
	}
	if (_logger.debug())
	{
		std::ostringstream out;
		redacted->stringify(out);
		_logger.debug("publish %s id=%s tenant=%s data=%s", context.channel, context.event.id,
			context.event.tenantId, out.str());
	}
}

bool Redaction::onDeliver(DeliveryContext& context)
{
	if (_logger.debug())
	{
		_logger.debug("deliver %s id=%s subscription=%s data=%s", context.channel, context.event.id,
			std::to_string(context.subscription), _redactor.toJson(context.event.data));
	}
	return true;
}

} // namespace eventbus
