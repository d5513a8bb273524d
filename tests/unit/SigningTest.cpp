// Suite ID: unit.signing
//
// SigningTest.cpp
//
// Signed envelopes: HMAC over the canonical envelope, key ids for rotation,
// configuration refusals, and the bus dropping unsigned, tampered and
// unknown-key events before any handler sees them.
//
#include "BusTestSupport.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <Poco/Base64Encoder.h>
#include <Poco/HMACEngine.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>
#include <Poco/Util/MapConfiguration.h>
#include <cppunit/extensions/HelperMacros.h>
#include <sstream>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string KeyA = "key-a-0123456789abcdef0123456789abcdef";
const std::string KeyB = "key-b-0123456789abcdef0123456789abcdef";
const std::string KeyC = "key-c-0123456789abcdef0123456789abcdef";

std::string compact(const Poco::JSON::Object::Ptr& data)
{
	std::ostringstream out;
	data->stringify(out);
	return out.str();
}

Event signedEvent(const EnvelopeSigner& signer)
{
	Event e = handMadeEvent("acme", "orders.created");
	e.data = payload("amount", 10);
	signer.sign(e, compact(e.data));
	return e;
}

/// A copy whose data is a fresh object (the original shares its data).
Event withData(const Event& e, const std::string& key, const Poco::Dynamic::Var& value)
{
	Event copy = e;
	Poco::JSON::Parser parser;
	copy.data = parser.parse(compact(e.data)).extract<Poco::JSON::Object::Ptr>();
	copy.data->set(key, value);
	return copy;
}

// The signature as the first implementation computed it: Poco's HMAC-SHA256
// over the canonical form, base64 by Poco. Signatures already on the wire
// (and other implementations) depend on exactly these bytes.
class PocoSHA256: public Poco::SHA2Engine
{
public:
	enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
	PocoSHA256(): Poco::SHA2Engine(SHA_256) {}
};

std::string pocoSignature(const std::string& key, const Event& e, const std::string& dataJson)
{
	Poco::HMACEngine<PocoSHA256> hmac(key);
	hmac.update(EnvelopeSigner::canonical(e, dataJson));
	const Poco::DigestEngine::Digest& digest = hmac.digest();
	std::ostringstream out;
	Poco::Base64Encoder encoder(out);
	encoder.write(reinterpret_cast<const char*>(digest.data()), static_cast<std::streamsize>(digest.size()));
	encoder.close();
	return out.str();
}

// An envelope whose data bytes are not the compact form (spaces, key order).
const std::string LooseData = "{ \"b\": [1, 2.50], \"a\": \"x\" }";

std::unique_ptr<EnvelopeSigner> signerFrom(const std::map<std::string, std::string>& keys, const std::string& env)
{
	Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
	for (const auto& kv : keys)
		config->setString(kv.first, kv.second);
	return EnvelopeSigner::fromConfig(*config, env);
}

std::unique_ptr<EventBus> bus(const std::string& transport, const std::map<std::string, std::string>& overrides)
{
	return std::unique_ptr<EventBus>(new EventBus(*makeConfig(transport, overrides)));
}

} // namespace

class SigningTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SigningTest);
	CPPUNIT_TEST(testSignedEventVerifies);
	CPPUNIT_TEST(testSignatureTravelsAsExtensions);
	CPPUNIT_TEST(testSignatureSurvivesTheCodec);
	CPPUNIT_TEST(testTamperedDataIsBadSignature);
	CPPUNIT_TEST(testTamperedTenantIsBadSignature);
	CPPUNIT_TEST(testTamperedTimeIsBadSignature);
	CPPUNIT_TEST(testAddedExtensionIsBadSignature);
	CPPUNIT_TEST(testUnsignedEventIsReported);
	CPPUNIT_TEST(testUnknownKeyIdIsReported);
	CPPUNIT_TEST(testOtherKeyUnderSameIdIsBadSignature);
	CPPUNIT_TEST(testRotationAcceptsOldKeyListedUnderKeys);
	CPPUNIT_TEST(testCanonicalFormIsUnambiguous);
	CPPUNIT_TEST(testCanonicalFormIsPinned);
	CPPUNIT_TEST(testSignatureIsPocoHmacOverTheCanonicalForm);
	CPPUNIT_TEST(testKeysOfEveryLengthSignAsPocoDoes);
	CPPUNIT_TEST(testReceivedDataVerifiesWithoutReserialising);
	CPPUNIT_TEST(testSignatureOverCompactFormVerifiesWithLooseReceivedData);
	CPPUNIT_TEST(testTamperedReceivedDataIsBadSignature);
	CPPUNIT_TEST(testReceivedDataOfAnotherEventIsBadSignature);
	CPPUNIT_TEST(testNoSignerWhenNotConfiguredOutsideProduction);
	CPPUNIT_TEST(testProductionWithoutKeyIsRefused);
	CPPUNIT_TEST(testProductionMayOptOut);
	CPPUNIT_TEST(testUnresolvedEnvReferenceIsNoKey);
	CPPUNIT_TEST(testShortKeyIsRefusedWithoutEchoingIt);
	CPPUNIT_TEST(testShortVerificationKeyIsRefused);
	CPPUNIT_TEST(testRequiredWithoutKeyRefusesBus);
	CPPUNIT_TEST(testSigningBusDeliversItsOwnEvents);
	CPPUNIT_TEST(testSigningBusDropsUnsignedEvent);
	CPPUNIT_TEST(testSigningBusDropsTamperedEvent);
	CPPUNIT_TEST(testBusAcceptsRotatedKeyAndDropsUnknownKey);
	CPPUNIT_TEST_SUITE_END();

