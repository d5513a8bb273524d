//
// EnvelopeReader.cpp
//
// The codec's fast JSON reader for envelopes and payload objects.
//
#include "EnvelopeReader.h"
#include "JsonNumbers.h"
#include <Poco/JSON/Array.h>
#include <Poco/NumberParser.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace eventbus {

namespace {

class Reader
{
public:
	Reader(const std::string& text, bool build = true, EnvelopeReader::Visitor* visitor = nullptr):
		_begin(text.data()), _p(text.data()), _end(text.data() + text.size()), _build(build), _visitor(visitor) {}

	std::size_t spaces() const { return _spaces; }

	bool topObject(Poco::JSON::Object::Ptr& out)
	{
		skipSpace();
		if (!consume('{')) return false;
		_keep = _dataKeep;
		// The depth a data object has in an envelope: a payload is read as its data will be.
		if (!object(out, 2)) return false;
		return finish();
	}

	bool envelope(EnvelopeReader::Envelope& out)
	{
		skipSpace();
		if (!consume('{')) return false;
		skipSpace();
		if (consume('}')) return finish();
		std::string name;
		out.attributes.reserve(16); // a CloudEvents envelope has about a dozen
		for (;;)
		{
			if (!consume('"') || !string(name)) return false;
			skipSpace();
			if (!consume(':')) return false;
			skipSpace();
			if (name.size() == 4 && std::memcmp(name.data(), "data", 4) == 0) // (no strlen, no compare call per name)
			{
				if (out.hasData || _p == _end || *_p != '{') return false;
				out.dataBegin = static_cast<std::size_t>(_p - _begin);
				++_p;
				const std::size_t spacesBefore = _spaces;
				Poco::JSON::Object::Ptr data;
				_keep = _dataKeep;
				const bool read = object(data, 2);
				_keep = true;
				if (!read) return false;
				out.hasData = true;
				out.data = data;
				out.dataEnd = static_cast<std::size_t>(_p - _begin);
				out.dataCompact = _spaces == spacesBefore;
			}
			else
			{
				std::string value;
				if (!consume('"') || !string(value)) return false;
				out.attributes.emplace_back(std::move(name), std::move(value));
			}
			skipSpace();
			if (consume('}')) break;
			if (!consume(',')) return false;
			skipSpace();
		}
		sortByName(out.attributes);
		for (std::size_t i = 1; i < out.attributes.size(); ++i)
			if (out.attributes[i - 1].first == out.attributes[i].first) return false;
		return finish();
	}

private:
	using Attributes = std::vector<std::pair<std::string, std::string>>;

	// The first eight bytes of a name as a number that orders as the bytes
	// do (big-endian, zero-padded): distinct for the CloudEvents names, so
	// sorting them rarely compares two strings.
	static std::uint64_t prefixKey(const std::string& name)
	{
		unsigned char bytes[8] = {};
		std::memcpy(bytes, name.data(), std::min<std::size_t>(8, name.size()));
		std::uint64_t key = 0;
		for (unsigned char b : bytes) key = (key << 8) | b;
		return key;
	}

	// Sorts by name (std::string's order): the positions are sorted by
	// prefix key, then by the whole names where the keys are equal; then
	// every pair is moved once, in place, cycle by cycle (sorting the pairs
	// themselves moves two strings per step).
	static void sortByName(Attributes& attributes)
	{
		const std::size_t n = attributes.size();
		if (n > 64)
		{
			std::sort(attributes.begin(), attributes.end(),
				[](const Attributes::value_type& a, const Attributes::value_type& b) { return a.first < b.first; });
			return;
		}
		std::uint64_t keys[64];
		unsigned char order[64];
		for (std::size_t i = 0; i < n; ++i)
		{
			keys[i] = prefixKey(attributes[i].first);
			order[i] = static_cast<unsigned char>(i);
		}
		auto less = [&](unsigned char a, unsigned char b) {
			return keys[a] != keys[b] ? keys[a] < keys[b] : attributes[a].first < attributes[b].first;
		};
		bool sorted = true;
		for (std::size_t i = 1; i < n; ++i)
		{
			if (!less(order[i], order[i - 1])) continue;
			sorted = false;
			// Insertion: a dozen names, mostly a fixed shuffle.
			const unsigned char moving = order[i];
			std::size_t j = i;
			for (; j > 0 && less(moving, order[j - 1]); --j) order[j] = order[j - 1];
			order[j] = moving;
		}
		if (sorted) return;
		// order[i] is the position whose pair goes to position i.
		bool placed[64] = {};
		for (std::size_t i = 0; i < n; ++i)
		{
			if (placed[i] || order[i] == i) continue;
			Attributes::value_type held = std::move(attributes[i]);
			std::size_t at = i;
			for (;;)
			{
				placed[at] = true;
				const std::size_t from = order[at];
				if (from == i)
				{
					attributes[at] = std::move(held);
					break;
				}
				attributes[at] = std::move(attributes[from]);
				at = from;
			}
		}
	}

