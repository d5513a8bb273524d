//
// Redactor.h
//
// Masks the values of sensitive keys wherever event content could be printed.
//
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <set>
#include <string>
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

	bool isSensitive(const std::string& key) const;

	/// A deep copy with every sensitive key's value (whatever its type) masked,
	/// in nested objects and arrays. `masked` receives the number of values masked.
	Poco::JSON::Object::Ptr redactCopy(const Poco::JSON::Object::Ptr& object, std::size_t* masked = nullptr) const;

	/// The redacted object as compact JSON; string values that hold
	/// `key=value` pairs or escaped JSON text of sensitive keys are masked too.
	std::string toJson(const Poco::JSON::Object::Ptr& object) const;

	/// Best effort for free text (exception messages, raw wire bytes): if it is
	/// JSON, redacts it structurally; then masks `key":"value`, `key=value`
	/// and `key: value` forms of sensitive keys anywhere in the text, also with
	/// JSON escapes in the key (`pass\u0077ord`), inside escaped JSON text
	/// (`\"token\":\"x\"`), and whole when the value is an object or an
	/// array. Truncates to `maxLength` characters.
	std::string redactText(const std::string& text, std::size_t maxLength = 2048) const;

private:
	Poco::Dynamic::Var redactValue(const Poco::Dynamic::Var& value, std::size_t& masked) const;
	std::string maskPairs(const std::string& text) const;
	std::size_t maskValue(const std::string& text, std::size_t valueStart, std::size_t escapeLevel, std::string& out) const;
	std::vector<std::string> _keys; // normalised, sorted, unique; a flat list for the scan of every key
};

} // namespace eventbus
