//
// CloudEventCodec.cpp
//
// CloudEventCodec's encoding side: an Event to its CloudEvents JSON, the
// data object to compact JSON exactly as Poco writes it, and fresh ids.
//
#include "eventbus/CloudEventCodec.h"
#include "CloudEventAttributes.h"
#include "CloudEventTime.h"
#include "DataText.h"
#include "eventbus/Exceptions.h"
#include <Poco/JSON/Stringifier.h>
#include <Poco/JSONString.h>
#include <Poco/UUIDGenerator.h>
#include <Poco/NumericString.h>
#include <algorithm>
#include <array>
#include <charconv>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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

// Text appended to a std::string through a pointer: the string is grown
// (doubling) ahead of the writes and cut to what was written at the end, so
// a write is a bounds check and a copy, not a std::string call each.
class TextOut
{
public:
	explicit TextOut(std::string& s): _s(s), _len(s.size()) { _s.resize(std::max(_s.capacity(), _len + 64)); }
	~TextOut() { _s.resize(_len); }
	TextOut(const TextOut&) = delete;
	TextOut& operator=(const TextOut&) = delete;

	// Room for n more bytes at the end; commit() what was written there.
	char* room(std::size_t n)
	{
		if (_len + n > _s.size()) _s.resize(std::max(_s.size() * 2, _len + n));
		return &_s[_len];
	}
	void commit(std::size_t n) { _len += n; }
	char back() const { return _s[_len - 1]; }

	void push_back(char c)
	{
		*room(1) = c;
		++_len;
	}
	void append(const char* p, std::size_t n)
	{
		std::memcpy(room(n), p, n);
		_len += n;
	}
	void append(const char* p) { append(p, std::strlen(p)); }
	void append(const char* p, const char* end) { append(p, static_cast<std::size_t>(end - p)); }
	void append(const std::string& text) { append(text.data(), text.size()); }

private:
	std::string& _s;
	std::size_t _len;
};

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
	int options;        // Poco's options these are the rules of

	explicit PlainTest(int options_): table(plainCharactersOf(options_)), options(options_)
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
		// Unused entries repeat a used one (or DEL): the test below runs a
		// fixed number of comparisons, unrolled, with the same answer.
		for (std::size_t i = escapedCount; i < MaxEscaped; ++i)
			escaped[i] = escapedCount > 0 ? escaped[0] : Ones * 0x7f;
#if defined(__SSE2__)
		for (std::size_t i = 0; i < MaxEscaped; ++i)
			escapedLanes[i] = _mm_set1_epi8(static_cast<char>(escaped[i] & 0xff));
#endif
	}

#if defined(__SSE2__)
	__m128i escapedLanes[MaxEscaped];

	// Lanes of `x` that are not plain: as notPlain(), sixteen bytes at once
	// (a signed comparison below 0x20 also takes 0x80 and above).
	__m128i notPlain16(__m128i x) const
	{
		__m128i bad = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f)));
		for (std::size_t i = 0; i < MaxEscaped; ++i) bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, escapedLanes[i]));
		return bad;
	}
#endif

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
		for (std::size_t i = 0; i < MaxEscaped; ++i) bad |= zeroByte(x ^ escaped[i]);
		return bad;
	}

	// A string under sixteen bytes (names, ids, most values) that needs no
	// escaping, appended with one load of sixteen bytes that stays inside
	// the string's own storage: libstdc++ keeps capacity() + 1 bytes, at
	// least sixteen (the short-string buffer in the object, or an allocation
	// of more; the C++11 string ABI, not the reference-counted one). The
	// lanes past the end are masked off, whatever they hold. Written as
	// sixteen, committed as n. False: anything else, nothing written
	// (appendPlain and Poco decide).
	bool appendShort(TextOut& out, const std::string& value) const
	{
#if defined(__SSE2__) && defined(__GLIBCXX__) && _GLIBCXX_USE_CXX11_ABI
		const std::size_t n = value.size();
		if (!usable || n >= 16 || value.capacity() < 15) return false;
		const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(value.data()));
		const unsigned bad = static_cast<unsigned>(_mm_movemask_epi8(notPlain16(x))) & ((1u << n) - 1u);
		if (bad) return false;
		char* d = out.room(18);
		d[0] = '"';
		_mm_storeu_si128(reinterpret_cast<__m128i*>(d + 1), x);
		d[n + 1] = '"';
		out.commit(n + 2);
		return true;
