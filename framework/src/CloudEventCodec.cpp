//
// CloudEventCodec.cpp
//
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSONString.h>
#include <sstream>

namespace eventbus {

namespace {

const std::size_t MaxJsonDepth = 64;

// The attributes the codec owns; anything else is an extension.
bool isCoreAttribute(const std::string& name)
{
	return name == "specversion" || name == "id" || name == "source" || name == "type" || name == "time"
		|| name == "datacontenttype" || name == "data" || name == "tenantid" || name == "correlationid";
}

// CloudEvents extension names: lower-case letters and digits, at most 20.
bool isValidExtensionName(const std::string& name)
{
	if (name.empty() || name.size() > 20) return false;
	for (char c : name)
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
	return true;
}

void appendAttribute(std::string& out, const char* name, const std::string& value)
{
	out.append(1, '"').append(name).append("\":");
	out.append(Poco::toJSON(value, Poco::JSON_WRAP_STRINGS));
	out.append(1, ',');
}

std::string requireString(const Poco::JSON::Object& object, const std::string& name, bool allowEmpty = false)
{
	if (!object.has(name))
		throw ValidationException("envelope: missing attribute '" + name + "'");
	const Poco::Dynamic::Var& value = object.get(name);
	if (!value.isString())
		throw ValidationException("envelope: attribute '" + name + "' must be a string");
	std::string s = value.extract<std::string>();
	if (s.empty() && !allowEmpty)
		throw ValidationException("envelope: attribute '" + name + "' must not be empty");
	return s;
}

} // namespace

std::string CloudEventCodec::formatTime(const Poco::Timestamp& ts)
{
	return Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%S.%FZ");
}

std::string CloudEventCodec::encode(const Event& event)
{
	std::ostringstream data;
	if (event.data)
		event.data->stringify(data);
	else
		data << "{}";
	return encode(event, data.str());
}

std::string CloudEventCodec::encode(const Event& event, const std::string& dataJson)
{
	std::string out;
	out.reserve(dataJson.size() + 256 + event.source.size() + event.type.size());
	out.append(1, '{');
	appendAttribute(out, "specversion", SpecVersion);
	appendAttribute(out, "id", event.id);
	appendAttribute(out, "source", event.source);
	appendAttribute(out, "type", event.type);
	appendAttribute(out, "time", formatTime(event.time));
	appendAttribute(out, "datacontenttype", event.dataContentType);
	appendAttribute(out, "tenantid", event.tenantId);
	appendAttribute(out, "correlationid", event.correlationId);
	for (const auto& ext : event.extensions)
	{
		if (isCoreAttribute(ext.first) || !isValidExtensionName(ext.first)) continue;
		appendAttribute(out, ext.first.c_str(), ext.second);
	}
	out.append("\"data\":").append(dataJson).append(1, '}');
	return out;
}

Event CloudEventCodec::decode(const std::string& wire, std::size_t maxBytes)
{
	if (wire.size() > maxBytes)
		throw ValidationException("envelope: " + std::to_string(wire.size()) + " bytes exceeds the limit of "
			+ std::to_string(maxBytes));

	Poco::Dynamic::Var parsed;
	try
	{
		Poco::JSON::Parser parser;
		parser.setDepth(MaxJsonDepth);
		parsed = parser.parse(wire);
	}
	catch (Poco::Exception& exc)
	{
		// Never echo the bytes: they may carry secrets. Poco's message names the position only.
		throw ValidationException("envelope: not valid JSON");
	}
	if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
		throw ValidationException("envelope: not a JSON object");
	Poco::JSON::Object::Ptr object = parsed.extract<Poco::JSON::Object::Ptr>();
	if (!object)
		throw ValidationException("envelope: not a JSON object");

	if (requireString(*object, "specversion") != SpecVersion)
		throw ValidationException("envelope: attribute 'specversion' must be \"1.0\"");

	Event event;
	event.id = requireString(*object, "id");
	if (event.id.size() > 256)
		throw ValidationException("envelope: attribute 'id' is longer than 256 characters");
	event.source = requireString(*object, "source");
	if (event.source.size() > 1024)
		throw ValidationException("envelope: attribute 'source' is longer than 1024 characters");
	event.type = requireString(*object, "type");
	if (!Names::isValidTopic(event.type))
		throw ValidationException("envelope: attribute 'type' is not a valid topic");
	event.tenantId = requireString(*object, "tenantid");
	if (!Names::isValidTenant(event.tenantId))
		throw ValidationException("envelope: attribute 'tenantid' is not a valid tenant id");
	if (object->has("correlationid"))
	{
		event.correlationId = requireString(*object, "correlationid", true);
		if (event.correlationId.size() > 256)
			throw ValidationException("envelope: attribute 'correlationid' is longer than 256 characters");
	}
	if (object->has("datacontenttype"))
	{
		event.dataContentType = requireString(*object, "datacontenttype");
		if (event.dataContentType != "application/json")
			throw ValidationException("envelope: attribute 'datacontenttype' must be application/json");
	}

	std::string time = requireString(*object, "time");
	Poco::DateTime dateTime;
	int tzd = 0;
	if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, time, dateTime, tzd))
		throw ValidationException("envelope: attribute 'time' is not an RFC 3339 timestamp");
	dateTime.makeUTC(tzd);
	// Before the epoch or past 9999 a timestamp does not survive a round
	// trip (found by fuzzing); no event of this bus has such a time.
	if (dateTime.year() < 1970 || dateTime.year() > 9999)
		throw ValidationException("envelope: attribute 'time' is out of range (1970-9999)");
	event.time = dateTime.timestamp();

	if (!object->has("data"))
		throw ValidationException("envelope: missing attribute 'data'");
	Poco::Dynamic::Var data = object->get("data");
	if (data.type() != typeid(Poco::JSON::Object::Ptr) || data.extract<Poco::JSON::Object::Ptr>().isNull())
		throw ValidationException("envelope: attribute 'data' must be a JSON object");
	event.data = data.extract<Poco::JSON::Object::Ptr>();

	std::size_t extensions = 0;
	for (const auto& member : *object)
	{
		if (isCoreAttribute(member.first)) continue;
		if (++extensions > MaxExtensions)
			throw ValidationException("envelope: more than " + std::to_string(MaxExtensions) + " extension attributes");
		if (!isValidExtensionName(member.first))
			throw ValidationException("envelope: extension attribute names must be 1-20 lower-case letters or digits");
		if (!member.second.isString())
			throw ValidationException("envelope: extension attribute '" + member.first + "' must be a string");
		std::string value = member.second.extract<std::string>();
		if (value.size() > 4096)
			throw ValidationException("envelope: extension attribute '" + member.first + "' is longer than 4096 characters");
		event.extensions.emplace(member.first, std::move(value));
	}
	return event;
}

} // namespace eventbus
