//
// CloudEventCodec.h
//
// The one wire codec: CloudEvents 1.0 JSON structured mode.
//
#pragma once

#include "eventbus/Event.h"
#include <string>

namespace eventbus {

class CloudEventCodec
{
public:
	static constexpr const char* SpecVersion = "1.0";
	/// Bytes an envelope may carry beyond its data.
	static constexpr std::size_t EnvelopeOverheadBytes = 16 * 1024;
	/// At most this many extension attributes are accepted on decode.
	static constexpr std::size_t MaxExtensions = 32;

	/// Serialises the event; `dataJson` is the data already stringified
	/// (the bus stringifies once, to check the size and to encode).
	static std::string encode(const Event& event, const std::string& dataJson);
	/// Serialises the event, stringifying its data.
	static std::string encode(const Event& event);

	/// The data as compact JSON: byte for byte what Poco::JSON::Object::stringify
	/// writes (signatures cover these bytes), without its per-character stream cost.
	static std::string encodeData(const Poco::JSON::Object& data);

	/// Parses and validates an envelope: specversion 1.0, non-empty id and
	/// source, a valid topic as type, valid tenantid, RFC 3339 time, JSON object
	/// data, string extensions only. Throws ValidationException naming the
	/// attribute at fault; never echoes data values. Refuses more than
	/// `maxBytes` before parsing.
	static Event decode(const std::string& wire, std::size_t maxBytes);
	/// The same; `receivedData` gets the data's JSON text exactly as it is in
	/// `wire` (what a signature made by this codec's encoder covers), or is
	/// left empty when the envelope was not read by the fast path (JSON the
	/// fast path does not read is parsed by Poco::JSON::Parser).
	static Event decode(const std::string& wire, std::size_t maxBytes, std::string& receivedData);

	/// RFC 3339 with microseconds, UTC.
	static std::string formatTime(const Poco::Timestamp& ts);

	/// A fresh random (version 4) UUID, lower-case, for the id attribute (and
	/// generated correlation ids): kernel randomness (getrandom), without the
	/// open/read/close of /dev/urandom Poco's UUIDGenerator::createRandom does
	/// for every UUID.
	static std::string newId();
};

} // namespace eventbus