	bool finish()
	{
		skipSpace();
		return _p == _end;
	}

	void skipSpace()
	{
		const char* start = _p;
		while (_p != _end && (*_p == ' ' || *_p == '\n' || *_p == '\r' || *_p == '\t')) ++_p;
		if (_p != start) ++_spaces;
	}

	bool consume(char c)
	{
		if (_p == _end || *_p != c) return false;
		++_p;
		return true;
	}

	// After '{'.
	bool object(Poco::JSON::Object::Ptr& out, int depth)
	{
		if (depth > EnvelopeReader::MaxDepth) return false;
		if (_build) out = new Poco::JSON::Object;
		skipSpace();
		if (consume('}')) return true;
		std::string key;
		Poco::Dynamic::Var v;
		std::string_view shown;
		for (;;)
		{
			if (!consume('"')) return false;
			if (_build)
			{
				if (!string(key)) return false;
				shown = key;
			}
			else if (showing())
			{
				if (!stringView(shown)) return false;
			}
			else if (!string(_scratch)) return false;
			skipSpace();
			if (!consume(':')) return false;
			skipSpace();
			if (showing() && _visitor->key(shown))
			{
				// The visitor has what it wants of this member: its value is
				// checked, not shown.
				_quiet = true;
				const bool ok = value(v, depth);
				_quiet = false;
				if (!ok) return false;
			}
			else if (!value(v, depth)) return false;
			if (_build) out->set(key, v);
			skipSpace();
			if (consume('}')) return true;
			if (!consume(',')) return false;
			skipSpace();
		}
	}

	// After '['.
	bool array(Poco::JSON::Array::Ptr& out, int depth)
	{
		if (depth > EnvelopeReader::MaxDepth) return false;
		if (_build) out = new Poco::JSON::Array;
		skipSpace();
		if (consume(']')) return true;
		Poco::Dynamic::Var v;
		for (;;)
		{
			if (!value(v, depth)) return false;
			if (_build) out->add(v);
			skipSpace();
			if (consume(']')) return true;
			if (!consume(',')) return false;
			skipSpace();
		}
	}

	bool value(Poco::Dynamic::Var& out, int depth)
	{
		if (_p == _end) return false;
		switch (*_p)
		{
		case '"':
		{
			++_p;
			if (!_build)
			{
				if (!showing()) return string(_scratch);
				std::string_view shown;
				if (!stringView(shown)) return false;
				_visitor->string(shown);
				return true;
			}
			std::string s;
			if (!string(s)) return false;
			out = std::move(s);
			return true;
		}
		case '{':
		{
			++_p;
			Poco::JSON::Object::Ptr o;
			if (!object(o, depth + 1)) return false;
			if (_build) out = o;
			return true;
		}
		case '[':
		{
			++_p;
			Poco::JSON::Array::Ptr a;
			if (!array(a, depth + 1)) return false;
			if (_build) out = a;
			return true;
		}
		case 't':
			if (!literal("true")) return false;
			out = true;
			return true;
		case 'f':
			if (!literal("false")) return false;
			out = false;
			return true;
		case 'n':
			if (!literal("null")) return false;
			out.empty();
			return true;
		default:
			return number(out);
		}
	}

	bool literal(const char* word)
	{
		const std::size_t n = std::strlen(word);
		if (static_cast<std::size_t>(_end - _p) < n || std::memcmp(_p, word, n) != 0) return false;
		_p += n;
		// "truex" is a syntax error; a delimiter or the end must follow.
		return _p == _end || *_p == ',' || *_p == '}' || *_p == ']' || *_p == ' ' || *_p == '\n' || *_p == '\r'
			|| *_p == '\t';
	}

	static bool isDigit(char c) { return c >= '0' && c <= '9'; }

	static constexpr std::uint64_t Ones = 0x0101010101010101ULL;
	static constexpr std::uint64_t Highs = 0x8080808080808080ULL;
	static std::uint64_t zeroByte(std::uint64_t x) { return (x - Ones) & ~x & Highs; }
	// Nonzero when a byte of `word` is below 0x20, '"', '\\' or 0x80 and above.
	static std::uint64_t special(std::uint64_t word)
	{
		return (word & Highs) | ((word - Ones * 0x20) & ~word & Highs) | zeroByte(word ^ (Ones * '"'))
			| zeroByte(word ^ (Ones * '\\'));
	}

