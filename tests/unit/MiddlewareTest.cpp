// Suite ID: unit.middleware
//
// MiddlewareTest.cpp
//
// Each built-in middleware on its own: tenant-guard, redaction, metrics, and
// the chain built from eventbus.middleware.
//
#include "BusTestSupport.h"
#include "eventbus/BusSettings.h"
#include "eventbus/Exceptions.h"
#include "eventbus/middleware/MetricsRecorder.h"
#include "eventbus/middleware/MiddlewareChain.h"
#include "eventbus/middleware/Redaction.h"
#include "eventbus/middleware/TenantGuard.h"
#include <Poco/Logger.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string AcmeChannel = "c2pro.test.acme.orders.created";
const std::string Topic = "orders.created";

/// Runs onDeliver of `mw`; returns the drop reason ("" when delivered).
std::string deliver(Middleware& mw, const Event& e, const std::string& channel,
	const std::string& subscribedTopic, const TenantScope& scope)
{
	DeliveryContext context{e, channel, subscribedTopic, scope, 7, "spy", ""};
	const bool ok = mw.onDeliver(context);
	CPPUNIT_ASSERT_MESSAGE("a drop must say why", ok || !context.dropReason.empty());
	return ok ? std::string() : context.dropReason;
}

} // namespace

class MiddlewareTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(MiddlewareTest);
	CPPUNIT_TEST(testTenantGuardRefusesInvalidTenantOnPublish);
	CPPUNIT_TEST(testTenantGuardRefusesInvalidTopicOnPublish);
	CPPUNIT_TEST(testTenantGuardPassesMatchingDelivery);
	CPPUNIT_TEST(testTenantGuardDropsEnvelopeTenantMismatch);
	CPPUNIT_TEST(testTenantGuardDropsScopeMismatch);
	CPPUNIT_TEST(testTenantGuardDropsTopicMismatch);
	CPPUNIT_TEST(testTenantGuardDropsBadChannel);
	CPPUNIT_TEST(testTenantGuardDropsChannelOfAnotherEnv);
	CPPUNIT_TEST(testTenantGuardPassesCrossTenantScope);
	CPPUNIT_TEST(testTenantGuardComparesOnlyWhatAParseWouldAccept);
	CPPUNIT_TEST(testPayloadRedactionMasksEventOnPublish);
	CPPUNIT_TEST(testLogRedactionLeavesEventAlone);
	CPPUNIT_TEST(testMetricsRecorderCountsPublishAndDelivery);
	CPPUNIT_TEST(testMetricsRecorderDoesNotCountFailedPublish);
	CPPUNIT_TEST(testChainFollowsConfiguredOrder);
	CPPUNIT_TEST(testChainRefusesUnknownName);
	CPPUNIT_TEST(testChainRefusesRepeatedName);
	CPPUNIT_TEST_SUITE_END();

