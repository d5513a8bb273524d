//
// CloudEventTime.h
//
// Reading the codec's time attribute in its canonical form,
// YYYY-MM-DDTHH:MM:SS.ffffffZ, without Poco's date arithmetic.
//
#pragma once

#include <Poco/DateTime.h>
#include <Poco/Timestamp.h>
#include <cstddef>
#include <string>

namespace eventbus {
namespace codec {

/// The canonical form as a DateTime, checked as Poco's ISO 8601 parser
/// would; false for anything else (which then goes through Poco's parser).
bool parseCanonicalTime(const std::string& s, Poco::DateTime& dateTime);

/// The same form straight to a timestamp (UTC, 1970 or later); false for
/// anything else.
bool parseCanonicalTimestamp(const std::string& s, Poco::Timestamp& timestamp);

/// The length of the canonical form.
constexpr std::size_t CanonicalTimeSize = 27;

/// Writes the canonical form of `ts` (CanonicalTimeSize bytes, no
/// terminator) to `out`, exactly as CloudEventCodec::formatTime returns it;
/// false (nothing written) before 1970 and after 9999, where formatTime
/// asks Poco.
bool writeCanonicalTime(const Poco::Timestamp& ts, char* out);

} // namespace codec
} // namespace eventbus
