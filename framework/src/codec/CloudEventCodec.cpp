//
// CloudEventCodec.cpp
//
#include "eventbus/CloudEventCodec.h"
#include "EnvelopeReader.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/JSONString.h>
#include <Poco/UUIDGenerator.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <pthread.h>
#include <sstream>
#include <sys/random.h>

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

// The printable ASCII characters Poco::toJSON writes unchanged with these
// options (with JSON_ESCAPE_UNICODE it also escapes '/'), asked of Poco
// itself once, so the fast paths below write exactly what it would.
using CharacterTable = std::array<bool, 256>;

CharacterTable plainCharactersOf(int options)
{
	CharacterTable t{};
	for (int c = 0x20; c < 0x7f; ++c)
	{
		const std::string one(1, static_cast<char>(c));
		t[static_cast<std::size_t>(c)] = Poco::toJSON(one, options) == "\"" + one + "\"";
	}
	return t;
}

const CharacterTable& plainCharacters(int options)
{
	static const CharacterTable wrap = plainCharactersOf(Poco::JSON_WRAP_STRINGS);
	static const CharacterTable escapeUnicode = plainCharactersOf(Poco::JSON_WRAP_STRINGS | Poco::JSON_ESCAPE_UNICODE);
	return (options & Poco::JSON_ESCAPE_UNICODE) ? escapeUnicode : wrap;
}

// A JSON string exactly as Poco::toJSON(value, options) writes it; ids,
// names and times need no escaping and are copied as they are.
void appendString(std::string& out, const std::string& value, int options = Poco::JSON_WRAP_STRINGS)
{
	const CharacterTable& plain = plainCharacters(options);
	for (unsigned char c : value)
	{
		if (!plain[c])
		{
			out.append(Poco::toJSON(value, options));
			return;
		}
	}
	out.push_back('"');
	out.append(value);
	out.push_back('"');
}

// Compact JSON of a data object, byte for byte what Poco's stringify writes:
// objects, arrays, strings, integers, booleans and null are written here;
// any other value (doubles, dates, ...) and an object whose key order is not
// its sorted order (JSON_PRESERVE_KEY_ORDER) are handed to Poco's own
// Stringifier, so its formatting rules stay the only ones.
class DataWriter
{
public:
	explicit DataWriter(std::string& out): _out(out) {}

	void object(const Poco::JSON::Object& object)
	{
		if (!sortedOrder(object))
		{
			delegate([&object](std::ostream& stream) { object.stringify(stream); });
			return;
		}
		const int options = optionsOf(object);
		_out.push_back('{');
		bool first = true;
		for (const auto& member : object)
		{
			if (!first) _out.push_back(',');
			first = false;
			string(member.first, options);
			_out.push_back(':');
			value(member.second, options);
		}
		_out.push_back('}');
	}

private:
	template <typename T>
	static int optionsOf(const T& container)
	{
		return Poco::JSON_WRAP_STRINGS | (container.getEscapeUnicode() ? Poco::JSON_ESCAPE_UNICODE : 0);
	}

	// Poco writes an object in key order when it preserves insertion order,
	// which getNames() reports; iteration is always sorted.
	static bool sortedOrder(const Poco::JSON::Object& object)
	{
		if (object.size() < 2) return true;
		thread_local Poco::JSON::Object::NameList names; // keeps its capacity: no allocation per object
		names.clear();
		names.reserve(object.size());
		object.getNames(names);
		auto it = object.begin();
		for (const auto& name : names)
		{
			if (it == object.end() || it->first != name) return false;
			++it;
		}
		return true;
	}

	void array(const Poco::JSON::Array& array)
	{
		const int options = optionsOf(array);
		_out.push_back('[');
		bool first = true;
		for (const auto& element : array)
		{
			if (!first) _out.push_back(',');
			first = false;
			value(element, options);
		}
		_out.push_back(']');
	}

	void value(const Poco::Dynamic::Var& v, int options)
	{
		// Strings and numbers first, by the holder's own answers (a typeid
		// comparison that fails costs a strcmp of the mangled names).
		const std::type_info& type = v.type();
		if (type == typeid(std::string)) string(v.extract<std::string>(), options);
		else if (v.isEmpty()) _out.append("null");
		else if ((v.isNumeric() || v.isBoolean()) && type != typeid(char))
			_out.append(v.convert<std::string>()); // what Stringifier writes for numbers and booleans
		else if (type == typeid(Poco::JSON::Object::Ptr))
		{
			const Poco::JSON::Object::Ptr& o = v.extract<Poco::JSON::Object::Ptr>();
			if (o.isNull()) delegateValue(v, options);
			else object(*o);
		}
		else if (type == typeid(Poco::JSON::Array::Ptr))
		{
			const Poco::JSON::Array::Ptr& a = v.extract<Poco::JSON::Array::Ptr>();
			if (a.isNull()) delegateValue(v, options);
			else array(*a);
		}
		else delegateValue(v, options);
	}