	bool number(Poco::Dynamic::Var& out)
	{
		const char* start = _p;
		bool negative = false;
		if (_p != _end && *_p == '-')
		{
			negative = true;
			++_p;
		}
		const char* digits = _p;
		if (_p == _end || !isDigit(*_p)) return false;
		if (*_p == '0') ++_p;
		else while (_p != _end && isDigit(*_p)) ++_p;
		const std::size_t integerDigits = static_cast<std::size_t>(_p - digits);
		bool integer = true;
		bool exponent = false;
		if (_p != _end && *_p == '.')
		{
			integer = false;
			++_p;
			if (_p == _end || !isDigit(*_p)) return false;
			while (_p != _end && isDigit(*_p)) ++_p;
		}
		if (_p != _end && (*_p == 'e' || *_p == 'E'))
		{
			integer = false;
			exponent = true;
			++_p;
			if (_p != _end && (*_p == '+' || *_p == '-')) ++_p;
			if (_p == _end || !isDigit(*_p)) return false;
			while (_p != _end && isDigit(*_p)) ++_p;
		}
		// A number runs up to a delimiter ("01", "1x" are syntax errors).
		if (_p != _end && *_p != ',' && *_p != '}' && *_p != ']' && *_p != ' ' && *_p != '\n' && *_p != '\r'
			&& *_p != '\t')
			return false;
		// Integers exactly, whatever their size in the 64-bit ranges (Poco
		// rounds large negative ones through a double); beyond them, declined.
		// Checking only, fewer than 19 digits are in range whatever they are.
		if (integer)
		{
			if (!_build && integerDigits < 19) return true;
			return codec::JsonNumbers::integer(negative, digits, digits + integerDigits, out);
		}
		if (!_build)
		{
			// Checking only: a finite double (what Poco's parseFloat reads of
			// this grammar); anything else (1e400, 1e-400) is declined and
			// decided by the building path. Without an exponent, a decimal
			// under 300 characters is one: nonzero, it lies between 1e-299
			// and 1e299, far inside the doubles (no conversion needed).
			if (!exponent && _p - start < 300) return true;
			double value = 0;
			const auto result = std::from_chars(start, _p, value);
			return result.ec == std::errc() && result.ptr == _p && std::isfinite(value);
		}
		double value = 0;
		if (!Poco::NumberParser::tryParseFloat(std::string(start, _p), value)) return false;
		out = value;
		return true;
	}

	static int hexValue(char c)
	{
		if (c >= '0' && c <= '9') return c - '0';
		if (c >= 'a' && c <= 'f') return c - 'a' + 10;
		if (c >= 'A' && c <= 'F') return c - 'A' + 10;
		return -1;
	}

	// \uXXXX after the backslash and 'u'; -1 when malformed.
	long hex4()
	{
		if (_end - _p < 4) return -1;
		long value = 0;
		for (int i = 0; i < 4; ++i)
		{
			const int h = hexValue(_p[i]);
			if (h < 0) return -1;
			value = value * 16 + h;
		}
		_p += 4;
		return value;
	}

	static void appendUtf8(std::string& out, unsigned long cp)
	{
		if (cp < 0x80) out.push_back(static_cast<char>(cp));
		else if (cp < 0x800)
		{
			out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
			out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
		}
		else if (cp < 0x10000)
		{
			out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
			out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
			out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
		}
		else
		{
			out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
			out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
			out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
			out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
		}
	}

	// Length of the well-formed UTF-8 sequence at _p (RFC 3629: no overlong
	// forms, no surrogates, at most U+10FFFF), 0 when it is not one.
	std::size_t utf8Length() const
	{
		const auto* s = reinterpret_cast<const unsigned char*>(_p);
		const std::size_t left = static_cast<std::size_t>(_end - _p);
		auto cont = [&](std::size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
			return i < left && s[i] >= lo && s[i] <= hi;
		};
		const unsigned char c = s[0];
		if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
		if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
		if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
		if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
		if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
		if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
		if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
		return 0;
	}

