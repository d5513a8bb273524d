// Suite ID: unit.chain-extension
//
// ChainExtensionTest.cpp
//
// The chain is open to middleware a host defines: a defined name can be
// listed in eventbus.middleware, runs in the listed order on publish and on
// delivery, and its drop reaches no handler and is counted.
//
#include "BusTestSupport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/middleware/MiddlewareChain.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Topic = "orders.created";

/// Counts what it sees; drops deliveries whose data has "block": true.
class Audit: public Middleware
{
public:
	static std::atomic<int> published;
	static std::atomic<int> delivered;
	std::string name() const override { return "audit"; }
	void onPublish(PublishContext& context) override
	{
		++published;
		context.event.extensions["audited"] = "yes";
	}
	bool onDeliver(DeliveryContext& context) override
	{
		++delivered;
		if (context.event.data->has("block"))
		{
			context.dropReason = "audit-blocked";
			return false;
		}
		return true;
	}
};

std::atomic<int> Audit::published{0};
std::atomic<int> Audit::delivered{0};

void defineAuditOnce()
{
	static bool defined = false;
	if (defined) return;
	MiddlewareChain::define("audit", [](const MiddlewareSetup&) -> MiddlewarePtr { return std::make_shared<Audit>(); });
	defined = true;
}

} // namespace

class ChainExtensionTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ChainExtensionTest);
	CPPUNIT_TEST(testDefinedMiddlewareRunsWhereItIsListed);
	CPPUNIT_TEST(testDefinedMiddlewareDropIsCountedAndNotHandled);
	CPPUNIT_TEST(testRedefiningANameIsRefused);
	CPPUNIT_TEST(testInvalidNameIsRefused);
	CPPUNIT_TEST(testUnknownNameListsTheDefinedOnes);
	CPPUNIT_TEST(testScalarPayloadIsNotAnObjectRatherThanInvalidJson);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override { defineAuditOnce(); }

	void testDefinedMiddlewareRunsWhereItIsListed()
	{
		Collector got;
		EventBus bus(*makeConfig("loopback", {{"eventbus.middleware", "tenant-guard,audit,metrics"}}));
		const std::vector<std::string> expected{"tenant-guard", "audit", "metrics"};
		CPPUNIT_ASSERT(expected == bus.middlewareNames());
		const int publishedBefore = Audit::published.load();
		const int deliveredBefore = Audit::delivered.load();
		bus.subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		bus.publish(Topic, R"({"orderId":"A-1"})", "acme");
		CPPUNIT_ASSERT(got.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(publishedBefore + 1, Audit::published.load());
		CPPUNIT_ASSERT_EQUAL(deliveredBefore + 1, Audit::delivered.load());
		CPPUNIT_ASSERT_EQUAL(std::string("yes"), got.at(0).extensions.at("audited"));
	}

	void testDefinedMiddlewareDropIsCountedAndNotHandled()
	{
		Collector got;
		EventBus bus(*makeConfig("loopback", {{"eventbus.middleware", "audit"}}));
		bus.subscribe(Topic, got.handler(), TenantScope::tenant("acme"));
		bus.publish(Topic, R"({"block":true})", "acme");
		bus.publish(Topic, R"({"orderId":"A-2"})", "acme");
		CPPUNIT_ASSERT(got.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1),
			bus.metrics().counterValue(Metrics::Dropped, {{"reason", "audit-blocked"}, {"transport", "loopback"}}));
	}

	void testRedefiningANameIsRefused()
	{
		expectThrow<ConfigException>([] {
			MiddlewareChain::define("audit", [](const MiddlewareSetup&) -> MiddlewarePtr { return nullptr; });
		});
		expectThrow<ConfigException>([] {
			MiddlewareChain::define("redaction", [](const MiddlewareSetup&) -> MiddlewarePtr { return nullptr; });
		});
	}

	void testInvalidNameIsRefused()
	{
		expectThrow<ConfigException>([] {
			MiddlewareChain::define("Audit Log", [](const MiddlewareSetup&) -> MiddlewarePtr { return nullptr; });
		});
		expectThrow<ConfigException>([] { MiddlewareChain::define("audit-2", MiddlewareFactory()); });
	}

	void testUnknownNameListsTheDefinedOnes()
	{
		const std::string msg = expectThrow<ConfigException>([] {
			EventBus bus(*makeConfig("loopback", {{"eventbus.middleware", "tenant-guard,compression"}}));
		});
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "compression"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "audit"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "tenant-guard"));
	}

	void testScalarPayloadIsNotAnObjectRatherThanInvalidJson()
	{
		EventBus bus(*makeConfig("loopback"));
		for (const std::string payload : {"\"x\"", "1", "null", "true", "[1,2]"})
		{
			const std::string msg = expectThrow<ValidationException>([&] { bus.publish(Topic, payload, "acme"); });
			CPPUNIT_ASSERT_EQUAL_MESSAGE(payload, std::string("payload: must be a JSON object"), msg);
		}
		const std::string msg = expectThrow<ValidationException>([&] { bus.publish(Topic, "{\"a\":", "acme"); });
		CPPUNIT_ASSERT_EQUAL(std::string("payload: not valid JSON"), msg);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ChainExtensionTest);