#else
		(void)out;
		(void)value;
		return false;
#endif
	}

	// Appends `value` as a JSON string to `out` when it needs no escaping,
	// testing and copying in one pass; false (and `out` as it was) otherwise.
	bool appendPlain(TextOut& out, const std::string& value) const
	{
		const char* p = value.data();
		const std::size_t n = value.size();
		char* d = out.room(n + 2);
		*d++ = '"';
		std::uint64_t bad = 0;
		std::size_t i = 0;
#if defined(__SSE2__)
		if (usable && n >= 16)
		{
			__m128i lanes = _mm_setzero_si128();
			for (; i + 16 <= n; i += 16)
			{
				const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
				lanes = _mm_or_si128(lanes, notPlain16(x));
				_mm_storeu_si128(reinterpret_cast<__m128i*>(d + i), x);
			}
			if (i < n)
			{
				// The last bytes as sixteen that overlap the ones before.
				const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
				lanes = _mm_or_si128(lanes, notPlain16(x));
				_mm_storeu_si128(reinterpret_cast<__m128i*>(d + n - 16), x);
				i = n;
			}
			bad = static_cast<std::uint64_t>(_mm_movemask_epi8(lanes));
		}
#endif
		if (usable)
		{
			for (; i + 8 <= n; i += 8)
			{
				std::uint64_t word;
				std::memcpy(&word, p + i, 8);
				bad |= notPlain(word);
				std::memcpy(d + i, &word, 8);
			}
			if (i < n && n >= 8)
			{
				// The last bytes as one word that overlaps the one before.
				std::uint64_t word;
				std::memcpy(&word, p + n - 8, 8);
				bad |= notPlain(word);
				std::memcpy(d + n - 8, &word, 8);
				i = n;
			}
		}
		for (; i < n; ++i)
		{
			const unsigned char c = static_cast<unsigned char>(p[i]);
			bad |= !table[c];
			d[i] = static_cast<char>(c);
		}
		if (bad) return false;
		d[n] = '"';
		out.commit(n + 2);
		return true;
	}
};

// Poco's two sets of rules for strings, each asked of Poco once. A writer
// looks them up once, not per string (a guarded static each time).
struct PlainTests
{
	PlainTest wrap{Poco::JSON_WRAP_STRINGS};
	PlainTest escapeUnicode{Poco::JSON_WRAP_STRINGS | Poco::JSON_ESCAPE_UNICODE};

	const PlainTest& of(int options) const { return (options & Poco::JSON_ESCAPE_UNICODE) ? escapeUnicode : wrap; }

	static const PlainTests& get()
	{
		static const PlainTests tests;
		return tests;
	}
};

// Out of line: the short path below stays small enough to inline.
[[gnu::noinline]] void appendLongOrEscaped(TextOut& out, const std::string& value, const PlainTest& test)
{
	if (!test.appendPlain(out, value))
		out.append(Poco::toJSON(value, test.options));
}

// A JSON string exactly as Poco::toJSON(value, test.options) writes it; ids,
// names and times need no escaping and are copied as they are.
inline void appendString(TextOut& out, const std::string& value, const PlainTest& test)
{
	if (!test.appendShort(out, value)) appendLongOrEscaped(out, value, test);
}

