//
// CloudEventDecoding.cpp
//
// CloudEventCodec's decoding side: an envelope's bytes to an Event (the fast
// EnvelopeReader first, Poco's parser for the rest, one rule set for both),
// and payload text to a data object.
//
#include "eventbus/CloudEventCodec.h"
#include "CloudEventAttributes.h"
#include "CloudEventTime.h"
#include "EnvelopeReader.h"
#include "JsonNumbers.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/Redactor.h"
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Parser.h>

namespace eventbus {

using namespace codec;

namespace {

// The attributes of an envelope Poco's parser read: any JSON value.
class ParsedAttributes
{
public:
	explicit ParsedAttributes(const Poco::JSON::Object& object): _object(object) {}

	bool has(const char* name) const { return _object.has(name); }

	std::string requireString(const char* name, bool allowEmpty = false) const
	{
		if (!_object.has(name))
			throw ValidationException("envelope: missing attribute '" + std::string(name) + "'");
		const Poco::Dynamic::Var& value = _object.get(name);
		if (!value.isString())
			throw ValidationException("envelope: attribute '" + std::string(name) + "' must be a string");
		std::string s = value.extract<std::string>();
		if (s.empty() && !allowEmpty)
			throw ValidationException("envelope: attribute '" + std::string(name) + "' must not be empty");
		return s;
	}

	Poco::JSON::Object::Ptr data() const
	{
		if (!_object.has("data"))
			throw ValidationException("envelope: missing attribute 'data'");
		Poco::Dynamic::Var data = _object.get("data");
		if (data.type() != typeid(Poco::JSON::Object::Ptr) || data.extract<Poco::JSON::Object::Ptr>().isNull())
			throw ValidationException("envelope: attribute 'data' must be a JSON object");
		return data.extract<Poco::JSON::Object::Ptr>();
	}

	// Every member in name order; `value` is null for a member that is not a string.
	template <typename Visit>
	void members(Visit visit) const
	{
		for (const auto& member : _object)
		{
			if (member.second.isString()) visit(member.first, &member.second.extract<std::string>());
			else visit(member.first, static_cast<const std::string*>(nullptr));
		}
	}

private:
	const Poco::JSON::Object& _object;
};

// The attributes of an envelope the EnvelopeReader read: strings and an
// object as data, by construction; the same answers as ParsedAttributes.
// Data the reader checked without building it is handed over as its text
// (the event parses it on first use). The core attributes are found in one
// walk of the envelope's list; a string required is moved out of it:
// eventOf asks for each attribute once, and skips these among the members
// it visits after.
class ReadAttributes
{
public:
	ReadAttributes(EnvelopeReader::Envelope& envelope, const std::string& text): _envelope(envelope), _text(text)
	{
		for (auto& attribute : envelope.attributes)
		{
			const int index = coreAttributeIndex(attribute.first);
			if (index >= 0) _core[index] = &attribute.second;
		}
	}

	bool has(const char* name) const
	{
		return std::string_view(name) == "data" ? _envelope.hasData : core(name) != nullptr;
	}

	std::string requireString(const char* name, bool allowEmpty = false) const
	{
		std::string* value = core(name);
		if (!value)
			throw ValidationException("envelope: missing attribute '" + std::string(name) + "'");
		if (value->empty() && !allowEmpty)
			throw ValidationException("envelope: attribute '" + std::string(name) + "' must not be empty");
		return std::move(*value);
	}

	EventData data() const
	{
		if (!_envelope.hasData)
			throw ValidationException("envelope: missing attribute 'data'");
		if (!_envelope.data.isNull()) return _envelope.data;
		return EventData::fromJson(_text.substr(_envelope.dataBegin, _envelope.dataEnd - _envelope.dataBegin));
	}

	template <typename Visit>
	void members(Visit visit) const
	{
		for (const auto& attribute : _envelope.attributes) visit(attribute.first, &attribute.second);
	}

private:
	// Only ever asked for a core attribute's name.
	std::string* core(const char* name) const
	{
		const int index = coreAttributeIndex(name);
		return index >= 0 ? _core[index] : nullptr;
	}

