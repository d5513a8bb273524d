// Suite ID: ops.endpoints
//
// OperationsEndpointsTest.cpp
//
// The endpoints of `eventbus serve` in process, on a bus whose traffic the
// test controls (loopback: synchronous, so every count is exact): what
// /metrics says after real publishes and deliveries, readiness after close,
// routing, label escaping, and that docs/operations.md names every series.
//
#include "OperationsEndpoints.h"
#include "OpsSupport.h"
#include "TestSupport.h"
#include "eventbus/Metrics.h"
#include <Poco/FileStream.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/StreamCopier.h>
#include <cppunit/extensions/HelperMacros.h>
#include <cmath>

using namespace eventbus;
using namespace eventbus::test;

class OperationsEndpointsTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(OperationsEndpointsTest);
	CPPUNIT_TEST(testMetricsCountPublishedAndDeliveredEvents);
	CPPUNIT_TEST(testLatencyHistogramsAreCumulative);
	CPPUNIT_TEST(testReadyIs503WithReasonOnceTheBusIsClosed);
	CPPUNIT_TEST(testRoutes);
	CPPUNIT_TEST(testPluginInfoLabelValuesAreEscaped);
	CPPUNIT_TEST(testOperationsGuideNamesEverySeries);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_bus.reset(new EventBus(*makeConfig("loopback")));
		ServeInfo info;
		info.transport = "loopback";
		info.pluginFile = pluginDir() + "/libeventbus_loopback.so";
		_endpoints.reset(new OperationsEndpoints(*_bus, info));
	}

	void tearDown() override
	{
		_endpoints.reset();
		_bus.reset();
	}

	void testMetricsCountPublishedAndDeliveredEvents()
	{
		int handled = 0;
		_bus->subscribe("orders.created", [&](const Event&) { ++handled; }, TenantScope::tenant("acme"));
		_bus->subscribe("orders.created", [](const Event&) { throw std::runtime_error("boom"); }, TenantScope::tenant("acme"));
		for (int i = 0; i < 3; ++i) _bus->publish("orders.created", std::string("{\"n\":1}"), "acme");
		_bus->publish("users.registered", std::string("{\"n\":1}"), "acme");
		CPPUNIT_ASSERT_EQUAL(3, handled);

		Exposition e = scrape();
		const std::map<std::string, std::string> orders{{"transport", "loopback"}, {"topic", "orders.created"}};
		CPPUNIT_ASSERT_EQUAL(std::string("counter"), e.types[Metrics::Published]);
		CPPUNIT_ASSERT_EQUAL(3.0, single(e, Metrics::Published, orders));
		CPPUNIT_ASSERT_EQUAL(1.0, single(e, Metrics::Published, {{"topic", "users.registered"}}));
		CPPUNIT_ASSERT_EQUAL(6.0, single(e, Metrics::Delivered, orders)); // two subscribers
		CPPUNIT_ASSERT_EQUAL(3.0, single(e, Metrics::HandlerErrors, {}));
		// No tenant label unless eventbus.metrics.tenantLabel=true.
		for (const auto& s : e.samples) CPPUNIT_ASSERT(s.labels.count("tenant") == 0);
	}

	void testLatencyHistogramsAreCumulative()
	{
		_bus->subscribe("orders.created", [](const Event&) {}, TenantScope::tenant("acme"));
		for (int i = 0; i < 5; ++i) _bus->publish("orders.created", std::string("{\"n\":1}"), "acme");
		Exposition e = scrape();
		for (const std::string name : {Metrics::PublishLatency, Metrics::EndToEndLatency})
		{
			CPPUNIT_ASSERT_EQUAL(std::string("histogram"), e.types[name]);
			auto buckets = e.find(name + "_bucket", {{"topic", "orders.created"}});
			CPPUNIT_ASSERT(buckets.size() >= 2);
			double previous = 0, previousBound = -1;
			for (const auto& b : buckets)
			{
				double bound = b.labels.at("le") == "+Inf" ? INFINITY : std::stod(b.labels.at("le"));
				CPPUNIT_ASSERT(bound > previousBound);
				CPPUNIT_ASSERT(b.value >= previous);
				previous = b.value;
				previousBound = bound;
			}
			CPPUNIT_ASSERT_EQUAL(std::string("+Inf"), buckets.back().labels.at("le"));
			CPPUNIT_ASSERT_EQUAL(5.0, buckets.back().value);
			CPPUNIT_ASSERT_EQUAL(5.0, single(e, name + "_count", {{"topic", "orders.created"}}));
			CPPUNIT_ASSERT(single(e, name + "_sum", {{"topic", "orders.created"}}) >= 0);
		}
	}

	void testReadyIs503WithReasonOnceTheBusIsClosed()
	{
		OperationsResponse ready = _endpoints->respond("GET", "/health/ready");
		CPPUNIT_ASSERT_EQUAL(200, ready.status);
		_bus->close();
		OperationsResponse closed = _endpoints->respond("GET", "/health/ready");
		CPPUNIT_ASSERT_EQUAL(503, closed.status);
		CPPUNIT_ASSERT_EQUAL(std::string("application/json"), closed.contentType);
		Poco::JSON::Object::Ptr body = Poco::JSON::Parser().parse(closed.body).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT(!body->getValue<bool>("ready"));
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), body->getValue<std::string>("transport"));
		CPPUNIT_ASSERT(!body->getValue<std::string>("reason").empty());
		CPPUNIT_ASSERT_EQUAL(0.0, single(scrape(), "eventbus_transport_ready", {{"transport", "loopback"}}));
		// Liveness does not depend on the transport.
		CPPUNIT_ASSERT_EQUAL(200, _endpoints->respond("GET", "/health/live").status);
	}

	void testRoutes()
	{
		CPPUNIT_ASSERT_EQUAL(200, _endpoints->respond("GET", "/health/live").status);
		CPPUNIT_ASSERT_EQUAL(200, _endpoints->respond("GET", "/metrics").status);
		CPPUNIT_ASSERT_EQUAL(404, _endpoints->respond("GET", "/").status);
		CPPUNIT_ASSERT_EQUAL(404, _endpoints->respond("GET", "/health/ready/").status);
		CPPUNIT_ASSERT_EQUAL(404, _endpoints->respond("POST", "/orders").status);
		CPPUNIT_ASSERT_EQUAL(405, _endpoints->respond("POST", "/health/live").status);
		CPPUNIT_ASSERT_EQUAL(405, _endpoints->respond("HEAD", "/metrics").status);
		CPPUNIT_ASSERT_EQUAL(405, _endpoints->respond("PUT", "/health/ready").status);
	}

	void testPluginInfoLabelValuesAreEscaped()
	{
		ServeInfo info;
		info.transport = "loopback";
		info.pluginFile = "/opt/odd \"dir\"\\with\nnewline/libx.so";
		OperationsEndpoints endpoints(*_bus, info);
		Exposition e = Exposition::parse(endpoints.metricsText());
		auto samples = e.find("eventbus_plugin_info");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), samples.size());
		CPPUNIT_ASSERT_EQUAL(info.pluginFile, samples[0].labels["file"]);
		CPPUNIT_ASSERT_EQUAL(std::to_string(EVENTBUS_PLUGIN_API_VERSION), samples[0].labels["api_version"]);
	}

	void testOperationsGuideNamesEverySeries()
	{
		Poco::FileInputStream in(sourceDir() + "/docs/operations.md");
		std::string guide;
		Poco::StreamCopier::copyToString(in, guide);
		for (const char* name : {Metrics::Published, Metrics::PublishFailed, Metrics::Delivered, Metrics::Dropped,
				Metrics::Duplicates, Metrics::HandlerErrors, Metrics::Redactions, Metrics::Reconnects,
				Metrics::PublishLatency, Metrics::EndToEndLatency, "eventbus_process_start_time_seconds",
				"eventbus_transport_ready", "eventbus_plugin_info"})
			CPPUNIT_ASSERT_MESSAGE(std::string("docs/operations.md does not name ") + name,
				guide.find(name) != std::string::npos);
	}

private:
	Exposition scrape()
	{
		OperationsResponse response = _endpoints->respond("GET", "/metrics");
		CPPUNIT_ASSERT_EQUAL(200, response.status);
		CPPUNIT_ASSERT_EQUAL(std::string("text/plain; version=0.0.4; charset=utf-8"), response.contentType);
		try
		{
			return Exposition::parse(response.body);
		}
		catch (std::runtime_error& exc)
		{
			CPPUNIT_FAIL(exc.what());
		}
		return Exposition();
	}

	static double single(const Exposition& e, const std::string& name, const std::map<std::string, std::string>& labels)
	{
		auto found = e.find(name, labels);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(name, std::size_t(1), found.size());
		return found[0].value;
	}

	std::unique_ptr<EventBus> _bus;
	std::unique_ptr<OperationsEndpoints> _endpoints;
};

CPPUNIT_TEST_SUITE_REGISTRATION(OperationsEndpointsTest);
