//
// SafeText.cpp
//
// Escaping of untrusted text for logs and terminals: one line, no control
// characters, no invalid UTF-8, bounded.
//
#include "eventbus/SafeText.h"
#include <Poco/NumberFormatter.h>
#include <Poco/String.h>

namespace eventbus {

namespace {

// Length of the well-formed UTF-8 sequence at `s[i]` (RFC 3629: no overlong
// forms, no surrogates, at most U+10FFFF), 0 when there is none; `cp` gets
// its code point.
std::size_t utf8At(const std::string& s, std::size_t i, unsigned long& cp)
{
	const auto* b = reinterpret_cast<const unsigned char*>(s.data()) + i;
	const std::size_t left = s.size() - i;
	auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
		return k < left && b[k] >= lo && b[k] <= hi;
	};
	const unsigned char c = b[0];
	std::size_t n = 0;
	if (c >= 0xC2 && c <= 0xDF) n = cont(1) ? 2 : 0;
	else if (c == 0xE0) n = cont(1, 0xA0) && cont(2) ? 3 : 0;
	else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) n = cont(1) && cont(2) ? 3 : 0;
	else if (c == 0xED) n = cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
	else if (c == 0xF0) n = cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
	else if (c >= 0xF1 && c <= 0xF3) n = cont(1) && cont(2) && cont(3) ? 4 : 0;
	else if (c == 0xF4) n = cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
	if (n == 0) return 0;
	cp = n == 2 ? (c & 0x1Fu) : n == 3 ? (c & 0x0Fu) : (c & 0x07u);
	for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (b[k] & 0x3Fu);
	return n;
}

// Code points beyond ASCII that a terminal or log viewer acts on rather
// than shows: C1 controls (U+009B is a CSI on some terminals), line and
// paragraph separators, and the bidirectional controls that reorder what a
// reader sees.
bool isInvisibleControl(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == 0x200E || cp == 0x200F
		|| (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

bool isPlainAscii(unsigned char c)
{
	return c >= 0x20 && c < 0x7F;
}

std::string unicodeEscape(unsigned long cp)
{
	return "\\u" + Poco::toLower(Poco::NumberFormatter::formatHex(static_cast<unsigned>(cp), 4));
}

// The escape for the unit at `s[i]` (empty when it is kept as it is) and its
// width in bytes.
std::size_t unitAt(const std::string& s, std::size_t i, std::string& escape)
{
	escape.clear();
	const auto c = static_cast<unsigned char>(s[i]);
	if (isPlainAscii(c)) return 1;
	switch (c)
	{
	case '\n': escape = "\\n"; return 1;
	case '\r': escape = "\\r"; return 1;
	case '\t': escape = "\\t"; return 1;
	default: break;
	}
	if (c < 0x80)
	{
		escape = unicodeEscape(c);
		return 1;
	}
	unsigned long cp = 0;
	const std::size_t n = utf8At(s, i, cp);
	if (n == 0)
	{
		escape = "\\x" + Poco::toLower(Poco::NumberFormatter::formatHex(static_cast<unsigned>(c), 2));
		return 1;
	}
	if (isInvisibleControl(cp)) escape = unicodeEscape(cp);
	return n;
}

} // namespace

bool SafeText::isSafe(const std::string& text)
{
	std::string escape;
	for (std::size_t i = 0; i < text.size();)
	{
		if (isPlainAscii(static_cast<unsigned char>(text[i])))
		{
			++i;
			continue;
		}
		i += unitAt(text, i, escape);
		if (!escape.empty()) return false;
	}
	return true;
}

std::string SafeText::escape(const std::string& text, std::size_t maxLength)
{
	std::string out;
	out.reserve(text.size() < maxLength ? text.size() : maxLength);
	std::string escape;
	for (std::size_t i = 0; i < text.size();)
	{
		const std::size_t width = unitAt(text, i, escape);
		const std::size_t added = escape.empty() ? width : escape.size();
		if (out.size() + added > maxLength)
		{
			out += TruncationMark;
			return out;
		}
		if (escape.empty()) out.append(text, i, width);
		else out += escape;
		i += width;
	}
	return out;
}

std::string SafeText::quote(const std::string& text, std::size_t maxLength)
{
	return "'" + escape(text, maxLength) + "'";
}

} // namespace eventbus