	EnvelopeReader::Envelope& _envelope;
	const std::string& _text;
	std::string* _core[CoreAttributeCount] = {};
};

// The attributes log lines print (the id in drop and handler-error lines,
// the correlation id and source in a handler's own logs) carry no control
// character: this bus never sends one there (ids are UUIDs, correlation ids
// printable ASCII), and a forged one could start a new log line.
void refuseControlCharacters(const char* name, const std::string& value)
{
	// Every byte tested, no branch per byte (the compiler runs it in vector
	// lanes): these attributes are mostly 36-character ids.
	unsigned bad = 0;
	for (char c : value)
	{
		const auto b = static_cast<unsigned char>(c);
		bad |= static_cast<unsigned>(b < 0x20) | static_cast<unsigned>(b == 0x7f);
	}
	if (bad) throw ValidationException("envelope: attribute '" + std::string(name) + "' holds a control character");
}

// Validates an envelope's attributes and builds the event: one rule set for
// both readers, so they accept and refuse alike.
template <typename Attributes>
Event eventOf(const Attributes& attributes)
{
	if (attributes.requireString("specversion") != CloudEventCodec::SpecVersion)
		throw ValidationException("envelope: attribute 'specversion' must be \"1.0\"");

	Event event;
	event.id = attributes.requireString("id");
	if (event.id.size() > 256)
		throw ValidationException("envelope: attribute 'id' is longer than 256 characters");
	refuseControlCharacters("id", event.id);
	event.source = attributes.requireString("source");
	if (event.source.size() > 1024)
		throw ValidationException("envelope: attribute 'source' is longer than 1024 characters");
	refuseControlCharacters("source", event.source);
	event.type = attributes.requireString("type");
	if (!Names::isValidTopic(event.type))
		throw ValidationException("envelope: attribute 'type' is not a valid topic");
	event.tenantId = attributes.requireString("tenantid");
	if (!Names::isValidTenant(event.tenantId))
		throw ValidationException("envelope: attribute 'tenantid' is not a valid tenant id");
	if (attributes.has("correlationid"))
	{
		event.correlationId = attributes.requireString("correlationid", true);
		if (event.correlationId.size() > 256)
			throw ValidationException("envelope: attribute 'correlationid' is longer than 256 characters");
		refuseControlCharacters("correlationid", event.correlationId);
	}
	if (attributes.has("datacontenttype"))
	{
		event.dataContentType = attributes.requireString("datacontenttype");
		if (event.dataContentType != "application/json")
			throw ValidationException("envelope: attribute 'datacontenttype' must be application/json");
	}

	const std::string time = attributes.requireString("time");
	if (!parseCanonicalTimestamp(time, event.time))
	{
		Poco::DateTime dateTime;
		int tzd = 0;
		if (!parseCanonicalTime(time, dateTime)
			&& !Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, time, dateTime, tzd))
			throw ValidationException("envelope: attribute 'time' is not an RFC 3339 timestamp");
		dateTime.makeUTC(tzd);
		// Before the epoch or past 9999 a timestamp does not survive a round
		// trip (found by fuzzing); no event of this bus has such a time.
		if (dateTime.year() < 1970 || dateTime.year() > 9999)
			throw ValidationException("envelope: attribute 'time' is out of range (1970-9999)");
		event.time = dateTime.timestamp();
	}

	event.data = attributes.data();

