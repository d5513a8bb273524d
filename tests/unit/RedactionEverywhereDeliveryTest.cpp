// Suite ID: unit.redaction-everywhere.delivery
//
// RedactionEverywhereDeliveryTest.cpp
//
// Part of the RedactionEverywhereTest suite (RedactionEverywhereTestSupport.h
// says how it proves that no secret reaches any output). The delivery side,
// handler errors and every drop diagnostic:
//   delivery         6 handler throws std::exception / Poco::Exception whose
//                      message quotes the payload (raw, re-encoded envelope,
//                      JSON-escaped, double-escaped, JSON only)
//                    7 handler throws a non-std exception (a std::string of
//                      the payload, an int)
//                    8 envelope unsigned, signed with a wrong key, with an
//                      unknown key id, tampered after signing
//                    9 tenant mismatch, topic mismatch, bad channel (pattern)
//                   10 duplicate (idempotency), replay older than maxAgeSeconds,
//                      event from the future
//                   11 malformed / garbage / not-an-envelope / escaped / too
//                      deep / binary messages received (decode diagnostics)
//                   12 oversized message received (JSON, and over 1 MiB)
//                   13 hostile message id and channel in drop diagnostics
//
#include "RedactionEverywhereTestSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <Poco/JSONString.h>
#include <cppunit/extensions/HelperMacros.h>
#include <functional>
#include <memory>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string KeyA = "redaction-suite-key-a-0123456789abcdef";
const std::string KeyB = "redaction-suite-key-b-0123456789abcdef";

std::unique_ptr<EnvelopeSigner> signer(const std::string& key, const std::string& keyId)
{
	return EnvelopeSigner::fromConfig(*makeConfig("loopback", {{"eventbus.security.signing.key", key},
		{"eventbus.security.signing.keyId", keyId}}), "test");
}

std::string signedWire(Event e, const EnvelopeSigner& by)
{
	const std::string data = CloudEventCodec::encodeData(*e.data);
	by.sign(e, data);
	return CloudEventCodec::encode(e, data);
}

} // namespace

class RedactionEverywhereDeliveryTest: public RedactionEverywhereFixture
{
	CPPUNIT_TEST_SUITE(RedactionEverywhereDeliveryTest);
	CPPUNIT_TEST(testHandlerExceptionsQuotingThePayloadAreLoggedRedacted);
	CPPUNIT_TEST(testNonStdHandlerExceptionsAreLoggedWithoutContent);
	CPPUNIT_TEST(testUnsignedForgedAndTamperedEnvelopesAreDroppedWithoutContent);
	CPPUNIT_TEST(testTenantTopicAndChannelMismatchesAreDroppedWithoutContent);
	CPPUNIT_TEST(testDuplicatesAndReplaysAreDroppedWithoutContent);
	CPPUNIT_TEST(testMalformedMessagesAreDroppedWithRedactedDiagnostics);
	CPPUNIT_TEST(testOversizedMessagesAreDroppedWithoutContent);
	CPPUNIT_TEST(testHostileIdAndChannelInDropDiagnosticsAreRedacted);
	CPPUNIT_TEST_SUITE_END();

public:
	std::uint64_t dropped(EventBus& bus, const std::string& reason)
	{
		return bus.metrics().counterValue(Metrics::Dropped, {{"reason", reason}, {"transport", bus.transport().name()}});
	}

