//
// EnvelopeSigner.cpp
//
// HMAC-SHA256 signatures over the canonical envelope, key rotation, verification.
//
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Exceptions.h"
#include "CloudEventTime.h"
#include <Poco/Base64Encoder.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>
#include <openssl/evp.h>
#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>
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

// A field of the canonical form, `<length>:<bytes>\n`, its length in
// decimal; `at` is where it goes in `out`, grown to the form's size ahead.
char* writeField(char* at, const char* value, std::size_t size)
{
	at = std::to_chars(at, at + 20, size).ptr;
	*at++ = ':';
	std::memcpy(at, value, size);
	at += size;
	*at++ = '\n';
	return at;
}

char* writeField(char* at, const std::string& value)
{
	return writeField(at, value.data(), value.size());
}

// The most a field adds besides its bytes: 20 digits, ':' and '\n'.
constexpr std::size_t FieldOverhead = 22;

bool constantTimeEquals(const std::string& a, const std::string& b)
{
	if (a.size() != b.size()) return false;
	unsigned char diff = 0;
	for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
	return diff == 0;
}

// Base64 as Poco's Base64Encoder writes it for a digest (standard alphabet,
// padded; no line break below 72 characters).
std::string base64(const unsigned char* bytes, std::size_t size)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	// Sized once and written through a pointer (a push_back per character
	// cost ~20 instructions each).
	std::string out((size + 2) / 3 * 4, '=');
	char* w = &out[0];
	std::size_t i = 0;
	for (; i + 3 <= size; i += 3)
	{
		const unsigned v = (unsigned(bytes[i]) << 16) | (unsigned(bytes[i + 1]) << 8) | bytes[i + 2];
		*w++ = alphabet[v >> 18];
		*w++ = alphabet[(v >> 12) & 63];
		*w++ = alphabet[(v >> 6) & 63];
		*w++ = alphabet[v & 63];
	}
	if (i < size)
	{
		// The padding '=' is already there.
		const unsigned v = (unsigned(bytes[i]) << 16) | (i + 1 < size ? unsigned(bytes[i + 1]) << 8 : 0u);
		*w++ = alphabet[v >> 18];
		*w++ = alphabet[(v >> 12) & 63];
		if (i + 1 < size) *w = alphabet[(v >> 6) & 63];
	}
	return out;
}

// Poco's portable HMAC-SHA256, base64: used only when OpenSSL cannot (a
// provider without SHA-256).
std::string pocoMac(const std::string& key, const std::string& message)
{
	Poco::HMACEngine<SHA256Engine> hmac(key);
	hmac.update(message);
	const Poco::DigestEngine::Digest& digest = hmac.digest();
	std::ostringstream out;
	Poco::Base64Encoder encoder(out);
	encoder.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
	encoder.close();
	return out.str();
}

struct DigestContextDeleter
{
	void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestContextDeleter>;

} // namespace

// HMAC (RFC 2104) on OpenSSL's SHA-256, which uses the CPU's SHA extensions
// where there are any (Poco's SHA-256 is portable C): the hash states after
// the inner and outer key blocks are computed once per key and copied for
// each message.
class EnvelopeSigner::Mac
{
public:
	explicit Mac(const std::string& key): _key(key)
	{
		unsigned char block[64] = {};
		if (key.size() > sizeof(block))
		{
			unsigned int length = 0;
			if (EVP_Digest(key.data(), key.size(), block, &length, EVP_sha256(), nullptr) != 1) return;
		}
		else
		{
			std::copy(key.begin(), key.end(), block);
		}
		unsigned char inner[64], outer[64];
		for (std::size_t i = 0; i < sizeof(block); ++i)
		{
			inner[i] = static_cast<unsigned char>(block[i] ^ 0x36);
			outer[i] = static_cast<unsigned char>(block[i] ^ 0x5c);
		}
		DigestContext innerContext(EVP_MD_CTX_new()), outerContext(EVP_MD_CTX_new());
		if (innerContext && outerContext && EVP_DigestInit_ex(innerContext.get(), EVP_sha256(), nullptr) == 1
			&& EVP_DigestUpdate(innerContext.get(), inner, sizeof(inner)) == 1
			&& EVP_DigestInit_ex(outerContext.get(), EVP_sha256(), nullptr) == 1
			&& EVP_DigestUpdate(outerContext.get(), outer, sizeof(outer)) == 1)
		{
			_inner = std::move(innerContext);
			_outer = std::move(outerContext);
		}
	}