	std::size_t extensions = 0;
	attributes.members([&](const std::string& name, const std::string* value) {
		if (isCoreAttribute(name)) return;
		if (++extensions > CloudEventCodec::MaxExtensions)
			throw ValidationException("envelope: more than " + std::to_string(CloudEventCodec::MaxExtensions) + " extension attributes");
		if (!isValidExtensionName(name))
			throw ValidationException("envelope: extension attribute names must be 1-20 lower-case letters or digits");
		if (!value)
			throw ValidationException("envelope: extension attribute '" + name + "' must be a string");
		if (value->size() > 4096)
			throw ValidationException("envelope: extension attribute '" + name + "' is longer than 4096 characters");
		event.extensions.emplace(name, *value);
	});
	return event;
}

// Refuses, naming it, a number in `text` Poco's parser would not have read
// as its value.
void refuseChangedNumbers(const std::string& text, const std::string& field)
{
	const std::string problem = JsonNumbers::firstProblem(text);
	if (!problem.empty()) throw ValidationException(field + problem);
}

// What the fast reader declined, by Poco's parser; a syntax error that is a
// number out of range says so. Messages never echo the text: it may carry
// secrets.
Poco::JSON::Object::Ptr parseObject(const std::string& text, const std::string& field, const char* notAnObject)
{
	Poco::Dynamic::Var parsed;
	try
	{
		Poco::JSON::Parser parser;
		parser.setDepth(MaxJsonDepth);
		parsed = parser.parse(text);
	}
	catch (Poco::Exception&)
	{
		refuseChangedNumbers(text, field);
		// Valid JSON that is not an object ("x", 1, null: Poco refuses a
		// bare scalar) is told apart from text that is not JSON at all.
		bool scalar = false;
		try
		{
			Poco::JSON::Parser probe;
			probe.setDepth(MaxJsonDepth);
			scalar = !probe.parse("[" + text + "]").isEmpty();
		}
		catch (Poco::Exception&)
		{
		}
		throw ValidationException(scalar ? std::string(notAnObject) : field + "not valid JSON");
	}
	if (parsed.type() != typeid(Poco::JSON::Object::Ptr) || parsed.extract<Poco::JSON::Object::Ptr>().isNull())
		throw ValidationException(notAnObject);
	return parsed.extract<Poco::JSON::Object::Ptr>();
}

} // namespace

Event CloudEventCodec::decode(const std::string& wire, std::size_t maxBytes)
{
	std::string receivedData;
	return decode(wire, maxBytes, receivedData);
}

Event CloudEventCodec::decode(const std::string& wire, std::size_t maxBytes, std::string& receivedData)
{
	receivedData.clear();
	if (wire.size() > maxBytes)
		throw ValidationException("envelope: " + std::to_string(wire.size()) + " bytes exceeds the limit of "
			+ std::to_string(maxBytes));

	// The fast reader takes what it is sure of; everything else, and every
	// refusal, goes through Poco's parser, whose answers stay the reference.
	// It checks the data without building it: compact data (what every
	// encoder of this bus writes) is handed over as text and parsed when a
	// handler reads it; data with whitespace in it is built now, so an
	// event's data text is always compact (one line, whatever arrived).
	{
		EnvelopeReader::Envelope envelope;
		if (EnvelopeReader::read(wire, envelope, false))
		{
			bool built = true;
			if (!envelope.dataCompact)
			{
				Poco::JSON::Object::Ptr data;
				built = EnvelopeReader::readObject(wire.substr(envelope.dataBegin, envelope.dataEnd - envelope.dataBegin), data);
				envelope.data = data;
			}
			if (built) try
			{
				Event event = eventOf(ReadAttributes(envelope, wire));
				receivedData.assign(wire, envelope.dataBegin, envelope.dataEnd - envelope.dataBegin);
				return event;
			}
			catch (ValidationException&)
			{
			}
		}
	}

	Poco::JSON::Object::Ptr object = parseObject(wire, "envelope: ", "envelope: not a JSON object");
	Event event = eventOf(ParsedAttributes(*object)); // attribute refusals first, as before
	refuseChangedNumbers(wire, "envelope: ");
	return event;
}

Poco::JSON::Object::Ptr CloudEventCodec::parsePayload(const std::string& json, std::size_t maxBytes)
{
	if (json.size() > maxBytes)
		throw ValidationException("payload: " + std::to_string(json.size()) + " bytes exceeds eventbus.maxPayloadBytes ("
			+ std::to_string(maxBytes) + ")");
	Poco::JSON::Object::Ptr object;
	if (EnvelopeReader::readObject(json, object)) return object;
	object = parseObject(json, "payload: ", "payload: must be a JSON object");
	refuseChangedNumbers(json, "payload: ");
	return object;
}

EventData CloudEventCodec::payloadData(const std::string& json, std::size_t maxBytes, const Redactor* counter)
{
	if (json.size() > maxBytes)
		throw ValidationException("payload: " + std::to_string(json.size()) + " bytes exceeds eventbus.maxPayloadBytes ("
			+ std::to_string(maxBytes) + ")");
	if (counter)
	{
		if (EventData data = counter->checkAndCount(json)) return data;
	}
	else
	{
		bool compact = false;
		if (EnvelopeReader::checkObject(json, compact) && compact) return EventData::fromJson(json);
	}
	return EventData(parsePayload(json, maxBytes));
}

} // namespace eventbus