	// Moves _p to the next byte that ends a run of plain string bytes: a
	// control character, a quote, a backslash or a non-ASCII byte (or to the
	// end).
	void skipPlain()
	{
#if defined(__SSE2__)
		// Sixteen bytes at a time: a signed comparison below 0x20 also
		// flags 0x80 and above; the lowest flagged lane is the first special byte.
		while (_end - _p >= 16)
		{
			const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(_p));
			const __m128i flagged = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
				_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
			const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(flagged));
			if (mask)
			{
				_p += __builtin_ctz(mask);
				return;
			}
			_p += 16;
		}
#endif
		// Eight bytes at a time while none of them ends the run.
		while (_end - _p >= 8)
		{
			std::uint64_t word;
			std::memcpy(&word, _p, 8);
			const std::uint64_t mask = special(word);
			if (mask)
			{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				// The lowest flagged byte is the first special one: a borrow
				// only carries a false flag into the bytes above a true one.
				_p += __builtin_ctzll(mask) / 8;
				return;
#else
				break;
#endif
			}
			_p += 8;
		}
		while (_p != _end)
		{
			const auto c = static_cast<unsigned char>(*_p);
			if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
			++_p;
		}
	}

	// Whether the visitor sees what is read now.
	bool showing() const { return _visitor && !_quiet; }

	// A string for the visitor, after the opening quote: a view into the
	// text when it holds no escape, else its unescaped copy in _scratch.
	bool stringView(std::string_view& out)
	{
		const char* start = _p;
		for (;;)
		{
			skipPlain();
			if (_p == _end) return false;
			const auto c = static_cast<unsigned char>(*_p);
			if (c == '"')
			{
				out = std::string_view(start, static_cast<std::size_t>(_p - start));
				++_p;
				return true;
			}
			if (c < 0x20) return false;
			if (c < 0x80) break; // a backslash: unescape into the scratch copy
			const std::size_t n = utf8Length();
			if (n == 0) return false;
			_p += n;
		}
		_p = start;
		const bool keep = _keep;
		_keep = true;
		const bool ok = string(_scratch);
		_keep = keep;
		if (!ok) return false;
		out = _scratch;
		return true;
	}

	// After the opening quote; leaves _p after the closing one.
	bool string(std::string& out)
	{
		out.clear();
		for (;;)
		{
			const char* run = _p;
			skipPlain();
			if (_keep) out.append(run, _p);
			if (_p == _end) return false;
			const auto c = static_cast<unsigned char>(*_p);
			if (c == '"')
			{
				++_p;
				return true;
			}
			if (c < 0x20) return false;
			if (c >= 0x80)
			{
				const std::size_t n = utf8Length();
				if (n == 0) return false;
				if (_keep) out.append(_p, n);
				_p += n;
				continue;
			}
			// A backslash.
			if (++_p == _end) return false;
			const char e = *_p++;
			switch (e)
			{
			case '"': out.push_back('"'); break;
			case '\\': out.push_back('\\'); break;
			case '/': out.push_back('/'); break;
			case 'b': out.push_back('\b'); break;
			case 'f': out.push_back('\f'); break;
			case 'n': out.push_back('\n'); break;
			case 'r': out.push_back('\r'); break;
			case 't': out.push_back('\t'); break;
			case 'u':
			{
				long cp = hex4();
				if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;
				if (cp >= 0xD800 && cp <= 0xDBFF)
				{
					if (_end - _p < 2 || _p[0] != '\\' || _p[1] != 'u') return false;
					_p += 2;
					const long low = hex4();
					if (low < 0xDC00 || low > 0xDFFF) return false;
					cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
				}
				appendUtf8(out, static_cast<unsigned long>(cp));
				break;
			}
			default:
				return false;
			}
		}
	}

	const char* const _begin;
	const char* _p;
	const char* const _end;
	const bool _build;         // false: check the data, build nothing
	EnvelopeReader::Visitor* const _visitor; // shown keys and strings while not building
	bool _quiet = false;       // inside a value the visitor asked not to see
	std::size_t _spaces = 0;   // runs of whitespace skipped so far
	// Whether string() copies what it reads: always for the envelope's own
	// names and attributes; inside data only when building it (else a string
	// is checked, not even copied, and the visitor is shown a view).
	const bool _dataKeep = _build;
	bool _keep = true;
	std::string& _scratch = scratch(); // strings read while not building
	static std::string& scratch()
	{
		thread_local std::string text; // keeps its capacity from one event to the next
		return text;
	}
};

} // namespace

bool EnvelopeReader::readObject(const std::string& text, Poco::JSON::Object::Ptr& object)
{
	object = nullptr;
	Poco::JSON::Object::Ptr result;
	if (!Reader(text).topObject(result)) return false;
	object = result;
	return true;
}

bool EnvelopeReader::checkObject(const std::string& text, bool& compact, Visitor* visitor)
{
	Reader reader(text, false, visitor);
	Poco::JSON::Object::Ptr none;
	if (!reader.topObject(none)) return false;
	compact = reader.spaces() == 0;
	return true;
}

bool EnvelopeReader::read(const std::string& text, Envelope& envelope, bool buildData)
{
	envelope = Envelope();
	return Reader(text, buildData).envelope(envelope);
}

} // namespace eventbus
