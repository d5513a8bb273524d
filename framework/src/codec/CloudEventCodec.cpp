//
// CloudEventCodec.cpp
//
// CloudEventCodec's encoding side: an Event to its CloudEvents JSON, the
// data object to compact JSON exactly as Poco writes it, and fresh ids.
//
#include "eventbus/CloudEventCodec.h"
#include "CloudEventAttributes.h"
#include "eventbus/Exceptions.h"
#include <Poco/JSON/Stringifier.h>
#include <Poco/JSONString.h>
#include <Poco/UUIDGenerator.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <pthread.h>
#include <sstream>
#include <sys/random.h>

namespace eventbus {

using namespace codec;

namespace {

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

// The same table as a test of eight bytes at a time: printable ASCII but for
// up to MaxEscaped characters Poco escapes ('"', '\\', and '/' with
// JSON_ESCAPE_UNICODE), each as a byte repeated over a word.
struct PlainTest
{
	static constexpr std::size_t MaxEscaped = 4;
	CharacterTable table{};
	std::uint64_t escaped[MaxEscaped] = {};
	std::size_t escapedCount = 0;
	bool usable = true; // false: the table is not of that shape, test byte by byte

	explicit PlainTest(int options): table(plainCharactersOf(options))
	{
		for (int c = 0x20; c < 0x7f; ++c)
		{
			if (table[static_cast<std::size_t>(c)]) continue;
			if (escapedCount == MaxEscaped)
			{
				usable = false;
				break;
			}
			escaped[escapedCount++] = Ones * static_cast<std::uint64_t>(c);
		}
	}

	static constexpr std::uint64_t Ones = 0x0101010101010101ULL;
	static constexpr std::uint64_t Highs = 0x8080808080808080ULL;

	// Nonzero when a byte of `x` is zero (exact as a yes/no answer).
	static std::uint64_t zeroByte(std::uint64_t x) { return (x - Ones) & ~x & Highs; }

	// Nonzero when a byte of `x` is not plain: below 0x20, 0x7f or above, or escaped.
	std::uint64_t notPlain(std::uint64_t x) const
	{
		std::uint64_t bad = x & Highs;                         // 0x80 and above
		bad |= (x - Ones * 0x20) & ~x & Highs;                 // below 0x20
		bad |= zeroByte(x ^ (Ones * 0x7f));                    // DEL
		for (std::size_t i = 0; i < escapedCount; ++i) bad |= zeroByte(x ^ escaped[i]);
		return bad;
	}

	bool plain(const std::string& value) const
	{
		const char* p = value.data();
		std::size_t n = value.size();
		if (usable)
		{
			std::uint64_t bad = 0;
			for (; n >= 8; p += 8, n -= 8)
			{
				std::uint64_t word;
				std::memcpy(&word, p, 8);
				bad |= notPlain(word);
			}
			if (bad) return false;
		}
		for (; n > 0; ++p, --n)
			if (!table[static_cast<unsigned char>(*p)]) return false;
		return true;
	}
};

const PlainTest& plainTest(int options)
{
	static const PlainTest wrap(Poco::JSON_WRAP_STRINGS);
	static const PlainTest escapeUnicode(Poco::JSON_WRAP_STRINGS | Poco::JSON_ESCAPE_UNICODE);
	return (options & Poco::JSON_ESCAPE_UNICODE) ? escapeUnicode : wrap;
}

// A JSON string exactly as Poco::toJSON(value, options) writes it; ids,
// names and times need no escaping and are copied as they are.
void appendString(std::string& out, const std::string& value, int options = Poco::JSON_WRAP_STRINGS)
{
	if (!plainTest(options).plain(value))
	{
		out.append(Poco::toJSON(value, options));
		return;
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
		{
			_out.append(v.convert<std::string>()); // what Stringifier writes for numbers and booleans
			// A number ends in a digit, a boolean in 'e'; Poco writes "inf" and
			// "nan", which are not JSON: no receiver could read the event.
			if (_out.back() == 'f' || _out.back() == 'n')
				throw ValidationException("payload: number out of range (not finite)");
		}
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

std::string CloudEventCodec::encode(const Event& event)
{
	return encode(event, event.data.json());
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

} // namespace eventbus
