//
// Redactor.cpp
//
#include "eventbus/Redactor.h"
#include <Poco/JSON/Parser.h>
#include <Poco/String.h>
#include <set>
#include <sstream>

namespace eventbus {

namespace {

// Keys compare without case and without '_' / '-', so api_key, API-KEY and
// apiKey are one key.
std::string normalize(const std::string& key)
{
	std::string out;
	out.reserve(key.size());
	for (char c : key)
	{
		if (c == '_' || c == '-') continue;
		out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	}
	return out;
}

bool isIdentifierChar(char c)
{
	return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

} // namespace

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
}

bool Redactor::isSensitive(const std::string& key) const
{
	// A key is sensitive when it is a listed key or ends with one
	// (userPassword, db_password, github_token). Every key of every published
	// event passes here, so the normalised suffix is compared in place,
	// walking back from the end, without building the normalised copy; the
	// last normalised character rules out most listed keys at once.
	std::size_t end = key.size();
	while (end > 0 && (key[end - 1] == '_' || key[end - 1] == '-')) --end;
	if (end == 0) return false; // normalises to "", which no listed key is
	const char last = static_cast<char>(std::tolower(static_cast<unsigned char>(key[end - 1])));
	for (const auto& k : _keys)
	{
		if (k.back() != last) continue;
		std::size_t i = key.size();
		std::size_t j = k.size();
		while (j > 0 && i > 0)
		{
			const char c = key[--i];
			if (c == '_' || c == '-') continue;
			if (static_cast<char>(std::tolower(static_cast<unsigned char>(c))) != k[j - 1]) break;
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
	return value;
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
	return out.str();
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
	if (!structured)
	{
		result.reserve(text.size());
		// Free text: every identifier that names a sensitive key and is
		// followed by `:` or `=` (after an optional closing quote) has its
		// value masked: `"password":"x"`, `token=x`, `Authorization: Bearer x`.
		const std::string& in = text;
		std::size_t i = 0;
		while (i < in.size())
		{
			if (!isIdentifierChar(in[i]))
			{
				result += in[i++];
				continue;
			}
			std::size_t tokenEnd = i;
			while (tokenEnd < in.size() && isIdentifierChar(in[tokenEnd])) ++tokenEnd;
			std::string token = in.substr(i, tokenEnd - i);
			result += token;
			i = tokenEnd;
			if (!isSensitive(token)) continue;
			std::size_t p = i;
			if (p < in.size() && (in[p] == '"' || in[p] == '\'')) ++p;
			while (p < in.size() && (in[p] == ' ' || in[p] == '\t')) ++p;
			if (p >= in.size() || (in[p] != ':' && in[p] != '=')) continue;
			++p;
			while (p < in.size() && (in[p] == ' ' || in[p] == '\t')) ++p;
			result.append(in, i, p - i);
			if (p < in.size() && (in[p] == '"' || in[p] == '\''))
			{
				char quote = in[p];
				std::size_t end = p + 1;
				while (end < in.size() && in[end] != quote)
					end += (in[end] == '\\' && end + 1 < in.size()) ? 2 : 1;
				result += quote;
				result += Mask;
				if (end < in.size()) result += quote;
				i = end < in.size() ? end + 1 : in.size();
			}
			else
			{
				std::size_t end = p;
				while (end < in.size() && std::string(",;&}]\"\r\n").find(in[end]) == std::string::npos) ++end;
				result += Mask;
				i = end;
			}
		}
	}
	if (result.size() > maxLength)
	{
		result.resize(maxLength);
		result += "...(truncated)";
	}
	return result;
}

} // namespace eventbus