	void string(const std::string& s, int options) { appendString(_out, s, options); }

	void delegateValue(const Poco::Dynamic::Var& v, int options)
	{
		delegate([&v, options](std::ostream& stream) { Poco::JSON::Stringifier::stringify(v, stream, 0, -1, options); });
	}

	template <typename Write>
	void delegate(Write write)
	{
		std::ostringstream stream;
		write(stream);
		_out.append(stream.str());
	}

	std::string& _out;
};

void appendAttribute(std::string& out, const char* name, const std::string& value)
{
	out.push_back('"');
	out.append(name).append("\":");
	appendString(out, value);
	out.push_back(',');
}

void appendDigits(char*& p, int value, int width)
{
	for (int i = width - 1; i >= 0; --i)
	{
		p[i] = static_cast<char>('0' + value % 10);
		value /= 10;
	}
	p += width;
}

int digits(const std::string& s, std::size_t pos, std::size_t count)
{
	int value = 0;
	for (std::size_t i = pos; i < pos + count; ++i)
	{
		const char c = s[i];
		if (c < '0' || c > '9') return -1;
		value = value * 10 + (c - '0');
	}
	return value;
}

// The fields of the form formatTime writes, YYYY-MM-DDTHH:MM:SS.ffffffZ.
struct CanonicalTime
{
	int year, month, day, hour, minute, second, millis, micros;
};

// Reads that form, checked as Poco's ISO 8601 parser would; false for
// anything else (which then goes through Poco's parser).
bool readCanonicalTime(const std::string& s, CanonicalTime& t)
{
	if (s.size() != 27 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':'
		|| s[19] != '.' || s[26] != 'Z')
		return false;
	t = CanonicalTime{digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2), digits(s, 11, 2), digits(s, 14, 2),
		digits(s, 17, 2), digits(s, 20, 3), digits(s, 23, 3)};
	if (t.year < 0 || t.month < 0 || t.day < 0 || t.hour < 0 || t.minute < 0 || t.second < 0 || t.millis < 0 || t.micros < 0)
		return false;
	return Poco::DateTime::isValid(t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis, t.micros);
}

bool parseCanonicalTime(const std::string& s, Poco::DateTime& dateTime)
{
	CanonicalTime t;
	if (!readCanonicalTime(s, t)) return false;
	dateTime.assign(t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis, t.micros);
	return true;
}

// The same form straight to a timestamp (UTC, 1970 or later), without
// Poco's Julian-day arithmetic; false for anything else.
bool parseCanonicalTimestamp(const std::string& s, Poco::Timestamp& timestamp)
{
	CanonicalTime t;
	if (!readCanonicalTime(s, t) || t.year < 1970) return false;
	const int year = t.year, month = t.month, day = t.day;
	const int hour = t.hour, minute = t.minute, second = t.second, millis = t.millis, micros = t.micros;
	// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
	const long long y = year - (month <= 2 ? 1 : 0);
	const long long era = y / 400;
	const long long yearOfEra = y - era * 400;
	const long long dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	const long long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
	const long long days = era * 146097 + dayOfEra - 719468;
	const long long seconds = days * 86400 + hour * 3600 + minute * 60 + second;
	timestamp = Poco::Timestamp(seconds * 1000000 + millis * 1000 + micros);
	return true;
}

// The attributes of an envelope Poco's parser read: any JSON value.
class ParsedAttributes
{
public:
	explicit ParsedAttributes(const Poco::JSON::Object& object): _object(object) {}

	bool has(const std::string& name) const { return _object.has(name); }

