//
// EnvelopeReader.h
//
// The codec's fast path: reads the JSON of a well-formed envelope (or a
// payload object) in one pass, building the data object as Poco's JSON
// parser would, but with every integer exact, and declines anything it is
// not certain about (the codec then parses with Poco, which stays the
// reference for every error message).
//
#pragma once

#include <Poco/JSON/Object.h>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eventbus {

class EnvelopeReader
{
public:
	/// What a read envelope holds: every member but data is a string.
	struct Envelope
	{
		std::vector<std::pair<std::string, std::string>> attributes; ///< sorted by name, names unique
		bool hasData = false;                                        ///< a data member was read
		Poco::JSON::Object::Ptr data;                                ///< null when absent or not built
		std::size_t dataBegin = 0;                                   ///< the data's bytes in the text
		std::size_t dataEnd = 0;
		bool dataCompact = false;                                    ///< no whitespace between the data's tokens
	};

	/// Reads `text` into `envelope`. False (and `envelope` unspecified) for
	/// anything outside the subset it reads: a top level that is not one
	/// object, a member other than data that is not a string, duplicate top-level
	/// names, data that is not an object, nesting deeper than MaxDepth, control
	/// characters, invalid UTF-8, \u0000, lone surrogates, integers outside
	/// [-2^63, 2^64 - 1], a number Poco's parseFloat refuses, and any syntax
	/// error. For what it accepts, the data object equals what
	/// Poco::JSON::Parser builds: the same keys, sorted objects, and the same
	/// value types (Int64 for integers, UInt64 above Int64's range, double
	/// through NumberParser::parseFloat, std::string, bool, empty for null,
	/// Object::Ptr, Array::Ptr), except that integers are exact where Poco
	/// 1.11 rounds them (negative ones beyond -2^53).
	/// With `buildData` false the data is checked by the same rules but not
	/// built (`data` stays null; `hasData`, its bytes and `dataCompact` are set).
	static bool read(const std::string& text, Envelope& envelope, bool buildData = true);

	/// Reads `text`, which must be one JSON object, by the rules read() applies
	/// to an envelope's data. False (and `object` null) for anything it declines.
	static bool readObject(const std::string& text, Poco::JSON::Object::Ptr& object);

	/// What checkObject shows of the text it checks.
	class Visitor
	{
	public:
		virtual ~Visitor() = default;
		/// Every member name, unescaped, outside values key() asked to skip;
		/// true: do not show this member's value (it is still checked). The
		/// view is valid during the call only (it points into the checked
		/// text, or into a scratch copy when the name holds escapes).
		virtual bool key(std::string_view name) = 0;
		/// Every string value, unescaped, outside skipped values; the view is
		/// valid during the call only.
		virtual void string(std::string_view value) = 0;
	};

	/// Checks `text` by the rules readObject() applies, building nothing;
	/// `compact` tells whether it holds no whitespace outside its strings
	/// (it is then byte for byte what the codec would carry). False for
	/// anything readObject() declines.
	static bool checkObject(const std::string& text, bool& compact, Visitor* visitor = nullptr);

	/// Nesting the reader accepts below the envelope (Poco's parser, with the
	/// codec's limit of 64, decides deeper ones).
	static constexpr int MaxDepth = 32;
};

} // namespace eventbus
