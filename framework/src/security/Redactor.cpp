//
// Redactor.cpp
//
// Masking of sensitive values: by key in JSON, by pattern in free text
// (`key=value`, `key: value`, escaped JSON), and the password of URL-shaped
// values; everything it returns for printing is escaped by SafeText.
//
#include "eventbus/Redactor.h"
#include "UrlCredentials.h"
#include "../codec/DataText.h"
#include "../codec/EnvelopeReader.h"
#include "eventbus/SafeText.h"
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>

namespace eventbus {

namespace {

// Keys compare without case and without '_' / '-', so api_key, API-KEY and
// apiKey are one key.
std::string normalize(const std::string& key)
{
	return Poco::toLower(Poco::remove(Poco::remove(key, '_'), '-'));
}

// Where the pair of a key's last two normalised characters falls in
// Redactor::_lastPairs.
inline unsigned lastPairHash(unsigned char last, unsigned char previous)
{
	return ((static_cast<unsigned>(last) << 5) ^ previous) & 1023u;
}

bool isIdentifierChar(char c)
{
	return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}


// The width of the key character at `i` (1, or that of a JSON escape
// \uXXXX of one, its backslash itself escaped any number of times), and the
// character in `decoded`; 0 when none starts there.
std::size_t keyCharAt(const std::string& in, std::size_t i, char& decoded)
{
	if (i >= in.size()) return 0;
	if (isIdentifierChar(in[i]))
	{
		decoded = in[i];
		return 1;
	}
	std::size_t u = i;
	while (u < in.size() && in[u] == '\\') ++u;
	if (u == i || u + 4 >= in.size() || in[u] != 'u') return 0;
	unsigned code = 0;
	const std::string digits = in.substr(u + 1, 4);
	if (digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos
		|| !Poco::NumberParser::tryParseHex(digits, code))
		return 0;
	if (code >= 0x80 || !isIdentifierChar(static_cast<char>(code))) return 0;
	decoded = static_cast<char>(code);
	return u + 5 - i;
}

// Whether `word` is an HTTP authentication scheme (`Authorization: Bearer x`),
// which is kept while the credential after it is masked.
bool isAuthScheme(const std::string& word)
{
	static const std::set<std::string> schemes{"basic", "bearer", "digest", "negotiate", "ntlm", "token", "hoba",
		"mutual", "vapid", "scram-sha-1", "scram-sha-256", "aws4-hmac-sha256", "apikey"};
	return schemes.count(Poco::toLower(word)) > 0;
}

} // namespace

std::string Redactor::maskUrlCredentials(const std::string& text, std::size_t* masked)
{
	return UrlCredentials::mask(text, masked);
}

std::vector<std::string> Redactor::defaultKeys()
{
	return {"password", "passwd", "pwd", "secret", "token", "authorization", "api_key", "apikey",
		"private_key", "credentials", "cookie", "session_id", "ssn", "card_number", "cvv", "pin"};
}

Redactor::Redactor(const std::vector<std::string>& keys)
{
	std::set<std::string> unique;
	for (const auto& key : keys)
	{
		std::string n = normalize(Poco::trim(key));
		if (!n.empty()) unique.insert(n);
	}
	_keys.assign(unique.begin(), unique.end());
	_byLast = _keys;
	std::stable_sort(_byLast.begin(), _byLast.end(), [](const std::string& a, const std::string& b) {
		return static_cast<unsigned char>(a.back()) < static_cast<unsigned char>(b.back());
	});
	std::size_t at = 0;
	for (std::size_t c = 0; c < 256; ++c)
	{
		_lastBegin[c] = static_cast<std::uint32_t>(at);
		while (at < _byLast.size() && static_cast<unsigned char>(_byLast[at].back()) == c) ++at;
	}
	_lastBegin[256] = static_cast<std::uint32_t>(at);
	for (const auto& k : _keys)
	{
		const auto last = static_cast<unsigned char>(k.back());
		if (k.size() == 1)
			_single[last] = true;
		else
		{
			const unsigned h = lastPairHash(last, static_cast<unsigned char>(k[k.size() - 2]));
			_lastPairs[h >> 6] |= std::uint64_t(1) << (h & 63);
		}
	}
}

namespace {

// The case folding Poco::toLower gave the listed keys (ASCII only: any other
// byte stays as it is), inline: no call into the C library per character of
// every key of every event.
inline char asciiLower(char c)
{
	return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

bool Redactor::isSensitive(std::string_view key) const
{
	// A key is sensitive when it is a listed key or ends with one
	// (userPassword, db_password, github_token). Every key of every published
	// event passes here, so the normalised suffix is compared in place,
	// walking back from the end, without building the normalised copy, and
	// only with the listed keys that end in the same character.
	std::size_t end = key.size();
	while (end > 0 && (key[end - 1] == '_' || key[end - 1] == '-')) --end;
	if (end == 0) return false; // normalises to "", which no listed key is
	const auto last = static_cast<unsigned char>(asciiLower(key[end - 1]));
	if (!_single[last])
	{
		// Every listed key ending in `last` has a character before it: the
		// key must have one too, and the pair must be among theirs.
		std::size_t before = end - 1;
		while (before > 0 && (key[before - 1] == '_' || key[before - 1] == '-')) --before;
		if (before == 0) return false;
		const unsigned h = lastPairHash(last, static_cast<unsigned char>(asciiLower(key[before - 1])));
		if (!((_lastPairs[h >> 6] >> (h & 63)) & 1)) return false;
	}
	for (std::size_t n = _lastBegin[last]; n < _lastBegin[last + 1]; ++n)
	{
		const std::string& k = _byLast[n];
		std::size_t i = key.size();
		std::size_t j = k.size();
		while (j > 0 && i > 0)
		{
			const char c = key[--i];
			if (c == '_' || c == '-') continue;
			if (asciiLower(c) != k[j - 1]) break;
			--j;
		}
		if (j == 0) return true;
	}
	return false;
}

Poco::Dynamic::Var Redactor::redactValue(const Poco::Dynamic::Var& value, std::size_t& masked) const
{
	if (value.type() == typeid(Poco::JSON::Object::Ptr))
	{
		Poco::JSON::Object::Ptr object = value.extract<Poco::JSON::Object::Ptr>();
		if (object.isNull()) return value;
		Poco::JSON::Object::Ptr copy(new Poco::JSON::Object);
		for (const auto& member : *object)
		{
			if (isSensitive(member.first))
			{
				copy->set(member.first, std::string(Mask));
				++masked;
			}
			else copy->set(member.first, redactValue(member.second, masked));
		}
		return copy;
	}
	if (value.type() == typeid(Poco::JSON::Array::Ptr))
	{
		Poco::JSON::Array::Ptr array = value.extract<Poco::JSON::Array::Ptr>();
		if (array.isNull()) return value;
		Poco::JSON::Array::Ptr copy(new Poco::JSON::Array);
		for (const auto& element : *array)
			copy->add(redactValue(element, masked));
		return copy;
	}
	if (value.type() == typeid(std::string))
	{
		const std::string& text = value.extract<std::string>();
		if (text.find("//") == std::string::npos) return value;
		std::size_t urls = 0;
		std::string result = maskUrlCredentials(text, &urls);
		if (urls == 0) return value;
		masked += urls;
		return result;
	}
	return value;
}

std::size_t Redactor::countSensitive(const Poco::Dynamic::Var& value) const
{
	// Most values are scalars: ask the holder before comparing type_infos
	// (a comparison that fails costs a strcmp of the mangled names).
	if (value.isString())
	{
		const std::string& text = value.extract<std::string>();
		if (text.find("//") == std::string::npos) return 0;
		std::size_t urls = 0;
		UrlCredentials::mask(text, &urls);
		return urls;
	}
	if (value.isNumeric() || value.isEmpty()) return 0;
	if (value.type() == typeid(Poco::JSON::Object::Ptr))
	{
		const Poco::JSON::Object::Ptr& object = value.extract<Poco::JSON::Object::Ptr>();
		return object.isNull() ? 0 : countSensitive(*object);
	}
	std::size_t count = 0;
	if (value.type() == typeid(Poco::JSON::Array::Ptr))
	{
		const Poco::JSON::Array::Ptr& array = value.extract<Poco::JSON::Array::Ptr>();
		if (array.isNull()) return 0;
		for (const auto& element : *array) count += countSensitive(element);
	}
	return count;
}

std::size_t Redactor::countSensitive(const Poco::JSON::Object& object) const
{
	std::size_t count = 0;
	for (const auto& member : object)
		count += isSensitive(member.first) ? 1 : countSensitive(member.second);
	return count;
}

namespace {

// countSensitive over JSON text: a sensitive member counts once and its
// value is not looked into, a string value counts its URLs with credentials.
class SensitiveCount: public EnvelopeReader::Visitor
{
public:
	explicit SensitiveCount(const Redactor& redactor): _redactor(redactor) {}
	bool key(std::string_view name) override
	{
		if (!_redactor.isSensitive(name)) return false;
		++count;
		return true;
	}
	void string(std::string_view value) override
	{
		if (value.find("//") == std::string_view::npos) return;
		std::size_t urls = 0;
		UrlCredentials::mask(std::string(value), &urls);
		count += urls;
	}
	std::size_t count = 0;

private:
	const Redactor& _redactor;
};

} // namespace

std::size_t Redactor::countSensitive(const EventData& data) const
{
	if (!data) return 0;
	// Counted in the walk that checked or wrote the text.
	if (data._state->countedBy.load(std::memory_order_relaxed) == this) return data._state->sensitiveCount;
	if (!data.hasObject())
	{
		SensitiveCount counter(*this);
		bool compact = false;
		if (EnvelopeReader::checkObject(data.json(), compact, &counter)) return counter.count;
	}
	return countSensitive(*data.object());
}

EventData Redactor::checkAndCount(const std::string& json) const
{
	SensitiveCount counter(*this);
	bool compact = false;
	if (!EnvelopeReader::checkObject(json, compact, &counter) || !compact) return EventData();
	EventData data = EventData::fromJson(json);
	data._state->sensitiveCount = counter.count;
	data._state->countedBy.store(this, std::memory_order_relaxed);
	return data;
}

const std::string& Redactor::writeAndCount(const EventData& data) const
{
	const EventData::Writer write = [this, &data](const Poco::JSON::Object& object) {
		SensitiveCount counter(*this);
		bool shownAll = false;
		std::string json = codec::encodeData(object, counter, shownAll);
		if (shownAll) // else a part Poco wrote was not counted: countSensitive walks the object
		{
			data._state->sensitiveCount = counter.count;
			data._state->countedBy.store(this, std::memory_order_relaxed);
		}
		return json;
	};
	return data.jsonWrittenBy(&write);
}

Poco::JSON::Object::Ptr Redactor::redactCopy(const Poco::JSON::Object::Ptr& object, std::size_t* masked) const
{
	std::size_t count = 0;
	Poco::JSON::Object::Ptr result;
	if (object)
		result = redactValue(Poco::Dynamic::Var(object), count).extract<Poco::JSON::Object::Ptr>();
	if (masked) *masked = count;
	return result;
}

std::string Redactor::toJson(const Poco::JSON::Object::Ptr& object) const
{
	if (!object) return "null";
	std::ostringstream out;
	redactCopy(object)->stringify(out);
	return SafeText::escape(maskPairs(out.str()), std::string::npos);
}

std::string Redactor::redactText(const std::string& text, std::size_t maxLength) const
{
	std::string result;
	bool structured = false;
	// Structured first: JSON text is redacted by key, exactly.
	if (!text.empty() && text.size() <= 1024 * 1024 && (text[0] == '{' || text[0] == '['))
	{
		try
		{
			Poco::JSON::Parser parser;
			parser.setDepth(64);
			Poco::Dynamic::Var parsed = parser.parse(text);
			std::size_t masked = 0;
			Poco::Dynamic::Var redacted = redactValue(parsed, masked);
			std::ostringstream out;
			if (redacted.type() == typeid(Poco::JSON::Object::Ptr))
				redacted.extract<Poco::JSON::Object::Ptr>()->stringify(out);
			else
				redacted.extract<Poco::JSON::Array::Ptr>()->stringify(out);
			result = out.str();
			structured = true;
		}
		catch (...)
		{
		}
	}
	// Then by pattern, also over the structured result: a string value may
	// itself hold JSON text or `key=value` pairs.
	// Masked before it is escaped, so no escape can split a key from its
	// value; escaped last, so nothing masked can come back.
	return SafeText::escape(maskPairs(structured ? result : text), maxLength);
}

std::string Redactor::maskPairs(const std::string& in) const
{
	// Every identifier that names a sensitive key and is followed by `:` or
	// `=` (after an optional closing quote) has its value masked:
	// `"password":"x"`, `token=x`, `Authorization: Bearer x`, and the same
	// inside JSON text that was escaped into a string (`\"token\":\"x\"`).
	// A key may be spelt with JSON escapes (`pass\u0077ord`); a value that is
	// an object or an array is masked whole. When unsure, more is masked.
	std::string result;
	result.reserve(in.size());
	const std::size_t n = in.size();
	std::size_t i = 0;
	std::string token;
	while (i < n)
	{
		char decoded = 0;
		std::size_t width = keyCharAt(in, i, decoded);
		if (width == 0)
		{
			result += in[i++];
			continue;
		}
		token.clear();
		const std::size_t start = i;
		while (width > 0)
		{
			token += decoded;
			i += width;
			width = keyCharAt(in, i, decoded);
		}
		result.append(in, start, i - start);
		if (i < n && in[i] == ':')
		{
			// scheme://user:password@host: the password is masked.
			const std::size_t authority = UrlCredentials::afterSlashes(in, i + 1);
			if (authority != 0)
			{
				std::size_t ignored = 0;
				result.append(in, i, authority - i);
				i = UrlCredentials::maskAuthority(in, authority, result, ignored);
				continue;
			}
		}
		if (!isSensitive(token)) continue;
		// An optional closing quote, escaped as deep as the key itself is.
		std::size_t p = i;
		std::size_t level = 0;
		{
			std::size_t q = p;
			while (q < n && in[q] == '\\') ++q;
			if (q < n && (in[q] == '"' || in[q] == '\''))
			{
				level = q - p;
				p = q + 1;
			}
		}
		while (p < n && (in[p] == ' ' || in[p] == '\t')) ++p;
		if (p >= n || (in[p] != ':' && in[p] != '=')) continue;
		++p;
		while (p < n && (in[p] == ' ' || in[p] == '\t')) ++p;
		result.append(in, i, p - i);
		i = maskValue(in, p, level, result);
	}
	return result;
}

std::size_t Redactor::maskValue(const std::string& in, std::size_t p, std::size_t level, std::string& result) const
{
	const std::size_t n = in.size();
	std::size_t quoteAt = p;
	while (quoteAt < n && in[quoteAt] == '\\') ++quoteAt;
	if (quoteAt < n && (in[quoteAt] == '"' || in[quoteAt] == '\''))
	{
		// A string: up to the quote that closes it at its own escape level
		// (or any shallower one), else to the end.
		const char quote = in[quoteAt];
		const std::size_t depth = quoteAt - p;
		std::size_t end = quoteAt + 1;
		std::size_t close = n;
		while (end < n)
		{
			if (depth == 0 && in[end] == '\\')
			{
				end += 2;
				continue;
			}
			if (in[end] == quote && depth == 0)
			{
				close = end;
				break;
			}
			if (in[end] == quote)
			{
				std::size_t run = 0;
				while (run < end - quoteAt - 1 && in[end - 1 - run] == '\\') ++run;
				if (run <= depth)
				{
					close = end - run;
					break;
				}
			}
			++end;
		}
		result.append(in, p, quoteAt + 1 - p);
		result += Mask;
		if (close >= n) return n;
		result.append(in, close, end + 1 - close);
		return end + 1;
	}
	if (p < n && (in[p] == '{' || in[p] == '['))
	{
		// An object or an array: to its closing bracket, skipping strings.
		int nesting = 0;
		bool inString = false;
		std::size_t end = p;
		for (; end < n; ++end)
		{
			const char c = in[end];
			if (c == '\\' && level == 0)
			{
				if (inString) ++end;
				continue;
			}
			if (c == '"')
			{
				std::size_t run = 0;
				while (run < end - p && in[end - 1 - run] == '\\') ++run;
				if (level == 0 || run == level) inString = !inString;
				else if (run < level) break; // the string this escaped JSON lives in ends
				continue;
			}
			if (inString) continue;
			if (c == '{' || c == '[') ++nesting;
			else if ((c == '}' || c == ']') && --nesting == 0)
			{
				++end;
				break;
			}
		}
		const std::string escapes(level, '\\');
		result.append(escapes).append(1, '"').append(Mask).append(escapes).append(1, '"');
		return end;
	}
	// A bare value runs to the next space or separator, so the rest of a
	// sentence stays readable; after an authentication scheme
	// (`Authorization: Bearer x`) the scheme stays and the credential goes.
	std::size_t word = p;
	while (word < n && (std::isalnum(static_cast<unsigned char>(in[word])) || in[word] == '-')) ++word;
	if (word > p && word < n && in[word] == ' ' && isAuthScheme(in.substr(p, word - p)))
	{
		result.append(in, p, word + 1 - p);
		p = word + 1;
		while (p < n && in[p] == ' ') ++p;
	}
	std::size_t end = p;
	while (end < n && !std::strchr(",;&}]\"' \t\r\n", in[end])) ++end;
	result += Mask;
	return end;
}

} // namespace eventbus