	// 6
	void testHandlerExceptionsQuotingThePayloadAreLoggedRedacted()
	{
		{
			auto bus = loopbackBus();
			std::string raw; // the text being published, as the handler could know it
			Collector collector;
			std::vector<std::function<void(const Event&)>> throwers{
				[&](const Event&) { throw std::runtime_error("cannot handle " + raw); },
				[&](const Event& e) { throw std::runtime_error("event " + CloudEventCodec::encode(e)); },
				[&](const Event&) { throw Poco::DataException("bad order", raw); },
				[&](const Event&) { throw std::runtime_error(raw); },
				[&](const Event&) { throw std::invalid_argument("as a string: " + Poco::toJSON(raw)); },
				[&](const Event&) { throw std::logic_error("twice: " + Poco::toJSON(Poco::toJSON(raw))); },
				[&](const Event& e) { throw Poco::RuntimeException("data " + CloudEventCodec::encodeData(*e.data),
					Poco::DataException("nested", raw)); },
			};
			for (const auto& thrower : throwers) bus->subscribe(Topic, thrower, TenantScope::tenant(Tenant));
			bus->subscribe(Topic, collector.handler(), TenantScope::tenant(Tenant));
			std::size_t published = 0;
			for (const auto& fragment : secretFragments())
			{
				raw = fragment;
				bus->publish(Topic, raw, Tenant);
				++published;
			}
			raw = combinedPayload();
			bus->publish(Topic, raw, Tenant);
			++published;
			// Delivery went on to the last subscriber, secrets intact: the masking is in the output only.
			CPPUNIT_ASSERT_EQUAL(published, collector.size());
			CPPUNIT_ASSERT_EQUAL(std::string("CANARY-1-secret"), collector.at(0).data->getValue<std::string>("password"));
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(published * throwers.size()),
				bus->metrics().counterValue(Metrics::HandlerErrors));
			assertClean(bus->metrics().toPrometheus(), "metrics after handler errors");
		}
		CPPUNIT_ASSERT(logs().contains("threw on event"));
		CPPUNIT_ASSERT_MESSAGE(logs().text().substr(0, 2000), logs().contains("VISIBLE-1"));
		CPPUNIT_ASSERT(logs().contains("VISIBLE-deep"));
		assertLogsClean("handler exceptions");
	}

	// 7
	void testNonStdHandlerExceptionsAreLoggedWithoutContent()
	{
		{
			auto bus = loopbackBus();
			std::string raw;
			bus->subscribe(Topic, [&](const Event&) { throw raw; }, TenantScope::tenant(Tenant));
			bus->subscribe(Topic, [&](const Event&) { throw 42; }, TenantScope::tenant(Tenant));
			for (const auto& fragment : secretFragments())
			{
				raw = fragment;
				bus->publish(Topic, raw, Tenant);
			}
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(2 * secretFragments().size()), bus->metrics().counterValue(Metrics::HandlerErrors));
		}
		CPPUNIT_ASSERT(logs().contains("threw an unknown exception"));
		assertLogsClean("non-std handler exceptions");
	}

	// 8
	void testUnsignedForgedAndTamperedEnvelopesAreDroppedWithoutContent()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy, {{"eventbus.security.signing.key", KeyA}, {"eventbus.security.signing.keyId", "k1"}});
			Collector collector;
			bus->subscribe(Topic, collector.handler(), TenantScope::tenant(Tenant));
			auto rightKey = signer(KeyA, "k1");
			auto wrongKey = signer(KeyB, "k1");
			auto unknownKey = signer(KeyB, "k9");
			const auto fragments = secretFragments();
			for (std::size_t i = 0; i < fragments.size(); ++i)
			{
				const std::string& fragment = fragments[i];
				spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(eventWith(fragment)), nullptr});
				spy->deliver(InboundMessage{Channel, signedWire(eventWith(fragment), *wrongKey), nullptr});
				spy->deliver(InboundMessage{Channel, signedWire(eventWith(fragment), *unknownKey), nullptr});
				// Tampered: signed, then the data replaced by another fragment.
				Event e = eventWith(fragments[(i + 1) % fragments.size()]);
				const std::string data = CloudEventCodec::encodeData(*e.data);
				rightKey->sign(e, data);
				e.data = parseObject(fragment);
				spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(e), nullptr});
			}
			// A correctly signed one passes: the drops above are the signature's doing.
			spy->deliver(InboundMessage{Channel, signedWire(eventWith(fragments[0]), *rightKey), nullptr});
			CPPUNIT_ASSERT_EQUAL(std::size_t(1), collector.size());
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(fragments.size()), dropped(*bus, "unsigned"));
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(2 * fragments.size()), dropped(*bus, "bad-signature"));
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(fragments.size()), dropped(*bus, "unknown-key"));
			assertClean(bus->metrics().toPrometheus(), "metrics after signature drops");
		}
		CPPUNIT_ASSERT(logs().contains("dropped event on " + Channel + ": bad-signature"));
		assertLogsClean("signature drops");
	}

	// 9
	void testTenantTopicAndChannelMismatchesAreDroppedWithoutContent()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy, {{"eventbus.security.allowCrossTenant", "true"}});
			Collector collector;
			bus->subscribe(Topic, collector.handler(), TenantScope::tenant(Tenant));
			Collector everyone;
			bus->subscribe(Topic, everyone.handler(), TenantScope::allTenants());
			for (const auto& fragment : secretFragments())
			{
				spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(eventWith(fragment, "globex")), nullptr});
				spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(eventWith(fragment, Tenant, "orders.deleted")), nullptr});
				// Only the cross-tenant pattern matches a channel whose env is wrong.
				spy->deliver(InboundMessage{"c2pro.test.acme.x.orders.created",
					CloudEventCodec::encode(eventWith(fragment)), nullptr});
			}
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), collector.size());
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), everyone.size());
			// The first two reach both subscriptions, the third only the pattern.
			const std::uint64_t n = secretFragments().size();
			CPPUNIT_ASSERT_EQUAL(2 * n, dropped(*bus, "tenant-mismatch"));
			CPPUNIT_ASSERT(dropped(*bus, "topic-mismatch") >= 2 * n);
			CPPUNIT_ASSERT_EQUAL(5 * n, bus->metrics().counterValue(Metrics::Dropped));
		}
		CPPUNIT_ASSERT(logs().contains("tenant-mismatch"));
		assertLogsClean("tenant mismatches");
	}

	// 10
	void testDuplicatesAndReplaysAreDroppedWithoutContent()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy, {{"eventbus.idempotency.maxAgeSeconds", "60"}, {"eventbus.idempotency.maxClockSkewSeconds", "5"}});
			Collector collector;
			bus->subscribe(Topic, collector.handler(), TenantScope::tenant(Tenant));
			const auto fragments = secretFragments();
			for (const auto& fragment : fragments)
			{
				const std::string wire = CloudEventCodec::encode(eventWith(fragment));
				spy->deliver(InboundMessage{Channel, wire, nullptr});
				spy->deliver(InboundMessage{Channel, wire, nullptr});
				Event old = eventWith(fragment);
				old.time = Poco::Timestamp() - Poco::Timespan(600, 0);
				spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(old), nullptr});
				Event future = eventWith(fragment);
				future.time = Poco::Timestamp() + Poco::Timespan(600, 0);
				spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(future), nullptr});
			}
			CPPUNIT_ASSERT_EQUAL(fragments.size(), collector.size());
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(fragments.size()), dropped(*bus, "duplicate"));
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(fragments.size()), dropped(*bus, "stale"));
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(fragments.size()), dropped(*bus, "future"));
		}
		CPPUNIT_ASSERT(logs().contains(": duplicate id="));
		assertLogsClean("duplicates and replays");
	}

	// 11
	void testMalformedMessagesAreDroppedWithRedactedDiagnostics()
	{
		auto spy = std::make_shared<SpyTransport>();
		std::size_t sent = 0;
		{
			auto bus = spyBus(spy);
			Collector collector;
			bus->subscribe(Topic, collector.handler(), TenantScope::tenant(Tenant));
			for (const auto& fragment : secretFragments())
			{
				// Each wire keeps the secrets within the 256 bytes the diagnostic shows.
				const std::vector<std::string> wires{
					fragment,                                                          // JSON, not an envelope
					"garbage " + fragment,                                             // not JSON
					"{\"data\":" + fragment + ",\"specversion\":\"1.0\"",              // truncated envelope
					"{\"data\":" + fragment + ",\"specversion\":\"0.3\"}",             // wrong version
					"{\"data\":" + fragment + ",\"time\":\"yesterday\"}",              // bad attributes
					Poco::toJSON(fragment),                                            // a JSON string
					"{\"x\":" + fragment + ",\"deep\":" + nestedIn("1", 70) + "}",     // too deep
					std::string("\x00\xff\xfe ", 4) + fragment,                        // binary
					"{\"data\":[" + fragment + "]}",                                   // data not an object
				};
				for (const auto& wire : wires)
				{
					CPPUNIT_ASSERT_EQUAL(std::size_t(1), spy->deliver(InboundMessage{Channel, wire, nullptr}));
					++sent;
				}
			}
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), collector.size());
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(sent), dropped(*bus, "malformed"));
		}
		CPPUNIT_ASSERT(logs().contains("dropped malformed message on " + Channel));
		CPPUNIT_ASSERT(logs().contains("VISIBLE-1"));
		assertLogsClean("malformed messages");
	}

	// 12
	void testOversizedMessagesAreDroppedWithoutContent()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy, {{"eventbus.maxPayloadBytes", "1024"}});
			Collector collector;
			bus->subscribe(Topic, collector.handler(), TenantScope::tenant(Tenant));
			std::size_t sent = 0;
			for (const auto& fragment : secretFragments())
			{
				const std::string wire = "{\"data\":" + fragment + ",\"pad\":\"" + std::string(20000, 'x') + "\"}";
				spy->deliver(InboundMessage{Channel, wire, nullptr});
				++sent;
			}
			// Over 1 MiB: too big even to be parsed for redaction.
			spy->deliver(InboundMessage{Channel, "{\"data\":" + secretFragments()[1] + ",\"pad\":\""
				+ std::string(1100 * 1024, 'y') + "\"}", nullptr});
			++sent;
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), collector.size());
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(sent), dropped(*bus, "malformed"));
		}
		CPPUNIT_ASSERT(logs().contains("exceeds the limit"));
		assertLogsClean("oversized messages");
	}

	// 13
	void testHostileIdAndChannelInDropDiagnosticsAreRedacted()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy, {{"eventbus.security.signing.key", KeyA}, {"eventbus.security.allowCrossTenant", "true"}});
			Collector collector;
			bus->subscribe(Topic, collector.handler(), TenantScope::allTenants());
			Event e = eventWith(secretFragments()[0]);
			e.id = "token=CANARY-901-secret";
			spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(e), nullptr}); // unsigned
			e.id = freshId();
			spy->deliver(InboundMessage{"c2pro.test.password=CANARY-902-secret.orders.created",
				signedWire(e, *signer(KeyA, "k1")), nullptr});
			spy->deliver(InboundMessage{"c2pro.test.api_key:CANARY-903-secret.orders.created", "not json", nullptr});
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), collector.size());
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), dropped(*bus, "unsigned"));
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), dropped(*bus, "malformed"));
		}
		CPPUNIT_ASSERT(logs().contains("id=token="));
		CPPUNIT_ASSERT(logs().contains("c2pro.test.password="));
		assertLogsClean("hostile id and channel");
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedactionEverywhereDeliveryTest);
