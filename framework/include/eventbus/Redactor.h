//
// Redactor.h
//
// Masks the values of sensitive keys, and the passwords of URL-shaped
// values, wherever event content could be printed.
//
#pragma once

#include <Poco/JSON/Array.h>
#include "eventbus/Event.h"
#include <Poco/JSON/Object.h>
#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace eventbus {

class Redactor
{
public:
	static constexpr const char* Mask = "***";

	/// The default list of eventbus.redaction.keys.
	static std::vector<std::string> defaultKeys();

	/// Keys compare case-insensitively.
	explicit Redactor(const std::vector<std::string>& keys = defaultKeys());

	bool isSensitive(std::string_view key) const;

	/// A deep copy with every sensitive key's value (whatever its type) masked,
	/// in nested objects and arrays, and the password of every URL-shaped
	/// string value masked (maskUrlCredentials). `masked` receives the number
	/// of values masked.
	Poco::JSON::Object::Ptr redactCopy(const Poco::JSON::Object::Ptr& object, std::size_t* masked = nullptr) const;

	/// The number of values redactCopy would mask (sensitive keys' values,
	/// URL passwords in string values), without copying anything: what the
	/// redaction middleware counts, and what decides whether it must copy.
	std::size_t countSensitive(const Poco::JSON::Object& object) const;
	/// The same for an event's data without building its object when it is
	/// still text: the text is walked instead. A member name given twice
	/// counts every time (the object keeps the last), so the walk may count
	/// more, never less, than the object would.
	std::size_t countSensitive(const EventData& data) const;

	/// Payload data from `json` when the codec's fast reader accepts it as
	/// compact JSON text (what CloudEventCodec::payloadData keeps as it came),
	/// checked and counted in one walk: countSensitive() of the data it
	/// returns (and of its copies) gives that count without walking the text
	/// again. Null data for any other text (the caller parses it).
	EventData checkAndCount(const std::string& json) const;

	/// data.json(), and when the text is written now (the data was given as
	/// an object), its sensitive values counted in the same walk: until the
	/// object is reached through the data's mutable operator->,
	/// countSensitive() of this data gives that count, the count of the text
	/// as written. Counted afresh as before when part of the object is
	/// written by Poco's stringifier (an object that keeps insertion order).
	const std::string& writeAndCount(const EventData& data) const;

	/// The redacted object as compact JSON for a log line; string values that
	/// hold `key=value` pairs, escaped JSON text of sensitive keys or URLs with
	/// credentials are masked too; escaped by SafeText::escape (one line, no
	/// control characters), not bounded.
	std::string toJson(const Poco::JSON::Object::Ptr& object) const;

	/// Best effort for free text (exception messages, raw wire bytes): if it is
	/// JSON, redacts it structurally; then masks `key":"value`, `key=value`
	/// and `key: value` forms of sensitive keys anywhere in the text, also with
	/// JSON escapes in the key (`pass\u0077ord`), inside escaped JSON text
	/// (`\"token\":\"x\"`), and whole when the value is an object or an
	/// array. A bare value ends at the next space, `,`, `;`, `&`, quote or
	/// bracket (after an HTTP authentication scheme such as `Bearer`, the
	/// credential after it). The password of every `scheme://user:password@host`
	/// is masked (`redis://app:***@db:6379/0`). The result is escaped by
	/// SafeText::escape: one line without control characters or invalid UTF-8,
	/// at most `maxLength` bytes plus SafeText::TruncationMark. What the bus,
	/// the plugins and the CLI use to print wire text and error messages.
	std::string redactText(const std::string& text, std::size_t maxLength = 2048) const;

	/// `text` with the password of every URL-shaped part masked:
	/// `redis://app:hunter2@db:6379/0` becomes `redis://app:***@db:6379/0`, and a
	/// user info without a colon (often a token) is masked whole
	/// (`https://***@host`). `masked` receives the number of URLs masked.
	static std::string maskUrlCredentials(const std::string& text, std::size_t* masked = nullptr);

private:
	Poco::Dynamic::Var redactValue(const Poco::Dynamic::Var& value, std::size_t& masked) const;
	std::size_t countSensitive(const Poco::Dynamic::Var& value) const;
	std::string maskPairs(const std::string& text) const;
	std::size_t maskValue(const std::string& text, std::size_t valueStart, std::size_t escapeLevel, std::string& out) const;
	std::vector<std::string> _keys; // normalised, sorted, unique; a flat list for the scan of every key
	// _keys by their last character: those ending in character c are
	// _byLast[_lastBegin[c] .. _lastBegin[c + 1]), so a key is compared only
	// with the listed keys it could end with.
	std::vector<std::string> _byLast;
	std::array<std::uint32_t, 257> _lastBegin{};
	// The last two characters of the listed keys (of two or more), hashed
	// into 1024 bits: a key whose own last two are not among them ends in
	// none of those, and is passed without a comparison. _single[c]: a listed
	// key is the one character c (it ends every key ending in c).
	std::array<std::uint64_t, 16> _lastPairs{};
	std::array<bool, 256> _single{};
};

} // namespace eventbus