// A double of at most 15 fractional digits whose shortest decimal form has
// at most ~15 significant digits (prices, amounts, ratios: 9.5, 19.99,
// 0.0001), written as Poco::doubleToStr writes it, without its
// double-conversion round (~650 instructions): the smallest k for which some
// integer m has m / 10^k == |d| gives the shortest digits (m is the integer
// nearest |d| * 10^k: below 2^50 the product is off by less than 0.2, so no
// k with a solution is passed over, and no two integers qualify for one k).
// Correctly rounded division of exact m and 10^k is what parsing "m e-k"
// gives, so the text reads back as d. In [1e-4, 1e15) Poco writes decimal
// notation (no exponent). False: not of that form, nothing written.
bool appendShortDecimal(TextOut& out, double d)
{
	static constexpr double Pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
		1e13, 1e14, 1e15};
	const double a = d < 0 ? -d : d;
	if (!(a >= 1e-4 && a < 1e15)) return false; // also NaN
	for (int k = 0; k < 16; ++k)
	{
		const double scaled = a * Pow10[k];
		if (scaled >= 1125899906842624.0) return false; // 2^50
		const std::uint64_t m = static_cast<std::uint64_t>(scaled + 0.5); // exact: ulp(scaled) <= 1/4
		if (static_cast<double>(m) / Pow10[k] != a) continue;
		char digits[24];
		const std::size_t len = static_cast<std::size_t>(std::to_chars(digits, digits + sizeof(digits), m).ptr - digits);
		const std::size_t places = static_cast<std::size_t>(k);
		// sign, "0." and zeros before the digits when m < 10^k, the point
		char* w = out.room(len + places + 3);
		char* const start = w;
		if (d < 0) *w++ = '-';
		if (places == 0)
		{
			std::memcpy(w, digits, len);
			w += len;
		}
		else if (len > places)
		{
			std::memcpy(w, digits, len - places);
			w += len - places;
			*w++ = '.';
			std::memcpy(w, digits + len - places, places);
			w += places;
		}
		else
		{
			*w++ = '0';
			*w++ = '.';
			std::memset(w, '0', places - len);
			w += places - len;
			std::memcpy(w, digits, len);
			w += len;
		}
		out.commit(static_cast<std::size_t>(w - start));
		return true;
	}
	return false;
}

// Compact JSON of a data object, byte for byte what Poco's stringify writes:
// objects, arrays, strings, integers, booleans and null are written here;
// any other value (doubles, dates, ...) and an object whose key order is not
// its sorted order (JSON_PRESERVE_KEY_ORDER) are handed to Poco's own
// Stringifier, so its formatting rules stay the only ones.
class DataWriter
{
public:
	/// With a visitor, shows it what it writes, as EnvelopeReader::checkObject
	/// would show the text: every member name (true: not the value) and every
	/// string value; what Poco writes is not shown (shownAll() turns false).
	explicit DataWriter(TextOut& out, EnvelopeReader::Visitor* visitor = nullptr): _out(out), _visitor(visitor) {}

	bool shownAll() const { return _shownAll; }

