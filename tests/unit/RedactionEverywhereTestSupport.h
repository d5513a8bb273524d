//
// RedactionEverywhereTestSupport.h
//
// What the RedactionEverywhere*Test parts of the RedactionEverywhereTest
// suite share: the fixture that makes every logger of the process write at
// trace level into a capturing channel for each test (RedactionSupport.h),
// the buses it drives, and the names and payload shapes of the suite.
//
// The suite proves that no secret of an event reaches any output, on any
// failure path, at the most verbose log level. Payloads full of sensitive
// keys carry unique canaries (CANARY-<n>-secret, and long numbers); each path
// is driven, shown to have happened (its exception, counter or log line, and
// a harmless VISIBLE-<n> marker where content is printed), and then
// everything it produced is searched for canaries: log text, exception
// message() / displayText() / what(), handler-error lines, drop diagnostics,
// Prometheus text and labels, the metrics summary, health and the
// /health/ready and /metrics bodies, and the CLI's stdout and stderr.
//
// Forms of secrets (RedactionSupport.h): mixed case (password, PassWord,
// API_KEY), nested objects, arrays, arrays of objects, 40 levels deep, keys
// spelt with JSON escapes ("pass\u0077ord", "\u0074oken"), JSON text escaped
// into a string value, key=value text in a string value, values that are
// objects, arrays and numbers, and every key of the eventbus.redaction.keys
// defaults in lower case, upper case and as a suffix (db_<key>).
//
// The paths are numbered 1 to 20 across the parts, server-free (the Redis
// outage and the CLI against Redis are in tests/fault/RedisRedactionTest.cpp):
//   RedactionEverywherePublishTest.cpp   1-5 publish refused, 14-15 normal
//                                        paths, 20 the redactor
//   RedactionEverywhereDeliveryTest.cpp  6-13 delivery and drop diagnostics
//   RedactionEverywhereOutputTest.cpp    16 telemetry, 17-19 the CLI
//
#pragma once

#include "BusTestSupport.h"
#include "RedactionSupport.h"
#include "eventbus/EventBus.h"
#include <cppunit/extensions/HelperMacros.h>
#include <map>
#include <memory>
#include <string>

namespace eventbus {
namespace test {

const std::string Topic = "orders.created";
const std::string Tenant = "acme";
const std::string Channel = "c2pro.test.acme.orders.created";

inline std::string withTail(const std::string& text, std::size_t n = 2)
{
	return text.substr(0, text.size() > n ? text.size() - n : 0);
}

/// `levels` objects around `inner`, as JSON text.
inline std::string nestedIn(const std::string& inner, int levels)
{
	std::string out;
	for (int i = 0; i < levels; ++i) out += "{\"a\":";
	out += inner;
	for (int i = 0; i < levels; ++i) out += "}";
	return out;
}

inline Event eventWith(const std::string& dataJson, const std::string& tenant = Tenant, const std::string& topic = Topic)
{
	Event e = handMadeEvent(tenant, topic);
	e.data = parseObject(dataJson);
	return e;
}

/// The fixture of every part: while a test runs, TraceEverything captures
/// every logger of the process at trace level.
class RedactionEverywhereFixture: public CppUnit::TestFixture
{
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

private:
	std::unique_ptr<TraceEverything> _trace;
};

} // namespace test
} // namespace eventbus
