//
// UrlCredentials.cpp
//
// Finding the user info of URL-shaped text and masking its password.
//
#include "UrlCredentials.h"
#include "eventbus/Redactor.h"
#include <cctype>
#include <cstring>

namespace eventbus {

std::size_t UrlCredentials::afterSlashes(const std::string& in, std::size_t i)
{
	if (in.compare(i, 2, "//") == 0) return i + 2;
	if (in.compare(i, 4, "\\/\\/") == 0) return i + 4;
	return 0;
}

std::size_t UrlCredentials::maskAuthority(const std::string& in, std::size_t p, std::string& out, std::size_t& masked)
{
	// The authority ends where a path, query or fragment starts, or where
	// the text around the URL resumes; the last '@' before that ends the
	// user info (a password with an unencoded '@' is still masked whole).
	static const char* const ends = "/?#\"' \t\r\n<>{}[]";
	std::size_t end = p;
	while (end < in.size() && !std::strchr(ends, in[end])) ++end;
	const std::size_t at = in.rfind('@', end == 0 ? 0 : end - 1);
	if (at == std::string::npos || at < p || at >= end) return p;
	const std::size_t colon = in.find(':', p);
	if (colon < at) out.append(in, p, colon + 1 - p);
	out += Redactor::Mask;
	++masked;
	return at;
}

std::string UrlCredentials::mask(const std::string& text, std::size_t* masked)
{
	std::size_t count = 0;
	std::string out;
	std::size_t copied = 0;
	for (std::size_t colon = text.find(':'); colon != std::string::npos; colon = text.find(':', colon + 1))
	{
		// A scheme: a letter, then letters, digits, '+', '-', '.'.
		std::size_t start = colon;
		while (start > 0 && (std::isalnum(static_cast<unsigned char>(text[start - 1])) || text[start - 1] == '+'
			|| text[start - 1] == '-' || text[start - 1] == '.'))
			--start;
		if (start == colon || !std::isalpha(static_cast<unsigned char>(text[start]))) continue;
		const std::size_t authority = afterSlashes(text, colon + 1);
		if (authority == 0 || authority < copied) continue;
		out.append(text, copied, authority - copied);
		copied = maskAuthority(text, authority, out, count);
	}
	if (masked) *masked = count;
	if (count == 0) return text;
	out.append(text, copied, std::string::npos);
	return out;
}

} // namespace eventbus