public:
	void testTenantGuardRefusesInvalidTenantOnPublish()
	{
		TenantGuard guard("c2pro", "test");
		Event e = handMadeEvent("acme", Topic);
		e.tenantId = "ac.me";
		PublishContext context{e, AcmeChannel, "spy", Poco::Timestamp()};
		const std::string msg = expectThrow<ValidationException>([&] { guard.onPublish(context); });
		CPPUNIT_ASSERT_MESSAGE(msg, startsWith(msg, "tenantId"));
	}

	void testTenantGuardRefusesInvalidTopicOnPublish()
	{
		TenantGuard guard("c2pro", "test");
		Event e = handMadeEvent("acme", Topic);
		e.type = "Orders";
		PublishContext context{e, AcmeChannel, "spy", Poco::Timestamp()};
		const std::string msg = expectThrow<ValidationException>([&] { guard.onPublish(context); });
		CPPUNIT_ASSERT_MESSAGE(msg, startsWith(msg, "topic"));
	}

	void testTenantGuardPassesMatchingDelivery()
	{
		TenantGuard guard("c2pro", "test");
		CPPUNIT_ASSERT_EQUAL(std::string(), deliver(guard, handMadeEvent("acme", Topic), AcmeChannel, Topic, TenantScope::tenant("acme")));
	}

	void testTenantGuardDropsEnvelopeTenantMismatch()
	{
		TenantGuard guard("c2pro", "test");
		CPPUNIT_ASSERT_EQUAL(std::string("tenant-mismatch"),
			deliver(guard, handMadeEvent("evil", Topic), AcmeChannel, Topic, TenantScope::tenant("acme")));
	}

	void testTenantGuardDropsScopeMismatch()
	{
		TenantGuard guard("c2pro", "test");
		CPPUNIT_ASSERT_EQUAL(std::string("scope-mismatch"),
			deliver(guard, handMadeEvent("acme", Topic), AcmeChannel, Topic, TenantScope::tenant("globex")));
	}

	void testTenantGuardDropsTopicMismatch()
	{
		TenantGuard guard("c2pro", "test");
		CPPUNIT_ASSERT_EQUAL(std::string("topic-mismatch"),
			deliver(guard, handMadeEvent("acme", "x.orders.created"), "c2pro.test.acme.x.orders.created", Topic,
				TenantScope::tenant("acme")));
	}

	void testTenantGuardDropsBadChannel()
	{
		TenantGuard guard("c2pro", "test");
		CPPUNIT_ASSERT_EQUAL(std::string("bad-channel"),
			deliver(guard, handMadeEvent("acme", Topic), "garbage", Topic, TenantScope::tenant("acme")));
	}

	void testTenantGuardDropsChannelOfAnotherEnv()
	{
		TenantGuard guard("c2pro", "test");
		CPPUNIT_ASSERT(!deliver(guard, handMadeEvent("acme", Topic), "c2pro.production.acme.orders.created", Topic,
			TenantScope::tenant("acme")).empty());
		CPPUNIT_ASSERT(!deliver(guard, handMadeEvent("acme", Topic), "other.test.acme.orders.created", Topic,
			TenantScope::tenant("acme")).empty());
	}

	void testTenantGuardPassesCrossTenantScope()
	{
		TenantGuard guard("c2pro", "test");
		CPPUNIT_ASSERT_EQUAL(std::string(), deliver(guard, handMadeEvent("globex", Topic),
			"c2pro.test.globex.orders.created", Topic, TenantScope::allTenants()));
		CPPUNIT_ASSERT_EQUAL(std::string("tenant-mismatch"), deliver(guard, handMadeEvent("evil", Topic),
			"c2pro.test.globex.orders.created", Topic, TenantScope::allTenants()));
	}

	void testTenantGuardComparesOnlyWhatAParseWouldAccept()
	{
		// The channel is compared with the one the event's tenant and the
		// subscribed topic make; when that comparison holds for names a parse
		// would refuse or split otherwise, the verdict is still the parse's.
		TenantGuard guard("c2pro", "test");
		const TenantScope acme = TenantScope::tenant("acme");
		// A tenant with a dot: the channel splits as tenant "a", topic "b.orders.created".
		CPPUNIT_ASSERT_EQUAL(std::string("tenant-mismatch"), deliver(guard, handMadeEvent("a.b", Topic),
			"c2pro.test.a.b.orders.created", Topic, TenantScope::tenant("a.b")));
		// A subscribed topic that is not a valid one.
		CPPUNIT_ASSERT_EQUAL(std::string("bad-channel"), deliver(guard, handMadeEvent("acme", "Orders"),
			"c2pro.test.acme.Orders", "Orders", acme));
		// A guard built with a prefix that is not a valid name accepts nothing.
		TenantGuard invalid("C2PRO", "test");
		CPPUNIT_ASSERT_EQUAL(std::string("bad-channel"), deliver(invalid, handMadeEvent("acme", Topic),
			"C2PRO.test.acme.orders.created", Topic, acme));
		// The compared channel with the scope or the envelope's topic wrong.
		CPPUNIT_ASSERT_EQUAL(std::string("scope-mismatch"), deliver(guard, handMadeEvent("acme", Topic),
			"c2pro.test.acme.orders.created", Topic, TenantScope::tenant("globex")));
		CPPUNIT_ASSERT_EQUAL(std::string("topic-mismatch"), deliver(guard, handMadeEvent("acme", "orders.other"),
			"c2pro.test.acme.orders.created", Topic, acme));
		// Channels one byte off in every position: never accepted.
		const std::string good = "c2pro.test.acme.orders.created";
		CPPUNIT_ASSERT_EQUAL(std::string(), deliver(guard, handMadeEvent("acme", Topic), good, Topic, acme));
		for (std::size_t i = 0; i < good.size(); ++i)
		{
			std::string changed = good;
			changed[i] = changed[i] == 'x' ? 'y' : 'x';
			CPPUNIT_ASSERT_MESSAGE(changed, !deliver(guard, handMadeEvent("acme", Topic), changed, Topic, acme).empty());
			CPPUNIT_ASSERT_MESSAGE(good.substr(0, i), !deliver(guard, handMadeEvent("acme", Topic), good.substr(0, i), Topic, acme).empty());
			CPPUNIT_ASSERT(!deliver(guard, handMadeEvent("acme", Topic), good + good.substr(i), Topic, acme).empty());
		}
	}

	void testPayloadRedactionMasksEventOnPublish()
	{
		Metrics metrics;
		Redactor redactor;
		Redaction mw(redactor, RedactionMode::Payload, metrics, Poco::Logger::get("unit.middleware"));
		Event e = handMadeEvent("acme", Topic);
		e.data = payload("password", "hunter2");
		e.data->set("user", "bob");
		PublishContext context{e, AcmeChannel, "spy", Poco::Timestamp()};
		mw.onPublish(context);
		CPPUNIT_ASSERT_EQUAL(std::string(Redactor::Mask), e.data->getValue<std::string>("password"));
		CPPUNIT_ASSERT_EQUAL(std::string("bob"), e.data->getValue<std::string>("user"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), metrics.counterValue(Metrics::Redactions));
	}

	void testLogRedactionLeavesEventAlone()
	{
		Metrics metrics;
		Redactor redactor;
		Redaction mw(redactor, RedactionMode::Log, metrics, Poco::Logger::get("unit.middleware"));
		Event e = handMadeEvent("acme", Topic);
		e.data = payload("password", "hunter2");
		PublishContext context{e, AcmeChannel, "spy", Poco::Timestamp()};
		mw.onPublish(context);
		CPPUNIT_ASSERT_EQUAL(std::string("hunter2"), e.data->getValue<std::string>("password"));
		CPPUNIT_ASSERT_EQUAL(std::string(), deliver(mw, e, AcmeChannel, Topic, TenantScope::tenant("acme")));
	}

	void testMetricsRecorderCountsPublishAndDelivery()
	{
		Metrics metrics;
		MetricsRecorder mw(metrics, false);
		Event e = handMadeEvent("acme", Topic);
		PublishContext context{e, AcmeChannel, "spy", Poco::Timestamp()};
		mw.afterPublish(context, true);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), metrics.counterValue(Metrics::Published, {{"topic", Topic}, {"transport", "spy"}}));
		CPPUNIT_ASSERT_EQUAL(std::string(), deliver(mw, e, AcmeChannel, Topic, TenantScope::tenant("acme")));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), metrics.counterValue(Metrics::Delivered));
	}

	void testMetricsRecorderDoesNotCountFailedPublish()
	{
		Metrics metrics;
		MetricsRecorder mw(metrics, false);
		Event e = handMadeEvent("acme", Topic);
		PublishContext context{e, AcmeChannel, "spy", Poco::Timestamp()};
		mw.afterPublish(context, false);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), metrics.counterValue(Metrics::Published));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), metrics.histogram(Metrics::PublishLatency,
			{{"topic", Topic}, {"transport", "spy"}}).count());
	}

	void testChainFollowsConfiguredOrder()
	{
		BusSettings settings;
		settings.middleware = {"metrics", "redaction", "tenant-guard", "idempotency"};
		Metrics metrics;
		Redactor redactor;
		const auto chain = MiddlewareChain::fromSettings(MiddlewareSetup{settings, redactor, metrics, Poco::Logger::get("unit.middleware")});
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), chain.size());
		for (std::size_t i = 0; i < chain.size(); ++i)
			CPPUNIT_ASSERT_EQUAL(settings.middleware[i], chain[i]->name());
	}

	void testChainRefusesUnknownName()
	{
		BusSettings settings;
		settings.middleware = {"tenant-guard", "compression"};
		Metrics metrics;
		Redactor redactor;
		const std::string msg = expectThrow<ConfigException>(
			[&] { MiddlewareChain::fromSettings(MiddlewareSetup{settings, redactor, metrics, Poco::Logger::get("unit.middleware")}); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "compression"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.middleware"));
	}

	void testChainRefusesRepeatedName()
	{
		BusSettings settings;
		settings.middleware = {"tenant-guard", "tenant-guard"};
		Metrics metrics;
		Redactor redactor;
		expectThrow<ConfigException>([&] { MiddlewareChain::fromSettings(MiddlewareSetup{settings, redactor, metrics, Poco::Logger::get("unit.middleware")}); });
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(MiddlewareTest);
