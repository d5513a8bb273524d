//
// DataText.h
//
// The data writer of CloudEventCodec::encodeData, showing a visitor what it
// writes: how the redaction count rides along with the one walk that writes
// a published object to text.
//
#pragma once

#include "EnvelopeReader.h"
#include <Poco/JSON/Object.h>
#include <string>

namespace eventbus {
namespace codec {

/// CloudEventCodec::encodeData(data), showing `visitor` every member name and
/// string value in the order it writes them, by the rules of
/// EnvelopeReader::checkObject (a name whose key() returns true: its value is
/// written, not shown). `shownAll` is false when a part was written by Poco's
/// own stringifier (an object that keeps insertion order, a value of another
/// type) and so not shown.
std::string encodeData(const Poco::JSON::Object& data, EnvelopeReader::Visitor& visitor, bool& shownAll);

} // namespace codec
} // namespace eventbus