	std::string requireString(const std::string& name, bool allowEmpty = false) const
	{
		if (!_object.has(name))
			throw ValidationException("envelope: missing attribute '" + name + "'");
		const Poco::Dynamic::Var& value = _object.get(name);
		if (!value.isString())
			throw ValidationException("envelope: attribute '" + name + "' must be a string");
		std::string s = value.extract<std::string>();
		if (s.empty() && !allowEmpty)
			throw ValidationException("envelope: attribute '" + name + "' must not be empty");
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
class ReadAttributes
{
public:
	explicit ReadAttributes(const EnvelopeReader::Envelope& envelope): _envelope(envelope) {}

	bool has(const std::string& name) const { return name == "data" ? !_envelope.data.isNull() : _envelope.find(name) != nullptr; }

	std::string requireString(const std::string& name, bool allowEmpty = false) const
	{
		const std::string* value = _envelope.find(name);
		if (!value)
			throw ValidationException("envelope: missing attribute '" + name + "'");
		if (value->empty() && !allowEmpty)
			throw ValidationException("envelope: attribute '" + name + "' must not be empty");
		return *value;
	}

	Poco::JSON::Object::Ptr data() const
	{
		if (_envelope.data.isNull())
			throw ValidationException("envelope: missing attribute 'data'");
		return _envelope.data;
	}

	template <typename Visit>
	void members(Visit visit) const
	{
		for (const auto& attribute : _envelope.attributes) visit(attribute.first, &attribute.second);
	}

private:
	const EnvelopeReader::Envelope& _envelope;
};

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
	event.source = attributes.requireString("source");
	if (event.source.size() > 1024)
		throw ValidationException("envelope: attribute 'source' is longer than 1024 characters");
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

} // namespace

std::string CloudEventCodec::newId()
{
	// 4 KiB of getrandom(2) output per thread serve 256 ids; a forked child
	// refills first, so it never repeats its parent's ids.
	struct Pool
	{
		unsigned char bytes[4096];
		std::size_t used = sizeof(bytes);
		unsigned generation = 0;
	};
	static std::atomic<unsigned> forkGeneration{0};
	static const bool registered = []() {
		pthread_atfork(nullptr, nullptr, []() { forkGeneration.fetch_add(1); });
		return true;
	}();
	(void)registered;
	thread_local Pool pool;
	const unsigned generation = forkGeneration.load(std::memory_order_relaxed);
	if (pool.used + 16 > sizeof(pool.bytes) || pool.generation != generation)
	{
		std::size_t filled = 0;
		while (filled < sizeof(pool.bytes))
		{
			const ssize_t n = getrandom(pool.bytes + filled, sizeof(pool.bytes) - filled, 0);
			if (n < 0)
			{
				if (errno == EINTR) continue;
				return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
			}
			filled += static_cast<std::size_t>(n);
		}
		pool.used = 0;
		pool.generation = generation;
	}
	unsigned char* b = pool.bytes + pool.used;
	pool.used += 16;
	b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40); // version 4
	b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80); // RFC 4122 variant
	static const char hex[] = "0123456789abcdef";
	std::string id(36, '-');
	std::size_t j = 0;
	for (std::size_t i = 0; i < 16; ++i)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10) ++j;
		id[j++] = hex[b[i] >> 4];
		id[j++] = hex[b[i] & 0x0f];
	}
	std::memset(b, 0, 16); // an id handed out does not stay behind in the pool
	return id;
}

std::string CloudEventCodec::formatTime(const Poco::Timestamp& ts)
{
	// What DateTimeFormatter writes for "%Y-%m-%dT%H:%M:%S.%FZ", without
	// interpreting the format or Poco's floating-point Julian day conversion
	// for every event. Before the epoch and after 9999 Poco keeps the job.
	const Poco::Timestamp::TimeVal micros = ts.epochMicroseconds();
	const Poco::Timestamp::TimeVal maxMicros = 253402300799999999LL; // 9999-12-31T23:59:59.999999Z
	if (micros < 0 || micros > maxMicros)
		return Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%S.%FZ");
	const long long seconds = micros / 1000000;
	const int fraction = static_cast<int>(micros % 1000000);
	const long long days = seconds / 86400;
	const int secondOfDay = static_cast<int>(seconds % 86400);
	// Civil date of a day count since 1970-01-01 (H. Hinnant's days_from_civil inverse).
	const long long z = days + 719468;
	const long long era = z / 146097;
	const long long dayOfEra = z - era * 146097;
	const long long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
	const long long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
	const long long mp = (5 * dayOfYear + 2) / 153;
	const int day = static_cast<int>(dayOfYear - (153 * mp + 2) / 5 + 1);
	const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
	const int year = static_cast<int>(yearOfEra + era * 400 + (month <= 2 ? 1 : 0));
	char buffer[27];
	char* p = buffer;
	appendDigits(p, year, 4);
	*p++ = '-';
	appendDigits(p, month, 2);
	*p++ = '-';
	appendDigits(p, day, 2);
	*p++ = 'T';
	appendDigits(p, secondOfDay / 3600, 2);
	*p++ = ':';
	appendDigits(p, secondOfDay / 60 % 60, 2);
	*p++ = ':';
	appendDigits(p, secondOfDay % 60, 2);
	*p++ = '.';
	appendDigits(p, fraction, 6);
	*p++ = 'Z';
	return std::string(buffer, sizeof(buffer));
}

std::string CloudEventCodec::encode(const Event& event)
{
	return encode(event, event.data ? encodeData(*event.data) : std::string("{}"));
}

std::string CloudEventCodec::encodeData(const Poco::JSON::Object& data)
{
	std::string out;
	out.reserve(256);
	DataWriter(out).object(data);
	return out;
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
	{
		EnvelopeReader::Envelope envelope;
		if (EnvelopeReader::read(wire, envelope))
		{
			try
			{
				Event event = eventOf(ReadAttributes(envelope));
				receivedData.assign(wire, envelope.dataBegin, envelope.dataEnd - envelope.dataBegin);
				return event;
			}
			catch (ValidationException&)
			{
			}
		}
	}

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
	return eventOf(ParsedAttributes(*object));
}

} // namespace eventbus
