// Suite ID: unit.eventbus.lifecycle
//
// EventBusLifecycleTest.cpp
//
// The bus contract, lifecycle: the middleware chain a bus builds, the env policy for
// in-process transports, health, and close.
// Through the loopback transport (deterministic), the memory transport (with
// waitUntil) and a spy transport (EventBusTestSupport.h).
//
#include "EventBusTestSupport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>

using namespace eventbus;
using namespace eventbus::test;

class EventBusLifecycleTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EventBusLifecycleTest);
	CPPUNIT_TEST(testDefaultMiddlewareOrder);
	CPPUNIT_TEST(testMiddlewareOrderFollowsConfig);
	CPPUNIT_TEST(testUnknownMiddlewareIsRefused);
	CPPUNIT_TEST(testMemoryTransportIsRefusedInProduction);
	CPPUNIT_TEST(testLoopbackTransportIsRefusedInProduction);
	CPPUNIT_TEST(testInProcessTransportGivenByCallerIsRefusedInProduction);
	CPPUNIT_TEST(testHealthIsReady);
	CPPUNIT_TEST(testCloseIsIdempotent);
	CPPUNIT_TEST(testPublishAfterCloseIsRefused);
	CPPUNIT_TEST(testCloseStopsTheTransport);
	CPPUNIT_TEST_SUITE_END();

public:
	void testDefaultMiddlewareOrder()
	{
		auto bus = loopbackBus();
		CPPUNIT_ASSERT(bus->middlewareNames() ==
			std::vector<std::string>({"tenant-guard", "redaction", "idempotency", "metrics"}));
	}

	void testMiddlewareOrderFollowsConfig()
	{
		auto bus = loopbackBus({{"eventbus.middleware", "metrics,idempotency,tenant-guard"}});
		CPPUNIT_ASSERT(bus->middlewareNames() == std::vector<std::string>({"metrics", "idempotency", "tenant-guard"}));
	}

	void testUnknownMiddlewareIsRefused()
	{
		const std::string msg = expectThrow<ConfigException>([] { loopbackBus({{"eventbus.middleware", "tenant-guard,nosuch"}}); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.middleware"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "nosuch"));
	}

	void testMemoryTransportIsRefusedInProduction()
	{
		auto config = makeConfig("memory", {{"eventbus.env", "production"}});
		const std::string msg = expectThrow<PolicyException>([&] { EventBus bus(*config); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.policy.inMemoryEnvs"));
	}

	void testLoopbackTransportIsRefusedInProduction()
	{
		auto config = makeConfig("loopback", {{"eventbus.env", "production"}});
		const std::string msg = expectThrow<PolicyException>([&] { EventBus bus(*config); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.policy.inMemoryEnvs"));
	}

	void testInProcessTransportGivenByCallerIsRefusedInProduction()
	{
		auto config = makeConfig("loopback", {{"eventbus.env", "production"}});
		auto spy = std::make_shared<SpyTransport>();
		const std::string msg = expectThrow<PolicyException>([&] { EventBus bus(*config, spy); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.policy.inMemoryEnvs"));
		CPPUNIT_ASSERT(!spy->started);
	}

	void testHealthIsReady()
	{
		auto bus = loopbackBus();
		CPPUNIT_ASSERT(bus->health().ready);
		auto mem = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory")));
		CPPUNIT_ASSERT(mem->health().ready);
	}

	void testCloseIsIdempotent()
	{
		Collector got;
		auto bus = loopbackBus();
		bus->subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		bus->close();
		bus->close();
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), got.size());
	}

	void testPublishAfterCloseIsRefused()
	{
		auto bus = loopbackBus();
		bus->close();
		bool refused = false;
		try
		{
			bus->publish(Topic, payload("a", 1), "acme");
		}
		catch (Poco::Exception&)
		{
			refused = true;
		}
		CPPUNIT_ASSERT_MESSAGE("publish on a closed bus silently succeeded", refused);
	}

	void testCloseStopsTheTransport()
	{
		auto spy = std::make_shared<SpyTransport>();
		auto bus = spyBus(spy);
		CPPUNIT_ASSERT(spy->started);
		bus->subscribe(Topic, [](const Event&) {}, TenantScope::tenant("acme"));
		bus->close();
		CPPUNIT_ASSERT(spy->stopped);
		CPPUNIT_ASSERT(spy->subscriptions().empty());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventBusLifecycleTest);
