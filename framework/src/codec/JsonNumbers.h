//
// JsonNumbers.h
//
// Integers read exactly, and the numbers of a JSON text that Poco 1.11's
// parser would not read as the value they spell.
//
#pragma once

#include <Poco/Dynamic/Var.h>
#include <string>

namespace eventbus {
namespace codec {

/// Poco 1.11's JSON parser makes a negative integer an Int64 through a
/// double (so -123456789012345678 becomes -123456789012345680, and
/// -9223372036854775809 becomes -9223372036854775808), wraps integers just
/// past 2^64 (18446744073709551616 becomes 0) and refuses 1e400 as "not
/// JSON". The codec reads integers itself (integer()) and, where Poco's
/// parser reads the text, refuses what it would have changed (firstProblem()).
class JsonNumbers
{
public:
	/// The integer spelt by the digits [begin, end) (no sign, no leading
	/// zero but a lone 0), negated when `negative`, as the type Poco gives it:
	/// Int64, or UInt64 above Int64's range. False when it is outside
	/// [-2^63, 2^64 - 1].
	static bool integer(bool negative, const char* begin, const char* end, Poco::Dynamic::Var& out);

	/// Walks `text` as JSON (strings skipped) and returns why a number in it
	/// would not survive Poco's parser: "integer out of range" or "number out
	/// of range", or "" when every number would be read as its value.
	static std::string firstProblem(const std::string& text);
};

} // namespace codec
} // namespace eventbus