	/// base64(HMAC-SHA256(key, message)).
	std::string operator()(const std::string& message) const
	{
		if (_inner)
		{
			thread_local DigestContext work(EVP_MD_CTX_new());
			unsigned char innerDigest[EVP_MAX_MD_SIZE], digest[EVP_MAX_MD_SIZE];
			unsigned int innerLength = 0, length = 0;
			if (work && EVP_MD_CTX_copy_ex(work.get(), _inner.get()) == 1
				&& EVP_DigestUpdate(work.get(), message.data(), message.size()) == 1
				&& EVP_DigestFinal_ex(work.get(), innerDigest, &innerLength) == 1
				&& EVP_MD_CTX_copy_ex(work.get(), _outer.get()) == 1
				&& EVP_DigestUpdate(work.get(), innerDigest, innerLength) == 1
				&& EVP_DigestFinal_ex(work.get(), digest, &length) == 1)
				return base64(digest, length);
		}
		return pocoMac(_key, message);
	}

private:
	const std::string _key;
	DigestContext _inner, _outer; // null when OpenSSL could not set them up
};

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
	for (const auto& entry : _keys) _macs[entry.first] = std::make_shared<const Mac>(entry.second);
}

std::string EnvelopeSigner::canonical(const Event& event, const std::string& dataJson)
{
	static constexpr char Head[] = "eventbus-signature-v1\n";
	// The time as the envelope writes it, in place where it can be.
	char timeBuffer[codec::CanonicalTimeSize];
	std::string timeText;
	const char* time = timeBuffer;
	std::size_t timeSize = sizeof(timeBuffer);
	if (!codec::writeCanonicalTime(event.time, timeBuffer))
	{
		timeText = CloudEventCodec::formatTime(event.time);
		time = timeText.data();
		timeSize = timeText.size();
	}
	// The signature's own two attributes are not part of what it covers.
	auto covered = [](const std::string& name) { return name != SignatureAttribute && name != KeyIdAttribute; };
	const std::string* const head[] = {&event.id, &event.source, &event.type};
	const std::string* const tail[] = {&event.dataContentType, &event.tenantId, &event.correlationId};
	// One allocation: the fields are measured first, then written in place.
	std::size_t size = sizeof(Head) - 1 + dataJson.size() + FieldOverhead + timeSize + FieldOverhead;
	for (const std::string* field : head) size += field->size() + FieldOverhead;
	for (const std::string* field : tail) size += field->size() + FieldOverhead;
	for (const auto& ext : event.extensions)
		if (covered(ext.first)) size += ext.first.size() + ext.second.size() + 2 * FieldOverhead;
	std::string out(size, '\0');
	char* at = &out[0];
	std::memcpy(at, Head, sizeof(Head) - 1);
	at += sizeof(Head) - 1;
	for (const std::string* field : head) at = writeField(at, *field);
	at = writeField(at, time, timeSize);
	for (const std::string* field : tail) at = writeField(at, *field);
	for (const auto& ext : event.extensions)
	{
		if (!covered(ext.first)) continue;
		at = writeField(at, ext.first);
		at = writeField(at, ext.second);
	}
	at = writeField(at, dataJson);
	out.resize(static_cast<std::size_t>(at - out.data()));
	return out;
}

void EnvelopeSigner::sign(Event& event, const std::string& dataJson) const
{
	event.extensions.erase(SignatureAttribute);
	event.extensions[KeyIdAttribute] = _keyId;
	event.extensions[SignatureAttribute] = (*_macs.at(_keyId))(canonical(event, dataJson));
}

std::string EnvelopeSigner::verify(const Event& event) const
{
	return verify(event, std::string());
}

std::string EnvelopeSigner::verify(const Event& event, const std::string& receivedData) const
{
	auto signature = event.extensions.find(SignatureAttribute);
	auto keyId = event.extensions.find(KeyIdAttribute);
	if (signature == event.extensions.end() || keyId == event.extensions.end()) return "unsigned";
	auto mac = _macs.find(keyId->second);
	if (mac == _macs.end()) return "unknown-key";
	if (!receivedData.empty() && constantTimeEquals((*mac->second)(canonical(event, receivedData)), signature->second))
		return {};
	const std::string& data = event.data.json();
	if (data == receivedData) return "bad-signature"; // just checked
	if (!constantTimeEquals((*mac->second)(canonical(event, data)), signature->second)) return "bad-signature";
	return {};
}

} // namespace eventbus
