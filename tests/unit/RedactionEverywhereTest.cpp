// Suite ID: unit.redaction-everywhere
//
// RedactionEverywhereTest.cpp
//
// No secret of an event reaches any output, on any failure path, at the most
// verbose log level. Every logger of the process (the root and every logger
// that exists, so also those made later) writes at trace level into a
// capturing Poco channel; payloads full of sensitive keys carry unique
// canaries (CANARY-<n>-secret, and long numbers); each path is driven, shown
// to have happened (its exception, counter or log line, and a harmless
// VISIBLE-<n> marker where content is printed), and then everything it
// produced is searched for canaries: log text, exception message() /
// displayText() / what(), handler-error lines, drop diagnostics, Prometheus
// text and labels, the metrics summary, health and the /health/ready and
// /metrics bodies, and the CLI's stdout and stderr.
//
// Forms of secrets (RedactionSupport.h): mixed case (password, PassWord,
// API_KEY), nested objects, arrays, arrays of objects, 40 levels deep, keys
// spelt with JSON escapes ("pass\u0077ord", "\u0074oken"), JSON text escaped
// into a string value, key=value text in a string value, values that are
// objects, arrays and numbers, and every key of the eventbus.redaction.keys
// defaults in lower case, upper case and as a suffix (db_<key>).
//
// Failure paths, server-free (the Redis outage and the CLI against Redis are
// in tests/fault/RedisRedactionTest.cpp):
//   publish refused  1 invalid JSON text (truncated, trailing garbage, not an
//                      object, key=value text, bad escape, deeper than 64),
//                      by publish(), publish() with options and publishAsync()
//                    2 payload over eventbus.maxPayloadBytes (text and object)
//                    3 invalid topic, invalid tenant, invalid correlation id and
//                      idempotency key, null payload, closed bus, cross-tenant
//                      subscription refused by policy
//                    4 transport failure: TransportException, OverflowException
//                      (publish and publishAsync), stopped loopback transport
//                    5 memory transport delivery queue overflow
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
//   normal paths    14 publish and delivery debug lines (log mode)
//                   15 payload mode: secrets off the wire and away from handlers
//   telemetry       16 metric names, labels and values; summary; health;
//                      /health/ready and /metrics bodies
//   CLI             17 `eventbus publish` refusals (bad JSON by option and
//                      stdin, oversize, bad tenant, topic, correlation id)
//                   18 `eventbus publish` at trace level
//                   19 CLI error lines mask keys added by eventbus.redaction.keys
//   redactor        20 every fragment in every textual form through redactText
//
#include "BusTestSupport.h"
#include "OperationsEndpoints.h"
#include "RedactionSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <Poco/JSONString.h>
#include <cppunit/extensions/HelperMacros.h>
#include <condition_variable>
#include <future>
#include <memory>
#include <set>
#include <sstream>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Topic = "orders.created";
const std::string Tenant = "acme";
const std::string Channel = "c2pro.test.acme.orders.created";
const std::string KeyA = "redaction-suite-key-a-0123456789abcdef";
const std::string KeyB = "redaction-suite-key-b-0123456789abcdef";

std::string withTail(const std::string& text, std::size_t n = 2)
{
	return text.substr(0, text.size() > n ? text.size() - n : 0);
}

/// `levels` objects around `inner`, as JSON text.
std::string nestedIn(const std::string& inner, int levels)
{
	std::string out;
	for (int i = 0; i < levels; ++i) out += "{\"a\":";
	out += inner;
	for (int i = 0; i < levels; ++i) out += "}";
	return out;
}

Event eventWith(const std::string& dataJson, const std::string& tenant = Tenant, const std::string& topic = Topic)
{
	Event e = handMadeEvent(tenant, topic);
	e.data = parseObject(dataJson);
	return e;
}

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

/// Label names a series of the bus may carry, and what a value may hold.
bool safeLabels(const std::string& line, std::string& problem)
{
	static const std::set<std::string> names{"transport", "topic", "tenant", "reason", "le", "file", "api_version"};
	const std::size_t open = line.find('{');
	if (open == std::string::npos) return true;
	const std::size_t close = line.rfind('}');
	std::size_t i = open + 1;
	while (i < close)
	{
		const std::size_t eq = line.find("=\"", i);
		if (eq == std::string::npos || eq > close) break;
		const std::string name = line.substr(i, eq - i);
		const std::size_t end = line.find('"', eq + 2);
		const std::string value = line.substr(eq + 2, end - eq - 2);
		if (!names.count(name))
		{
			problem = "label " + name + " in " + line;
			return false;
		}
		for (char c : value)
		{
			if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '+'
				|| (name == "file" && c == '/')))
			{
				problem = "label value " + value + " in " + line;
				return false;
			}
		}
		i = end + 2; // past `",`
	}
	return true;
}

