//
// Redaction.cpp
//
#include "eventbus/middleware/Redaction.h"

namespace eventbus {

namespace {

// The number of values Redactor::redactCopy would mask (a sensitive key's
// value is masked whole, so it is not descended into), without copying.
std::size_t countSensitive(const Redactor& redactor, const Poco::JSON::Object& object);

std::size_t countSensitive(const Redactor& redactor, const Poco::Dynamic::Var& value)
{
	// Most values are scalars: ask the holder before comparing type_infos
	// (a comparison that fails costs a strcmp of the mangled names).
	if (value.isString() || value.isNumeric() || value.isEmpty()) return 0;
	if (value.type() == typeid(Poco::JSON::Object::Ptr))
	{
		const Poco::JSON::Object::Ptr& object = value.extract<Poco::JSON::Object::Ptr>();
		return object.isNull() ? 0 : countSensitive(redactor, *object);
	}
	std::size_t count = 0;
	if (value.type() == typeid(Poco::JSON::Array::Ptr))
	{
		const Poco::JSON::Array::Ptr& array = value.extract<Poco::JSON::Array::Ptr>();
		if (array.isNull()) return 0;
		for (const auto& element : *array)
			count += countSensitive(redactor, element);
	}
	return count;
}

std::size_t countSensitive(const Redactor& redactor, const Poco::JSON::Object& object)
{
	std::size_t count = 0;
	for (const auto& member : object)
	{
		if (redactor.isSensitive(member.first)) ++count;
		else count += countSensitive(redactor, member.second);
	}
	return count;
}

} // namespace

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
	const std::size_t sensitive = context.event.data ? countSensitive(_redactor, *context.event.data) : 0;
	if (sensitive > 0)
	{
		_redactions.increment(sensitive);
		if (_mode == RedactionMode::Payload)
			context.event.data = _redactor.redactCopy(context.event.data);
	}
	if (_logger.debug())
	{
		// toJson also masks secrets inside string values (escaped JSON, key=value).
		_logger.debug("publish %s id=%s tenant=%s data=%s", context.channel, context.event.id,
			context.event.tenantId, _redactor.toJson(context.event.data));
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