	void object(const Poco::JSON::Object& object)
	{
		if (!sortedOrder(object))
		{
			if (showing()) _shownAll = false;
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
			if (showing() && _visitor->key(member.first))
			{
				_quiet = true;
				value(member.second, options);
				_quiet = false;
			}
			else value(member.second, options);
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
		// Asked of the holder first (a virtual call; a typeid comparison
		// that fails may cost a strcmp of the mangled names).
		if (v.isEmpty())
		{
			_out.append("null");
			return;
		}
		if (v.isString())
		{
			if (v.type() == typeid(std::string))
			{
				const std::string& s = v.extract<std::string>();
				string(s, options);
				if (showing()) _visitor->string(s);
			}
			else delegateValue(v, options);
			return;
		}
		if (v.isBoolean())
		{
			_out.append(v.extract<bool>() ? "true" : "false");
			return;
		}
		const std::type_info& type = v.type();
		if (v.isNumeric() && type != typeid(char))
		{
			number(v, type);
			return;
		}
		if (type == typeid(Poco::JSON::Object::Ptr))
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

	// What Stringifier writes for a number (Var's conversion to a string):
	// doubles through the same Poco::doubleToStr call, integers in decimal,
	// here without a string per number.
	void number(const Poco::Dynamic::Var& v, const std::type_info& type)
	{
		char buffer[POCO_MAX_FLT_STRING_LEN > 24 ? POCO_MAX_FLT_STRING_LEN : 24];
		if (type == typeid(double))
		{
			const double d = v.extract<double>();
			if (appendShortDecimal(_out, d)) return;
			Poco::doubleToStr(buffer, POCO_MAX_FLT_STRING_LEN, d);
			_out.append(buffer);
		}
		else if (v.isInteger())
		{
			const std::to_chars_result r = v.isSigned()
				? std::to_chars(buffer, buffer + sizeof(buffer), v.convert<Poco::Int64>())
				: std::to_chars(buffer, buffer + sizeof(buffer), v.convert<Poco::UInt64>());
			_out.append(buffer, r.ptr);
			return;
		}
		else
			_out.append(v.convert<std::string>());
		// A number ends in a digit; Poco writes "inf" and "nan", which are
		// not JSON: no receiver could read the event.
		if (_out.back() == 'f' || _out.back() == 'n')
			throw ValidationException("payload: number out of range (not finite)");
	}

	void string(const std::string& s, int options) { appendString(_out, s, _plain.of(options)); }

	void delegateValue(const Poco::Dynamic::Var& v, int options)
	{
		if (showing()) _shownAll = false;
		delegate([&v, options](std::ostream& stream) { Poco::JSON::Stringifier::stringify(v, stream, 0, -1, options); });
	}

	template <typename Write>
	void delegate(Write write)
	{
		std::ostringstream stream;
		write(stream);
		_out.append(stream.str());
	}

	bool showing() const { return _visitor && !_quiet; }

	TextOut& _out;
	const PlainTests& _plain = PlainTests::get();
	EnvelopeReader::Visitor* const _visitor;
	bool _quiet = false;    // inside a value the visitor asked not to see
	bool _shownAll = true;  // false once Poco wrote a part the visitor did not see
};

void appendAttribute(TextOut& out, const PlainTest& plain, const char* name, const std::string& value)
{
	out.push_back('"');
	out.append(name);
	out.append("\":", 2);
	appendString(out, value, plain);
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

namespace {

// Room for the data text ahead: what the last object written on this thread
// needed and a little, so a publisher of similar events grows no string.
std::string dataText(EnvelopeReader::Visitor* visitor, const Poco::JSON::Object& data, bool* shownAll)
{
	thread_local std::size_t lastSize = 0;
	std::string out;
	out.reserve(std::max<std::size_t>(256, std::min<std::size_t>(lastSize + lastSize / 8 + 16, 1 << 20)));
	{
		TextOut text(out);
		DataWriter writer(text, visitor);
		writer.object(data);
		if (shownAll) *shownAll = writer.shownAll();
	}
	lastSize = out.size();
	return out;
}

} // namespace

std::string CloudEventCodec::encodeData(const Poco::JSON::Object& data)
{
	return dataText(nullptr, data, nullptr);
}

std::string codec::encodeData(const Poco::JSON::Object& data, EnvelopeReader::Visitor& visitor, bool& shownAll)
{
	return dataText(&visitor, data, &shownAll);
}

std::string CloudEventCodec::encode(const Event& event, const std::string& dataJson)
{
	// Room for all of it (names, quotes and the time take ~150 bytes): a
	// signed envelope outgrew the old estimate and was copied once more.
	std::size_t room = 200 + dataJson.size() + event.id.size() + event.source.size() + event.type.size()
		+ event.dataContentType.size() + event.tenantId.size() + event.correlationId.size();
	for (const auto& ext : event.extensions) room += ext.first.size() + ext.second.size() + 6;
	std::string out;
	out.reserve(room);
	{
		TextOut text(out);
		const PlainTest& plain = PlainTests::get().wrap;
		text.push_back('{');
		appendAttribute(text, plain, "specversion", SpecVersion);
		appendAttribute(text, plain, "id", event.id);
		appendAttribute(text, plain, "source", event.source);
		appendAttribute(text, plain, "type", event.type);
		char time[codec::CanonicalTimeSize];
		if (codec::writeCanonicalTime(event.time, time))
		{
			// Digits, '-', ':', '.', 'T' and 'Z': nothing to escape.
			text.append("\"time\":\"", 8);
			text.append(time, sizeof(time));
			text.append("\",", 2);
		}
		else appendAttribute(text, plain, "time", formatTime(event.time));
		appendAttribute(text, plain, "datacontenttype", event.dataContentType);
		appendAttribute(text, plain, "tenantid", event.tenantId);
		appendAttribute(text, plain, "correlationid", event.correlationId);
		for (const auto& ext : event.extensions)
		{
			if (isCoreAttribute(ext.first) || !isValidExtensionName(ext.first)) continue;
			appendAttribute(text, plain, ext.first.c_str(), ext.second);
		}
		text.append("\"data\":", 7);
		text.append(dataJson);
		text.push_back('}');
	}
	return out;
}

} // namespace eventbus
