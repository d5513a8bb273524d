// Suite ID: unit.redaction-everywhere.publish
//
// RedactionEverywherePublishTest.cpp
//
// Part of the RedactionEverywhereTest suite (RedactionEverywhereTestSupport.h
// says how it proves that no secret reaches any output). The publish side:
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
//   normal paths    14 publish and delivery debug lines (log mode)
//                   15 payload mode: secrets off the wire and away from handlers
//   redactor        20 every fragment in every textual form through redactText
//
#include "RedactionEverywhereTestSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <Poco/JSONString.h>
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>

using namespace eventbus;
using namespace eventbus::test;

class RedactionEverywherePublishTest: public RedactionEverywhereFixture
{
	CPPUNIT_TEST_SUITE(RedactionEverywherePublishTest);
	CPPUNIT_TEST(testRedactTextMasksEveryFragmentInEveryTextualForm);
	CPPUNIT_TEST(testPublishRefusesInvalidJsonWithoutEchoingIt);
	CPPUNIT_TEST(testPublishRefusesOversizedPayloadWithoutEchoingIt);
	CPPUNIT_TEST(testPublishRefusesInvalidNamesAndOptionsWithoutEchoingThePayload);
	CPPUNIT_TEST(testTransportFailuresOnPublishCarryNoPayload);
	CPPUNIT_TEST(testMemoryQueueOverflowCarriesNoPayload);
	CPPUNIT_TEST(testDebugLinesOfPublishAndDeliveryAreRedacted);
	CPPUNIT_TEST(testPayloadModeKeepsSecretsOffTheWire);
	CPPUNIT_TEST_SUITE_END();

public:
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedactionEverywherePublishTest);
