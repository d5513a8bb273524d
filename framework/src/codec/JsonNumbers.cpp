//
// JsonNumbers.cpp
//
// Exact integers for the codec's readers, and the check of the numbers a
// text holds before Poco's parser reads it.
//
#include "JsonNumbers.h"
#include <Poco/NumberParser.h>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace eventbus {
namespace codec {

namespace {

const Poco::UInt64 Int64Magnitude = Poco::UInt64(1) << 63; // |INT64_MIN|

// The magnitude of the digits; false past 2^64 - 1.
bool magnitudeOf(const char* begin, const char* end, Poco::UInt64& value)
{
	const Poco::UInt64 max = std::numeric_limits<Poco::UInt64>::max();
	value = 0;
	for (const char* d = begin; d != end; ++d)
	{
		const unsigned digit = static_cast<unsigned>(*d - '0');
		if (value > (max - digit) / 10) return false;
		value = value * 10 + digit;
	}
	return true;
}

bool isDigit(char c)
{
	return c >= '0' && c <= '9';
}

} // namespace

bool JsonNumbers::integer(bool negative, const char* begin, const char* end, Poco::Dynamic::Var& out)
{
	Poco::UInt64 magnitude = 0;
	if (end - begin > 20 || !magnitudeOf(begin, end, magnitude)) return false;
	if (negative)
	{
		if (magnitude > Int64Magnitude) return false;
		out = magnitude == Int64Magnitude ? std::numeric_limits<Poco::Int64>::min() : -static_cast<Poco::Int64>(magnitude);
	}
	else if (magnitude > static_cast<Poco::UInt64>(std::numeric_limits<Poco::Int64>::max())) out = magnitude;
	else out = static_cast<Poco::Int64>(magnitude);
	return true;
}

std::string JsonNumbers::firstProblem(const std::string& text)
{
	const char* p = text.data();
	const char* const end = p + text.size();
	while (p != end)
	{
		if (*p == '"')
		{
			for (++p; p != end && *p != '"'; ++p)
				if (*p == '\\' && p + 1 != end) ++p;
			if (p != end) ++p;
			continue;
		}
		if (*p != '-' && !isDigit(*p))
		{
			++p;
			continue;
		}
		const char* start = p;
		const bool negative = *p == '-';
		if (negative) ++p;
		const char* digits = p;
		while (p != end && isDigit(*p)) ++p;
		const char* digitsEnd = p;
		bool integer = true;
		while (p != end && (isDigit(*p) || *p == '.' || *p == 'e' || *p == 'E' || *p == '+' || *p == '-'))
		{
			integer = false;
			++p;
		}
		if (digits == digitsEnd) continue;
		if (integer)
		{
			Poco::UInt64 magnitude = 0;
			if (!magnitudeOf(digits, digitsEnd, magnitude)) return "integer out of range";
			// Poco negates through a double: exact only where the double is.
			if (negative && (magnitude > Int64Magnitude
				|| static_cast<Poco::UInt64>(static_cast<double>(magnitude)) != magnitude))
				return "integer out of range";
			continue;
		}
		// Poco refuses a number past a double's range as a syntax error
		// (1e400); strtod tells it apart from one.
		const std::string token(start, p);
		double value = 0;
		if (Poco::NumberParser::tryParseFloat(token, value))
		{
			if (!std::isfinite(value)) return "number out of range";
			continue;
		}
		char* parsedEnd = nullptr;
		errno = 0;
		value = std::strtod(token.c_str(), &parsedEnd);
		if (parsedEnd == token.c_str() + token.size() && errno == ERANGE && std::isinf(value))
			return "number out of range";
	}
	return {};
}

} // namespace codec
} // namespace eventbus