/// The CLI's common options for a server-free run at trace level.
std::vector<std::string> cli(const std::vector<std::string>& more)
{
	std::vector<std::string> args{"--env", "test", "--define", "eventbus.transport=memory",
		"--define", "eventbus.plugins.path=" + pluginDir(), "--define", "logging.loggers.root.level=trace"};
	args.insert(args.end(), more.begin(), more.end());
	return args;
}

} // namespace

class RedactionEverywhereTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedactionEverywhereTest);
	CPPUNIT_TEST(testRedactTextMasksEveryFragmentInEveryTextualForm);
	CPPUNIT_TEST(testPublishRefusesInvalidJsonWithoutEchoingIt);
	CPPUNIT_TEST(testPublishRefusesOversizedPayloadWithoutEchoingIt);
	CPPUNIT_TEST(testPublishRefusesInvalidNamesAndOptionsWithoutEchoingThePayload);
	CPPUNIT_TEST(testTransportFailuresOnPublishCarryNoPayload);
	CPPUNIT_TEST(testMemoryQueueOverflowCarriesNoPayload);
	CPPUNIT_TEST(testHandlerExceptionsQuotingThePayloadAreLoggedRedacted);
	CPPUNIT_TEST(testNonStdHandlerExceptionsAreLoggedWithoutContent);
	CPPUNIT_TEST(testUnsignedForgedAndTamperedEnvelopesAreDroppedWithoutContent);
	CPPUNIT_TEST(testTenantTopicAndChannelMismatchesAreDroppedWithoutContent);
	CPPUNIT_TEST(testDuplicatesAndReplaysAreDroppedWithoutContent);
	CPPUNIT_TEST(testMalformedMessagesAreDroppedWithRedactedDiagnostics);
	CPPUNIT_TEST(testOversizedMessagesAreDroppedWithoutContent);
	CPPUNIT_TEST(testHostileIdAndChannelInDropDiagnosticsAreRedacted);
	CPPUNIT_TEST(testDebugLinesOfPublishAndDeliveryAreRedacted);
	CPPUNIT_TEST(testPayloadModeKeepsSecretsOffTheWire);
	CPPUNIT_TEST(testMetricsAndHealthCarrySafeMetadataOnly);
	CPPUNIT_TEST(testCliPublishRefusalsPrintNoSecret);
	CPPUNIT_TEST(testCliPublishAtTraceLevelPrintsNoSecret);
	CPPUNIT_TEST(testCliErrorLinesMaskConfiguredKeys);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_trace.reset(new TraceEverything);
	}

	void tearDown() override
	{
		_trace.reset();
	}

	CaptureChannel& logs() { return _trace->capture(); }

	void assertLogsClean(const std::string& where)
	{
		assertClean(logs().text(), where + " (log)");
	}

	std::unique_ptr<EventBus> loopbackBus(const std::map<std::string, std::string>& overrides = {})
	{
		return std::unique_ptr<EventBus>(new EventBus(*makeConfig("loopback", overrides)));
	}

	std::unique_ptr<EventBus> spyBus(const std::shared_ptr<SpyTransport>& spy,
		const std::map<std::string, std::string>& overrides = {})
	{
		return std::unique_ptr<EventBus>(new EventBus(*makeConfig("loopback", overrides), spy));
	}

	std::uint64_t dropped(EventBus& bus, const std::string& reason)
	{
		return bus.metrics().counterValue(Metrics::Dropped, {{"reason", reason}, {"transport", bus.transport().name()}});
	}

	// 20
	void testRedactTextMasksEveryFragmentInEveryTextualForm()
	{
		Redactor redactor;
		for (const auto& fragment : secretFragments())
		{
			const std::string escaped = Poco::toJSON(fragment);
			const std::vector<std::string> forms{
				fragment,                                       // JSON: structured
				"handler failed on " + fragment,                // JSON inside free text
				withTail(fragment, 1),                          // truncated JSON: free text
				escaped,                                        // JSON escaped into a string
				"wrapped " + Poco::toJSON(escaped),             // escaped twice
				"{\"outer\":" + escaped + "}",                  // escaped JSON as a JSON value
				nestedIn(fragment, 70),                         // deeper than the parser allows
			};
			for (const auto& form : forms)
				assertClean(redactor.redactText(form, 1024 * 1024), "redactText of " + form);
			assertClean(redactor.toJson(parseObject(fragment)), "toJson of " + fragment);
		}
		const std::string combined = combinedPayload();
		assertClean(redactor.toJson(parseObject(combined)), "toJson of the combined payload");
		assertClean(redactor.redactText("x " + combined, 1024 * 1024), "redactText of the combined payload");
		// Harmless content stays readable.
		const std::string out = redactor.redactText("failed on " + secretFragments().at(3));
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "VISIBLE-4"));
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "\"sku\":\"A\""));
	}

	// 1
	void testPublishRefusesInvalidJsonWithoutEchoingIt()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy);
			std::size_t refused = 0;
			for (const auto& fragment : secretFragments())
			{
				const std::vector<std::string> invalid{withTail(fragment), fragment + " trailing garbage",
					"[" + fragment + "]", "password=CANARY-800-secret " + fragment, fragment + fragment,
					"{\"bad\\escape\":1," + fragment.substr(1), nestedIn(fragment, 70), Poco::toJSON(fragment)};
				for (const auto& text : invalid)
				{
					const std::string shown = refusal<ValidationException>("publish(" + text + ")",
						[&]() { bus->publish(Topic, text, Tenant); });
					CPPUNIT_ASSERT_MESSAGE(shown, contains(shown, "payload:"));
					refusal<ValidationException>("publish with options", [&]() { bus->publish(Topic, text, Tenant, PublishOptions()); });
					refusal<ValidationException>("publishAsync", [&]() { bus->publishAsync(Topic, text, Tenant); });
					refused += 3;
				}
			}
			CPPUNIT_ASSERT(refused > 100);
			CPPUNIT_ASSERT(spy->published().empty());
			assertClean(bus->metrics().toPrometheus(), "metrics");
		}
		assertLogsClean("invalid JSON");
	}

	// 2
	void testPublishRefusesOversizedPayloadWithoutEchoingIt()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy, {{"eventbus.maxPayloadBytes", "512"}});
			const std::string big = combinedPayload();
			CPPUNIT_ASSERT(big.size() > 512);
			std::string shown = refusal<ValidationException>("oversized text", [&]() { bus->publish(Topic, big, Tenant); });
			CPPUNIT_ASSERT_MESSAGE(shown, contains(shown, "eventbus.maxPayloadBytes"));
			// The same payload as an object is measured after stringifying.
			shown = refusal<ValidationException>("oversized object", [&]() { bus->publish(Topic, parseObject(big), Tenant); });
			CPPUNIT_ASSERT_MESSAGE(shown, contains(shown, "eventbus.maxPayloadBytes"));
			refusal<ValidationException>("oversized async", [&]() { bus->publishAsync(Topic, parseObject(big), Tenant); });
			CPPUNIT_ASSERT(spy->published().empty());
		}
		assertLogsClean("oversized payload");
	}

	// 3
	void testPublishRefusesInvalidNamesAndOptionsWithoutEchoingThePayload()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy);
			for (const auto& fragment : secretFragments())
			{
				auto object = parseObject(fragment);
				for (const std::string& topic : {std::string("Orders.Created"), std::string("orders.*"), std::string(""),
						 std::string("orders..created"), std::string(200, 'a')})
				{
					refusal<ValidationException>("topic " + topic, [&]() { bus->publish(topic, fragment, Tenant); });
					refusal<ValidationException>("topic " + topic, [&]() { bus->publish(topic, object, Tenant); });
				}
				for (const std::string& tenant : {std::string("a.b"), std::string("acme*"), std::string(""), std::string(65, 't')})
				{
					refusal<ValidationException>("tenant " + tenant, [&]() { bus->publish(Topic, fragment, tenant); });
					refusal<ValidationException>("tenant " + tenant, [&]() { bus->publishAsync(Topic, object, tenant); });
				}
				refusal<ValidationException>("correlation id", [&]() { bus->publish(Topic, object, Tenant, "has space"); });
				PublishOptions options;
				options.idempotencyKey = std::string(129, 'k');
				refusal<ValidationException>("idempotency key", [&]() { bus->publish(Topic, object, Tenant, options); });
			}
			refusal<ValidationException>("null payload", [&]() { bus->publish(Topic, Poco::JSON::Object::Ptr(), Tenant); });
			const std::string policy = refusal<PolicyException>("cross-tenant scope",
				[&]() { bus->subscribe(Topic, [](const Event&) {}, TenantScope::allTenants()); });
			CPPUNIT_ASSERT_MESSAGE(policy, contains(policy, "eventbus.security.allowCrossTenant"));
			bus->close();
			refusal<EventBusException>("closed bus", [&]() { bus->publish(Topic, combinedPayload(), Tenant); });
			CPPUNIT_ASSERT(spy->published().empty());
		}
		assertLogsClean("invalid names");
	}

	// 4
	void testTransportFailuresOnPublishCarryNoPayload()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy, {{"eventbus.metrics.tenantLabel", "true"}});
			const std::string payload = combinedPayload();
			spy->failWith = 1;
			refusal<TransportException>("transport failure", [&]() { bus->publish(Topic, payload, Tenant); });
			std::future<Receipt> failed = bus->publishAsync(Topic, payload, Tenant);
			refusal<TransportException>("async transport failure", [&]() { failed.get(); });
			spy->failWith = 2;
			refusal<OverflowException>("overflow", [&]() { bus->publish(Topic, payload, Tenant); });
			std::future<Receipt> overflowed = bus->publishAsync(Topic, payload, Tenant);
			refusal<OverflowException>("async overflow", [&]() { overflowed.get(); });
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), bus->metrics().counterValue(Metrics::PublishFailed,
				{{"reason", "transport"}, {"transport", "spy"}}));
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), bus->metrics().counterValue(Metrics::PublishFailed,
				{{"reason", "overflow"}, {"transport", "spy"}}));
			assertClean(bus->metrics().toPrometheus(), "metrics after transport failures");
		}
		{
			auto bus = loopbackBus();
			bus->transport().stop();
			const std::string shown = refusal<TransportException>("stopped loopback",
				[&]() { bus->publish(Topic, combinedPayload(), Tenant); });
			CPPUNIT_ASSERT_MESSAGE(shown, contains(shown, "not running"));
		}
		assertLogsClean("transport failures");
	}

	// 5
	void testMemoryQueueOverflowCarriesNoPayload()
	{
		{
			std::mutex mutex;
			std::condition_variable released;
			bool release = false;
			std::atomic<int> entered{0};
			auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory",
				{{"eventbus.memory.queueCapacity", "1"}, {"eventbus.memory.enqueueTimeoutMs", "0"}})));
			bus->subscribe(Topic, [&](const Event&) {
				++entered;
				std::unique_lock<std::mutex> lock(mutex);
				released.wait(lock, [&]() { return release; });
			}, TenantScope::tenant(Tenant));
			const std::string payload = combinedPayload();
			std::string shown;
			for (int i = 0; i < 5 && shown.empty(); ++i)
			{
				try
				{
					bus->publish(Topic, payload, Tenant);
				}
				catch (OverflowException& exc)
				{
					shown = exc.displayText();
					assertClean(exc.message(), "memory overflow message()");
					assertClean(exc.what(), "memory overflow what()");
				}
			}
			{
				std::lock_guard<std::mutex> lock(mutex);
				release = true;
			}
			released.notify_all();
			CPPUNIT_ASSERT_MESSAGE("no overflow within 5 publishes to a queue of 1", !shown.empty());
			assertClean(shown, "memory overflow displayText()");
			CPPUNIT_ASSERT_MESSAGE(shown, contains(shown, "eventbus.memory.queueCapacity"));
			CPPUNIT_ASSERT(waitUntil([&]() { return entered.load() >= 1; }));
			bus->close();
		}
		assertLogsClean("memory overflow");
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

	// 14
	void testDebugLinesOfPublishAndDeliveryAreRedacted()
	{
		{
			auto bus = loopbackBus();
			Collector collector;
			bus->subscribe(Topic, collector.handler(), TenantScope::tenant(Tenant));
			for (const auto& fragment : secretFragments())
			{
				bus->publish(Topic, fragment, Tenant);
				bus->publish(Topic, parseObject(fragment), Tenant);
				bus->publishAsync(Topic, fragment, Tenant).get();
			}
			bus->publish(Topic, combinedPayload(), Tenant);
			CPPUNIT_ASSERT_EQUAL(3 * secretFragments().size() + 1, collector.size());
			// Log mode: handlers get the secrets, only the output is masked.
			CPPUNIT_ASSERT_EQUAL(std::string("CANARY-1-secret"), collector.at(0).data->getValue<std::string>("password"));
			CPPUNIT_ASSERT(bus->metrics().counterValue(Metrics::Redactions) > 0);
		}
		CPPUNIT_ASSERT(logs().contains("eventbus.bus [7] publish " + Channel));
		CPPUNIT_ASSERT(logs().contains("eventbus.bus [7] deliver " + Channel));
		CPPUNIT_ASSERT(logs().contains("VISIBLE-6"));
		CPPUNIT_ASSERT(logs().contains("VISIBLE-deep"));
		assertLogsClean("debug lines");
	}

	// 15
	void testPayloadModeKeepsSecretsOffTheWire()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy, {{"eventbus.redaction.mode", "payload"}});
			for (const auto& fragment : secretFragments())
				bus->publish(Topic, fragment, Tenant);
			const auto published = spy->published();
			CPPUNIT_ASSERT_EQUAL(secretFragments().size(), published.size());
			for (const auto& message : published)
			{
				// Payload mode masks by key; JSON text or key=value text inside a
				// string value is data, and travels as it is (fragment 6).
				if (contains(message.wire, "VISIBLE-6")) continue;
				assertClean(message.wire, "wire in payload mode");
				assertClean(CloudEventCodec::encodeData(*message.event->data), "event in payload mode");
			}
		}
		{
			// Through a real codec round trip to handlers.
			auto bus = loopbackBus({{"eventbus.redaction.mode", "payload"}});
			Collector collector;
			bus->subscribe(Topic, collector.handler(), TenantScope::tenant(Tenant));
			bus->publish(Topic, secretFragments()[3], Tenant);
			CPPUNIT_ASSERT_EQUAL(std::size_t(1), collector.size());
			assertClean(CloudEventCodec::encode(collector.at(0)), "delivered event in payload mode");
			CPPUNIT_ASSERT(contains(CloudEventCodec::encode(collector.at(0)), "VISIBLE-4"));
		}
		{
			// Log mode, the control: the secret does travel.
			auto bus = spyBus(spy);
			bus->publish(Topic, secretFragments()[0], Tenant);
			CPPUNIT_ASSERT(contains(spy->published().back().wire, "CANARY-1-secret"));
		}
		assertLogsClean("payload mode");
	}

	// 16
	void testMetricsAndHealthCarrySafeMetadataOnly()
	{
		auto spy = std::make_shared<SpyTransport>();
		{
			auto bus = spyBus(spy, {{"eventbus.metrics.tenantLabel", "true"}, {"eventbus.security.allowCrossTenant", "true"}});
			bus->subscribe(Topic, [](const Event&) { throw std::runtime_error("boom " + combinedPayload()); },
				TenantScope::tenant(Tenant));
			bus->subscribe(Topic, [](const Event&) {}, TenantScope::allTenants());
			for (const auto& fragment : secretFragments())
			{
				bus->publish(Topic, fragment, Tenant);
				spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(eventWith(fragment)), nullptr});
				spy->deliver(InboundMessage{Channel, "garbage " + fragment, nullptr});
				spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(eventWith(fragment, "globex")), nullptr});
				try { bus->publish(Topic, withTail(fragment), Tenant); } catch (ValidationException&) {}
			}
			spy->failWith = 1;
			try { bus->publish(Topic, combinedPayload(), Tenant); } catch (TransportException&) {}
			spy->failWith = 0;

			const std::string prometheus = bus->metrics().toPrometheus();
			CPPUNIT_ASSERT(contains(prometheus, "tenant=\"acme\""));
			CPPUNIT_ASSERT(contains(prometheus, "reason=\"malformed\""));
			CPPUNIT_ASSERT(contains(prometheus, Metrics::HandlerErrors));
			assertClean(prometheus, "Prometheus text");
			assertClean(bus->metrics().summary(), "metrics summary");
			std::istringstream lines(prometheus);
			std::string line;
			std::size_t samples = 0;
			while (std::getline(lines, line))
			{
				if (line.empty() || line[0] == '#') continue;
				++samples;
				CPPUNIT_ASSERT_MESSAGE(line, startsWith(line, "eventbus_"));
				std::string problem;
				CPPUNIT_ASSERT_MESSAGE(problem, safeLabels(line, problem));
			}
			CPPUNIT_ASSERT(samples > 10);

			const TransportHealth health = bus->health();
			assertClean(health.reason, "health");
			OperationsEndpoints endpoints(*bus, ServeInfo{Poco::Timestamp(), "spy", "/plugins/libspy.so"});
			const OperationsResponse ready = endpoints.respond("GET", "/health/ready");
			assertClean(ready.body, "/health/ready");
			auto body = parseObject(ready.body);
			std::vector<std::string> names;
			body->getNames(names);
			CPPUNIT_ASSERT_EQUAL(std::size_t(3), names.size());
			for (const auto& n : names)
				CPPUNIT_ASSERT_MESSAGE(n, n == "ready" || n == "transport" || n == "reason");
			const OperationsResponse metrics = endpoints.respond("GET", "/metrics");
			CPPUNIT_ASSERT_EQUAL(200, metrics.status);
			assertClean(metrics.body, "/metrics");
			std::istringstream served(metrics.body);
			while (std::getline(served, line))
			{
				if (line.empty() || line[0] == '#') continue;
				std::string problem;
				CPPUNIT_ASSERT_MESSAGE(problem, safeLabels(line, problem));
			}
		}
		assertLogsClean("telemetry");
	}

	// 17
	void testCliPublishRefusalsPrintNoSecret()
	{
		const std::string fragment = secretFragments()[1];
		struct Case
		{
			std::vector<std::string> args;
			std::string input;
			std::string expected;
		};
		const std::vector<Case> cases{
			{{"publish", "--tenant", Tenant, "--topic", Topic, "--payload", withTail(combinedPayload())}, "", "payload: not valid JSON"},
			{{"publish", "--tenant", Tenant, "--topic", Topic}, withTail(fragment), "payload: not valid JSON"},
			{{"publish", "--tenant", Tenant, "--topic", Topic}, "password=CANARY-910-secret", "payload: not valid JSON"},
			{{"--define", "eventbus.maxPayloadBytes=128", "publish", "--tenant", Tenant, "--topic", Topic,
				"--payload", combinedPayload()}, "", "eventbus.maxPayloadBytes"},
			{{"publish", "--tenant", "bad.tenant", "--topic", Topic, "--payload", fragment}, "", "tenantId:"},
			{{"publish", "--tenant", Tenant, "--topic", "Bad*Topic", "--payload", fragment}, "", "topic:"},
			{{"publish", "--tenant", Tenant, "--topic", Topic, "--correlation-id", "has space", "--payload", fragment}, "",
				"correlationId:"},
		};
		for (const auto& c : cases)
		{
			CommandResult result = runCommand(eventbusExecutable(), cli(c.args), c.input);
			CPPUNIT_ASSERT(!result.timedOut);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(result.err, 65, result.exitCode); // EX_DATAERR
			CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "eventbus: publish: refused: "));
			CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, c.expected));
			assertClean(result.out, "CLI stdout");
			assertClean(result.err, "CLI stderr");
		}
	}

	// 18
	void testCliPublishAtTraceLevelPrintsNoSecret()
	{
		for (const std::string& payload : {combinedPayload(), secretFragments()[5], secretFragments()[4]})
		{
			CommandResult result = runCommand(eventbusExecutable(), cli({"publish", "--tenant", Tenant, "--topic", Topic}), payload);
			CPPUNIT_ASSERT(!result.timedOut);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(result.err, 0, result.exitCode);
			CPPUNIT_ASSERT_MESSAGE(result.out, contains(result.out, "\"channel\":\"" + Channel + "\""));
			// Trace reached the bus's logger: its debug line shows the (masked) data.
			CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "publish " + Channel));
			CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "VISIBLE-"));
			assertClean(result.out, "CLI stdout");
			assertClean(result.err, "CLI stderr");
		}
	}

	// 19
	void testCliErrorLinesMaskConfiguredKeys()
	{
		CommandResult result = runCommand(eventbusExecutable(), cli({"--define", "eventbus.redaction.keys=customer_ref",
			"subscribe", "--tenant", Tenant, "--topic", Topic, "--count", "customer_ref=CANARY-920-secret"}));
		CPPUNIT_ASSERT(!result.timedOut);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.err, 64, result.exitCode); // EX_USAGE
		CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "--count: 'customer_ref="));
		assertClean(result.err, "CLI stderr with a configured key");
		// The defaults stay masked next to the configured keys.
		result = runCommand(eventbusExecutable(), cli({"--define", "eventbus.redaction.keys=customer_ref",
			"subscribe", "--tenant", Tenant, "--topic", Topic, "--count", "password=CANARY-921-secret"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(result.err, 64, result.exitCode);
		assertClean(result.err, "CLI stderr with a default key");
	}

private:
	std::unique_ptr<TraceEverything> _trace;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedactionEverywhereTest);
