// Suite ID: unit.redaction-everywhere.output
//
// RedactionEverywhereOutputTest.cpp
//
// Part of the RedactionEverywhereTest suite (RedactionEverywhereTestSupport.h
// says how it proves that no secret reaches any output). What the process
// shows besides its logs:
//   telemetry       16 metric names, labels and values; summary; health;
//                      /health/ready and /metrics bodies
//   CLI             17 `eventbus publish` refusals (bad JSON by option and
//                      stdin, oversize, bad tenant, topic, correlation id)
//                   18 `eventbus publish` at trace level
//                   19 CLI error lines mask keys added by eventbus.redaction.keys
//
#include "OperationsEndpoints.h"
#include "RedactionEverywhereTestSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <cppunit/extensions/HelperMacros.h>
#include <cctype>
#include <memory>
#include <set>
#include <sstream>

using namespace eventbus;
using namespace eventbus::test;

namespace {

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

class RedactionEverywhereOutputTest: public RedactionEverywhereFixture
{
	CPPUNIT_TEST_SUITE(RedactionEverywhereOutputTest);
	CPPUNIT_TEST(testMetricsAndHealthCarrySafeMetadataOnly);
	CPPUNIT_TEST(testCliPublishRefusalsPrintNoSecret);
	CPPUNIT_TEST(testCliPublishAtTraceLevelPrintsNoSecret);
	CPPUNIT_TEST(testCliErrorLinesMaskConfiguredKeys);
	CPPUNIT_TEST_SUITE_END();

public:
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedactionEverywhereOutputTest);
