//
// Redaction.cpp
//
// The redaction middleware: counts sensitive values, masks them on the wire
// in payload mode, and logs every event at debug level masked and escaped.
//
#include "eventbus/middleware/Redaction.h"
#include "eventbus/SafeText.h"

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
	// Most events carry nothing sensitive: count in place, and copy only when
	// a value must be masked in the event (payload mode) or in the debug line.
	const std::size_t sensitive = _redactor.countSensitive(context.event.data);
	if (sensitive > 0)
	{
		_redactions.increment(sensitive);
		if (_mode == RedactionMode::Payload)
			context.event.data = _redactor.redactCopy(context.event.data);
	}
	if (_logger.debug())
	{
		// toJson also masks secrets inside string values (escaped JSON, key=value).
		_logger.debug("publish %s id=%s tenant=%s data=%s", SafeText::escape(context.channel), SafeText::escape(context.event.id),
			SafeText::escape(context.event.tenantId), _redactor.toJson(context.event.data));
	}
}

bool Redaction::onDeliver(DeliveryContext& context)
{
	if (_logger.debug())
	{
		_logger.debug("deliver %s id=%s subscription=%s data=%s", SafeText::escape(context.channel), SafeText::escape(context.event.id),
			std::to_string(context.subscription), _redactor.toJson(context.event.data));
	}
	return true;
}

} // namespace eventbus
