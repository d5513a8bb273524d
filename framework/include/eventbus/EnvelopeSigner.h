//
// EnvelopeSigner.h
//
// HMAC-SHA256 signatures over the canonical envelope, with key ids for
// rotation.
//
#pragma once

#include "eventbus/Event.h"
#include <Poco/Util/AbstractConfiguration.h>
#include <map>
#include <memory>
#include <string>

namespace eventbus {

/// Signs published events and verifies delivered ones.
///
/// The signature covers every attribute but itself: id, source, type, time,
/// datacontenttype, tenantid, correlationid, every other extension, and the
/// data as compact JSON; each field is length-prefixed, so no two envelopes
/// share a canonical form. It travels in the extensions `signature`
/// (base64 HMAC-SHA256) and `sigkeyid`.
///
/// Keys: eventbus.security.signing.key (the key that signs, at least 32
/// characters, usually ${system.env.NAME}), eventbus.security.signing.keyId
/// (its id, default "k1"), eventbus.security.signing.keys.<id> (further keys
/// accepted when verifying, for rotation), eventbus.security.signing.required
/// (default true in env "production", false elsewhere).
class EnvelopeSigner
{
public:
	static constexpr const char* SignatureAttribute = "signature";
	static constexpr const char* KeyIdAttribute = "sigkeyid";
	static constexpr std::size_t MinKeyLength = 32;

	/// Null when signing is not configured and not required; throws
	/// ConfigException when it is required and no key is set, or a key is
	/// too short.
	static std::unique_ptr<EnvelopeSigner> fromConfig(const Poco::Util::AbstractConfiguration& config,
		const std::string& env);

	EnvelopeSigner(std::string keyId, std::string key, std::map<std::string, std::string> verifyKeys);

	/// Adds the signature attributes; `dataJson` is the data as it will be sent.
	void sign(Event& event, const std::string& dataJson) const;

	/// Empty when the signature is valid; otherwise the drop reason:
	/// unsigned, unknown-key, bad-signature.
	std::string verify(const Event& event) const;

	/// The same, checking first over `receivedData`, the data's JSON text as
	/// it arrived: it must be the bytes `event.data` was decoded from
	/// (CloudEventCodec::decode's `receivedData` for this event), the bytes the
	/// sender signed, so the data need not be serialised again. When that does
	/// not match (or `receivedData` is empty), the data's compact
	/// re-serialisation is checked, as verify(event) does. The canonical form
	/// is unchanged: every signature verify(event) accepts is accepted, and a
	/// signature over the data bytes exactly as sent (which is what this bus's
	/// encoder sends) is accepted even where re-serialising would alter them.
	std::string verify(const Event& event, const std::string& receivedData) const;

	/// The canonical bytes the signature covers.
	static std::string canonical(const Event& event, const std::string& dataJson);

private:
	class Mac; // HMAC-SHA256 under one key, its padded key blocks hashed once
	std::string _keyId;
	std::string _key;
	std::map<std::string, std::string> _keys; // id -> key, includes the signing key
	std::map<std::string, std::shared_ptr<const Mac>> _macs; // id -> its key's Mac
};

} // namespace eventbus
