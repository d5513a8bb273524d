//
// CloudEventCodec.h
//
// The one wire codec: CloudEvents 1.0 JSON structured mode.
//
#pragma once

#include "eventbus/Event.h"
#include <string>

namespace eventbus {

class Redactor;

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
	/// Throws ValidationException ("payload: number out of range (not finite)")
	/// for an infinite or NaN double, which JSON cannot carry.
	static std::string encodeData(const Poco::JSON::Object& data);

	/// Parses and validates an envelope: specversion 1.0, non-empty id and
	/// source, a valid topic as type, valid tenantid, RFC 3339 time, JSON object
	/// data, string extensions only. Throws ValidationException naming the
	/// attribute at fault; never echoes data values. Refuses more than
	/// `maxBytes` before parsing, and data holding a number that would not
	/// arrive as the value it spells ("envelope: integer out of range",
	/// "envelope: number out of range"); integers in [-2^63, 2^64 - 1] are
	/// exact.
	static Event decode(const std::string& wire, std::size_t maxBytes);
	/// The same; `receivedData` gets the data's JSON text exactly as it is in
	/// `wire` (what a signature made by this codec's encoder covers), or is
	/// left empty when the envelope was not read by the fast path (JSON the
	/// fast path does not read is parsed by Poco::JSON::Parser).
	static Event decode(const std::string& wire, std::size_t maxBytes, std::string& receivedData);

	/// Parses payload text into the data object publish sends: one JSON object,
	/// nested at most 64 deep, at most `maxBytes` bytes. Every number arrives
	/// as the value it spells: integers are read exactly in [-2^63, 2^64 - 1]
	/// (Poco 1.11's parser rounds negative ones beyond -2^53 through a double);
	/// an integer outside that range, or a number beyond a double's range
	/// (1e400), is refused. Throws ValidationException: "payload: N bytes
	/// exceeds eventbus.maxPayloadBytes (M)", "payload: not valid JSON",
	/// "payload: must be a JSON object", "payload: integer out of range",
	/// "payload: number out of range". Never echoes the text.
	static Poco::JSON::Object::Ptr parsePayload(const std::string& json, std::size_t maxBytes);

	/// The same rules and refusals as parsePayload, as an event's data: text
	/// without whitespace outside its strings is checked and kept as it is
	/// (no object is built until someone reads it); any other is parsed (and
	/// written compactly when first needed).
	/// With `counter`, the check also counts the text's sensitive values for
	/// it (Redactor::checkAndCount): one walk where the redaction middleware
	/// would make a second.
	static EventData payloadData(const std::string& json, std::size_t maxBytes, const Redactor* counter = nullptr);

	/// RFC 3339 with microseconds, UTC.
	static std::string formatTime(const Poco::Timestamp& ts);

	/// A fresh random (version 4) UUID, lower-case, for the id attribute (and
	/// generated correlation ids): kernel randomness (getrandom), without the
	/// open/read/close of /dev/urandom Poco's UUIDGenerator::createRandom does
	/// for every UUID.
	static std::string newId();
};

} // namespace eventbus