public:
	void testSignedEventVerifies()
	{
		EnvelopeSigner signer("k1", KeyA, {});
		CPPUNIT_ASSERT_EQUAL(std::string(), signer.verify(signedEvent(signer)));
	}

	void testSignatureTravelsAsExtensions()
	{
		EnvelopeSigner signer("k1", KeyA, {});
		const Event e = signedEvent(signer);
		CPPUNIT_ASSERT_EQUAL(std::string("k1"), e.extensions.at(EnvelopeSigner::KeyIdAttribute));
		CPPUNIT_ASSERT(e.extensions.at(EnvelopeSigner::SignatureAttribute).size() >= 40); // base64 of 32 bytes
	}

	void testSignatureSurvivesTheCodec()
	{
		EnvelopeSigner signer("k1", KeyA, {});
		const Event e = signedEvent(signer);
		const Event back = CloudEventCodec::decode(CloudEventCodec::encode(e), 1 << 20);
		CPPUNIT_ASSERT_EQUAL(std::string(), signer.verify(back));
	}

	void testTamperedDataIsBadSignature()
	{
		EnvelopeSigner signer("k1", KeyA, {});
		CPPUNIT_ASSERT_EQUAL(std::string("bad-signature"), signer.verify(withData(signedEvent(signer), "amount", 1000000)));
	}

	void testTamperedTenantIsBadSignature()
	{
		EnvelopeSigner signer("k1", KeyA, {});
		Event e = signedEvent(signer);
		e.tenantId = "globex";
		CPPUNIT_ASSERT_EQUAL(std::string("bad-signature"), signer.verify(e));
	}

	void testTamperedTimeIsBadSignature()
	{
		EnvelopeSigner signer("k1", KeyA, {});
		Event e = signedEvent(signer);
		e.time += Poco::Timespan(1, 0);
		CPPUNIT_ASSERT_EQUAL(std::string("bad-signature"), signer.verify(e));
	}

	void testAddedExtensionIsBadSignature()
	{
		EnvelopeSigner signer("k1", KeyA, {});
		Event e = signedEvent(signer);
		e.extensions["idempotencykey"] = "replayed";
		CPPUNIT_ASSERT_EQUAL(std::string("bad-signature"), signer.verify(e));
	}

	void testUnsignedEventIsReported()
	{
		EnvelopeSigner signer("k1", KeyA, {});
		CPPUNIT_ASSERT_EQUAL(std::string("unsigned"), signer.verify(handMadeEvent("acme", "orders.created")));
	}

	void testUnknownKeyIdIsReported()
	{
		EnvelopeSigner old("old", KeyA, {});
		EnvelopeSigner current("new", KeyB, {});
		CPPUNIT_ASSERT_EQUAL(std::string("unknown-key"), current.verify(signedEvent(old)));
	}

	void testOtherKeyUnderSameIdIsBadSignature()
	{
		EnvelopeSigner a("k1", KeyA, {});
		EnvelopeSigner b("k1", KeyB, {});
		CPPUNIT_ASSERT_EQUAL(std::string("bad-signature"), b.verify(signedEvent(a)));
	}

	void testRotationAcceptsOldKeyListedUnderKeys()
	{
		EnvelopeSigner old("old", KeyA, {});
		EnvelopeSigner current("new", KeyB, {{"old", KeyA}});
		CPPUNIT_ASSERT_EQUAL(std::string(), current.verify(signedEvent(old)));
		CPPUNIT_ASSERT_EQUAL(std::string(), current.verify(signedEvent(current)));
	}

	void testCanonicalFormIsUnambiguous()
	{
		Event a = handMadeEvent("ab", "orders.created");
		Event b = a;
		a.correlationId = "c";
		b.tenantId = "a";
		b.correlationId = "bc";
		CPPUNIT_ASSERT(EnvelopeSigner::canonical(a, "{}") != EnvelopeSigner::canonical(b, "{}"));
		Event c = a;
		c.extensions["x"] = "1";
		Event d = a;
		d.extensions["x1"] = "";
		CPPUNIT_ASSERT(EnvelopeSigner::canonical(c, "{}") != EnvelopeSigner::canonical(d, "{}"));
	}

	void testCanonicalFormIsPinned()
	{
		// Signatures on the wire depend on these exact bytes: the head line,
		// then each field as <decimal length>:<bytes>\n (the core attributes,
		// the extensions but the signature's own two by name, the data).
		Event e;
		e.id = "id-1";
		e.source = "/s";
		e.type = "orders.created";
		e.time = Poco::Timestamp(1700000000123456LL);
		e.tenantId = "acme";
		e.correlationId = "";
		e.extensions["a"] = "1";
		e.extensions[EnvelopeSigner::KeyIdAttribute] = "k1";
		e.extensions[EnvelopeSigner::SignatureAttribute] = "sig";
		e.extensions["zz"] = std::string(1234, 'z');
		const std::string data = "{\"n\":1}";
		const std::string expected = std::string("eventbus-signature-v1\n") + "4:id-1\n" + "2:/s\n" + "14:orders.created\n" +
			"27:2023-11-14T22:13:20.123456Z\n" + "16:application/json\n" + "4:acme\n" + "0:\n" + "1:a\n" + "1:1\n" + "2:zz\n" +
			"1234:" + std::string(1234, 'z') + "\n" + "7:{\"n\":1}\n";
		CPPUNIT_ASSERT_EQUAL(expected, EnvelopeSigner::canonical(e, data));
		// A time before 1970 (written by Poco) in the same place.
		Event early = e;
		early.time = Poco::Timestamp(-1);
		const std::string earlyForm = EnvelopeSigner::canonical(early, data);
		CPPUNIT_ASSERT(contains(earlyForm, "\n14:orders.created\n27:1969-12-31T23:59:59.999999Z\n16:application/json\n"));
		// A data text of every length up to and past a few digit boundaries.
		for (std::size_t n : {0, 9, 10, 99, 100, 99999, 100000})
		{
			const std::string text(n, 'x');
			const std::string form = EnvelopeSigner::canonical(e, text);
			const std::string tail = std::to_string(n) + ":" + text + "\n";
			CPPUNIT_ASSERT(form.size() > tail.size());
			CPPUNIT_ASSERT_EQUAL(tail, form.substr(form.size() - tail.size()));
		}
	}

	void testSignatureIsPocoHmacOverTheCanonicalForm()
	{
		EnvelopeSigner signer("k1", KeyA, {});
		Event e = handMadeEvent("acme", "orders.created");
		e.data = payload("amount", 10);
		e.extensions["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
		signer.sign(e, compact(e.data));
		CPPUNIT_ASSERT_EQUAL(pocoSignature(KeyA, e, compact(e.data)), e.extensions.at(EnvelopeSigner::SignatureAttribute));
	}

	void testKeysOfEveryLengthSignAsPocoDoes()
	{
		// HMAC hashes keys longer than the 64-byte block first.
		for (std::size_t length : {32u, 63u, 64u, 65u, 100u, 200u})
		{
			const std::string key(length, static_cast<char>('a' + length % 26));
			EnvelopeSigner signer("k1", key, {});
			Event e = handMadeEvent("acme", "orders.created");
			e.data = payload("amount", static_cast<int>(length));
			signer.sign(e, compact(e.data));
			CPPUNIT_ASSERT_EQUAL_MESSAGE("key of " + std::to_string(length), pocoSignature(key, e, compact(e.data)),
				e.extensions.at(EnvelopeSigner::SignatureAttribute));
			CPPUNIT_ASSERT_EQUAL(std::string(), signer.verify(e, compact(e.data)));
		}
	}

	void testReceivedDataVerifiesWithoutReserialising()
	{
		// A sender that signed the bytes it sent, which are not what Poco would
		// write for the parsed data: checked over the received bytes, it verifies.
		EnvelopeSigner signer("k1", KeyA, {});
		Event e = handMadeEvent("acme", "orders.created");
		Poco::JSON::Parser parser;
		e.data = parser.parse(LooseData).extract<Poco::JSON::Object::Ptr>();
		signer.sign(e, LooseData);
		std::string received;
		const Event back = CloudEventCodec::decode(CloudEventCodec::encode(e, LooseData), 1 << 20, received);
		CPPUNIT_ASSERT_EQUAL(LooseData, received);
		CPPUNIT_ASSERT_EQUAL(std::string(), signer.verify(back, received));
	}

	void testSignatureOverCompactFormVerifiesWithLooseReceivedData()
	{
		// Signed over the compact form, sent loose (a relay re-formatted it):
		// the re-serialisation is still checked, as before.
		EnvelopeSigner signer("k1", KeyA, {});
		Event e = handMadeEvent("acme", "orders.created");
		Poco::JSON::Parser parser;
		e.data = parser.parse(LooseData).extract<Poco::JSON::Object::Ptr>();
		signer.sign(e, compact(e.data));
		std::string received;
		const Event back = CloudEventCodec::decode(CloudEventCodec::encode(e, LooseData), 1 << 20, received);
		CPPUNIT_ASSERT_EQUAL(LooseData, received);
		CPPUNIT_ASSERT_EQUAL(std::string(), signer.verify(back, received));
		CPPUNIT_ASSERT_EQUAL(std::string(), signer.verify(back));
	}

	void testTamperedReceivedDataIsBadSignature()
	{
		EnvelopeSigner signer("k1", KeyA, {});
		const Event e = signedEvent(signer);
		std::string wire = CloudEventCodec::encode(e, compact(e.data));
		const std::size_t at = wire.find("\"amount\":10");
		CPPUNIT_ASSERT(at != std::string::npos);
		wire.replace(at, 11, "\"amount\":99");
		std::string received;
		const Event back = CloudEventCodec::decode(wire, 1 << 20, received);
		CPPUNIT_ASSERT(!received.empty());
		CPPUNIT_ASSERT_EQUAL(std::string("bad-signature"), signer.verify(back, received));
		CPPUNIT_ASSERT_EQUAL(std::string("bad-signature"), signer.verify(back));
	}

	void testReceivedDataOfAnotherEventIsBadSignature()
	{
		// The received bytes stand for the data only if they carry the signature;
		// bytes that do not match the event's data cannot make it verify.
		EnvelopeSigner signer("k1", KeyA, {});
		const Event e = signedEvent(signer);
		CPPUNIT_ASSERT_EQUAL(std::string("bad-signature"), signer.verify(withData(e, "amount", 11), compact(e.data) + " "));
		CPPUNIT_ASSERT_EQUAL(std::string("bad-signature"), signer.verify(withData(e, "amount", 11), "{\"amount\":11}"));
	}

	void testNoSignerWhenNotConfiguredOutsideProduction()
	{
		CPPUNIT_ASSERT(!signerFrom({}, "test"));
		CPPUNIT_ASSERT(signerFrom({{"eventbus.security.signing.key", KeyA}}, "test") != nullptr);
	}

	void testProductionWithoutKeyIsRefused()
	{
		const std::string msg = expectThrow<ConfigException>([] { signerFrom({}, "production"); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.security.signing.key"));
	}

	void testProductionMayOptOut()
	{
		CPPUNIT_ASSERT(!signerFrom({{"eventbus.security.signing.required", "false"}}, "production"));
	}

	void testUnresolvedEnvReferenceIsNoKey()
	{
		::unsetenv("EVENTBUS_UNIT_NO_SUCH_KEY");
		const std::string msg = expectThrow<ConfigException>([] {
			signerFrom({{"eventbus.security.signing.key", "${system.env.EVENTBUS_UNIT_NO_SUCH_KEY}-padding-to-32-characters"}},
				"production");
		});
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.security.signing.key"));
	}

	void testShortKeyIsRefusedWithoutEchoingIt()
	{
		const std::string msg = expectThrow<ConfigException>([] {
			signerFrom({{"eventbus.security.signing.key", "tooshort-s3cr3t"}}, "test");
		});
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.security.signing.key"));
		CPPUNIT_ASSERT_MESSAGE(msg, !contains(msg, "s3cr3t"));
	}

	void testShortVerificationKeyIsRefused()
	{
		const std::string msg = expectThrow<ConfigException>([] {
			signerFrom({{"eventbus.security.signing.key", KeyA}, {"eventbus.security.signing.keys.old", "short-s3cr3t"}}, "test");
		});
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.security.signing.keys.old"));
		CPPUNIT_ASSERT_MESSAGE(msg, !contains(msg, "s3cr3t"));
	}

	void testRequiredWithoutKeyRefusesBus()
	{
		const std::string msg = expectThrow<ConfigException>([] {
			bus("loopback", {{"eventbus.security.signing.required", "true"}});
		});
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.security.signing.key"));
	}

	void testSigningBusDeliversItsOwnEvents()
	{
		Collector got;
		auto b = bus("loopback", {{"eventbus.security.signing.key", KeyA}});
		b->subscribe("orders.created", got.handler(), TenantScope::tenant("acme"));
		b->publish("orders.created", payload("a", 1), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		CPPUNIT_ASSERT(got.at(0).extensions.count(EnvelopeSigner::SignatureAttribute) == 1);
	}

	void testSigningBusDropsUnsignedEvent()
	{
		Collector got;
		auto b = bus("loopback", {{"eventbus.security.signing.key", KeyA}});
		b->subscribe("orders.created", got.handler(), TenantScope::tenant("acme"));
		const auto dropped = b->metrics().counterValue(Metrics::Dropped);
		b->transport().publish(outbound(b->channelFor("acme", "orders.created"), handMadeEvent("acme", "orders.created")));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), got.size());
		CPPUNIT_ASSERT_EQUAL(dropped + 1, b->metrics().counterValue(Metrics::Dropped));
	}

	void testSigningBusDropsTamperedEvent()
	{
		Collector got;
		auto b = bus("loopback", {{"eventbus.security.signing.key", KeyA}});
		b->subscribe("orders.created", got.handler(), TenantScope::tenant("acme"));
		b->publish("orders.created", payload("amount", 10), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		Event forged = withData(got.at(0), "amount", 1000000);
		forged.id = freshId(); // not a duplicate: only the signature can stop it
		b->transport().publish(outbound(b->channelFor("acme", "orders.created"), forged));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
	}

	void testBusAcceptsRotatedKeyAndDropsUnknownKey()
	{
		const std::string topic = "signing.rotation";
		const std::string tenant = "sig-rot";
		Collector onNew, onStranger;
		auto publisher = bus("memory", {{"eventbus.security.signing.key", KeyA}, {"eventbus.security.signing.keyId", "a"}});
		auto rotated = bus("memory", {{"eventbus.security.signing.key", KeyB}, {"eventbus.security.signing.keyId", "b"},
			{"eventbus.security.signing.keys.a", KeyA}});
		auto stranger = bus("memory", {{"eventbus.security.signing.key", KeyC}, {"eventbus.security.signing.keyId", "c"}});
		rotated->subscribe(topic, onNew.handler(), TenantScope::tenant(tenant));
		stranger->subscribe(topic, onStranger.handler(), TenantScope::tenant(tenant));

		const Receipt fromA = publisher->publish(topic, payload("from", "a"), tenant);
		CPPUNIT_ASSERT(onNew.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(fromA.messageId, onNew.at(0).id);
		// The stranger's own event, published after, proves A's was processed (and dropped).
		const Receipt fromC = stranger->publish(topic, payload("from", "c"), tenant);
		CPPUNIT_ASSERT(onStranger.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), onStranger.size());
		CPPUNIT_ASSERT_EQUAL(fromC.messageId, onStranger.at(0).id);
		CPPUNIT_ASSERT(stranger->metrics().counterValue(Metrics::Dropped) >= 1);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(SigningTest);
