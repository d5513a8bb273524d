//
// EnvelopeSigner.cpp
//
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Exceptions.h"
#include <Poco/Base64Encoder.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>
#include <sstream>

namespace eventbus {

namespace {

// Poco 1.11's SHA2Engine lacks the block and digest sizes HMACEngine needs.
class SHA256Engine: public Poco::SHA2Engine
{
public:
	enum
	{
		BLOCK_SIZE = 64,
		DIGEST_SIZE = 32
	};
	SHA256Engine(): Poco::SHA2Engine(SHA_256) {}
};

void appendField(std::string& out, const std::string& value)
{
	out.append(std::to_string(value.size())).append(1, ':').append(value).append(1, '\n');
}

bool constantTimeEquals(const std::string& a, const std::string& b)
{
	if (a.size() != b.size()) return false;
	unsigned char diff = 0;
	for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
	return diff == 0;
}

} // namespace

std::unique_ptr<EnvelopeSigner> EnvelopeSigner::fromConfig(const Poco::Util::AbstractConfiguration& config,
	const std::string& env)
{
	const std::string requiredKey = "eventbus.security.signing.required";
	bool required = env == "production";
	if (config.hasProperty(requiredKey))
	{
		std::string text = Poco::toLower(Poco::trim(config.getString(requiredKey)));
		if (text == "true") required = true;
		else if (text == "false") required = false;
		else throw ConfigException(requiredKey + ": '" + text + "' is not a boolean (true or false)");
	}
	std::string key = config.hasProperty("eventbus.security.signing.key")
		? config.getString("eventbus.security.signing.key") : std::string();
	// An unresolved ${system.env.X} stays literal: treat it as no key, never as a key.
	if (key.find("${") != std::string::npos) key.clear();
	std::map<std::string, std::string> verifyKeys;
	{
		Poco::Util::AbstractConfiguration::Keys ids;
		config.keys("eventbus.security.signing.keys", ids);
		for (const auto& id : ids)
		{
			std::string value = config.getString("eventbus.security.signing.keys." + id, "");
			if (value.find("${") != std::string::npos || value.empty()) continue;
			if (value.size() < MinKeyLength)
				throw ConfigException("eventbus.security.signing.keys." + id + ": shorter than "
					+ std::to_string(MinKeyLength) + " characters");
			verifyKeys[id] = value;
		}
	}
	if (key.empty())
	{
		if (required)
			throw ConfigException("eventbus.security.signing.key: not set, and env '" + env
				+ "' requires signed envelopes (set the key, or eventbus.security.signing.required=false)");
		if (verifyKeys.empty()) return nullptr;
		throw ConfigException("eventbus.security.signing.key: not set, but verification keys are configured");
	}
	if (key.size() < MinKeyLength)
		throw ConfigException("eventbus.security.signing.key: shorter than " + std::to_string(MinKeyLength) + " characters");
	std::string keyId = Poco::trim(config.getString("eventbus.security.signing.keyId", "k1"));
	if (keyId.empty() || keyId.size() > 64)
		throw ConfigException("eventbus.security.signing.keyId: must be 1-64 characters");
	return std::unique_ptr<EnvelopeSigner>(new EnvelopeSigner(keyId, key, verifyKeys));
}

EnvelopeSigner::EnvelopeSigner(std::string keyId, std::string key, std::map<std::string, std::string> verifyKeys):
	_keyId(std::move(keyId)),
	_key(std::move(key)),
	_keys(std::move(verifyKeys))
{
	_keys[_keyId] = _key;
}

std::string EnvelopeSigner::canonical(const Event& event, const std::string& dataJson)
{
	std::string out;
	out.reserve(dataJson.size() + 256);
	out.append("eventbus-signature-v1\n");
	appendField(out, event.id);
	appendField(out, event.source);
	appendField(out, event.type);
	appendField(out, CloudEventCodec::formatTime(event.time));
	appendField(out, event.dataContentType);
	appendField(out, event.tenantId);
	appendField(out, event.correlationId);
	for (const auto& ext : event.extensions)
	{
		if (ext.first == SignatureAttribute || ext.first == KeyIdAttribute) continue;
		appendField(out, ext.first);
		appendField(out, ext.second);
	}
	appendField(out, dataJson);
	return out;
}

std::string EnvelopeSigner::mac(const std::string& key, const std::string& canonicalForm) const
{
	Poco::HMACEngine<SHA256Engine> hmac(key);
	hmac.update(canonicalForm);
	const Poco::DigestEngine::Digest& digest = hmac.digest();
	std::ostringstream out;
	Poco::Base64Encoder encoder(out);
	encoder.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
	encoder.close();
	return out.str();
}

void EnvelopeSigner::sign(Event& event, const std::string& dataJson) const
{
	event.extensions.erase(SignatureAttribute);
	event.extensions[KeyIdAttribute] = _keyId;
	event.extensions[SignatureAttribute] = mac(_key, canonical(event, dataJson));
}

std::string EnvelopeSigner::verify(const Event& event) const
{
	auto signature = event.extensions.find(SignatureAttribute);
	auto keyId = event.extensions.find(KeyIdAttribute);
	if (signature == event.extensions.end() || keyId == event.extensions.end()) return "unsigned";
	auto key = _keys.find(keyId->second);
	if (key == _keys.end()) return "unknown-key";
	const std::string data = event.data ? CloudEventCodec::encodeData(*event.data) : std::string("{}");
	if (!constantTimeEquals(mac(key->second, canonical(event, data)), signature->second)) return "bad-signature";
	return {};
}

} // namespace eventbus
