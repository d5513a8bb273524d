// Suite ID: unit.idempotency
//
// IdempotencyTest.cpp
//
// The bounded window of message ids (by entries and by age) and the
// idempotency middleware that drops duplicates, stale and future events.
//
#include "UnitSupport.h"
#include "eventbus/Metrics.h"
#include "eventbus/middleware/Idempotency.h"
#include <cppunit/extensions/HelperMacros.h>
#include <limits>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const Poco::Timestamp T0(1700000000000000LL);

Poco::Timestamp at(int seconds)
{
	return T0 + Poco::Timespan(seconds, 0);
}

Event eventAt(const std::string& id, const Poco::Timestamp& time)
{
	Event e;
	e.id = id;
	e.source = "/unit";
	e.type = "orders.created";
	e.time = time;
	e.tenantId = "acme";
	e.data = new Poco::JSON::Object;
	return e;
}

struct Delivery
{
	explicit Delivery(const Event& e, std::uint64_t token = 1)
		: scope(TenantScope::tenant("acme")),
		  context{e, channel, topic, scope, token, "memory", ""}
	{
	}
	std::string channel = "c2pro.test.acme.orders.created";
	std::string topic = "orders.created";
	TenantScope scope;
	DeliveryContext context;
};

} // namespace

class IdempotencyTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(IdempotencyTest);
	CPPUNIT_TEST(testFirstSightingIsNotDuplicate);
	CPPUNIT_TEST(testSecondSightingWithinWindowIsDuplicate);
	CPPUNIT_TEST(testDistinctKeysAreIndependent);
	CPPUNIT_TEST(testWindowIsBoundedByEntries);
	CPPUNIT_TEST(testOldestEntryIsEvictedFirst);
	CPPUNIT_TEST(testEntriesOlderThanWindowAreForgotten);
	CPPUNIT_TEST(testEntryJustInsideWindowIsRemembered);
	CPPUNIT_TEST(testAgeEvictionShrinksSize);
	CPPUNIT_TEST(testForgottenKeyIsNotADuplicateAndEvictionStaysSafe);
	CPPUNIT_TEST(testMiddlewareDropsDuplicateAndCountsIt);
	CPPUNIT_TEST(testMiddlewareKeepsSubscriptionsApart);
	CPPUNIT_TEST(testPublisherKeyStandsForTheIdPerTenantAndSubscription);
	CPPUNIT_TEST(testHandlerThatThrewIsForgotten);
	CPPUNIT_TEST(testMiddlewareDropsStaleEvent);
	CPPUNIT_TEST(testMiddlewareDropsFutureEvent);
	CPPUNIT_TEST(testMiddlewareAcceptsSmallClockSkew);
	CPPUNIT_TEST(testZeroMaxAgeMeansNoLimit);
	CPPUNIT_TEST_SUITE_END();

public:
	void testFirstSightingIsNotDuplicate()
	{
		IdempotencyWindow w(10, Poco::Timespan(60, 0));
		CPPUNIT_ASSERT(!w.seenBefore("a", at(0)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
	}

	void testSecondSightingWithinWindowIsDuplicate()
	{
		IdempotencyWindow w(10, Poco::Timespan(60, 0));
		w.seenBefore("a", at(0));
		CPPUNIT_ASSERT(w.seenBefore("a", at(1)));
		CPPUNIT_ASSERT(w.seenBefore("a", at(2)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
	}

	void testDistinctKeysAreIndependent()
	{
		IdempotencyWindow w(10, Poco::Timespan(60, 0));
		CPPUNIT_ASSERT(!w.seenBefore("a", at(0)));
		CPPUNIT_ASSERT(!w.seenBefore("b", at(0)));
		CPPUNIT_ASSERT(w.seenBefore("a", at(0)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), w.size());
	}

	void testWindowIsBoundedByEntries()
	{
		IdempotencyWindow w(3, Poco::Timespan(3600, 0));
		for (int i = 0; i < 100; ++i)
		{
			w.seenBefore("k" + std::to_string(i), at(i));
			CPPUNIT_ASSERT(w.size() <= 3);
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), w.size());
	}

	void testOldestEntryIsEvictedFirst()
	{
		IdempotencyWindow w(3, Poco::Timespan(3600, 0));
		w.seenBefore("a", at(0));
		w.seenBefore("b", at(1));
		w.seenBefore("c", at(2));
		w.seenBefore("d", at(3)); // evicts a
		CPPUNIT_ASSERT(w.seenBefore("d", at(4)));
		CPPUNIT_ASSERT(w.seenBefore("c", at(4)));
		CPPUNIT_ASSERT(!w.seenBefore("a", at(4)));
	}

	void testEntriesOlderThanWindowAreForgotten()
	{
		IdempotencyWindow w(100, Poco::Timespan(10, 0));
		w.seenBefore("a", at(0));
		CPPUNIT_ASSERT(!w.seenBefore("a", at(11)));
	}

	void testEntryJustInsideWindowIsRemembered()
	{
		IdempotencyWindow w(100, Poco::Timespan(10, 0));
		w.seenBefore("a", at(0));
		CPPUNIT_ASSERT(w.seenBefore("a", at(9)));
	}

	void testForgottenKeyIsNotADuplicateAndEvictionStaysSafe()
	{
		IdempotencyWindow w(2, Poco::Timespan(3600, 0));
		CPPUNIT_ASSERT(!w.seenBefore("a"));
		CPPUNIT_ASSERT(!w.seenBefore("b"));
		w.forget("a");
		w.forget("never-seen");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
		CPPUNIT_ASSERT(!w.seenBefore("a"));   // a retry, not a duplicate
		CPPUNIT_ASSERT(w.seenBefore("b"));
		// Evicting past the forgotten slot touches no freed key (ASan).
		CPPUNIT_ASSERT(!w.seenBefore("c"));
		CPPUNIT_ASSERT(!w.seenBefore("d"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), w.size());
		CPPUNIT_ASSERT(w.seenBefore("d"));
	}

	void testAgeEvictionShrinksSize()
	{
		IdempotencyWindow w(100, Poco::Timespan(10, 0));
		for (int i = 0; i < 5; ++i)
			w.seenBefore("old" + std::to_string(i), at(0));
		w.seenBefore("new", at(30));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), w.size());
	}

	void testMiddlewareDropsDuplicateAndCountsIt()
	{
		Metrics metrics;
		Idempotency mw(1000, 3600, 3600, 60, metrics);
		const Event e = eventAt("id-1", Poco::Timestamp());
		Delivery first(e);
		CPPUNIT_ASSERT(mw.onDeliver(first.context));
		Delivery second(e);
		CPPUNIT_ASSERT(!mw.onDeliver(second.context));
		CPPUNIT_ASSERT_EQUAL(std::string("duplicate"), second.context.dropReason);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), metrics.counterValue(Metrics::Duplicates));
	}

	void testMiddlewareKeepsSubscriptionsApart()
	{
		Metrics metrics;
		Idempotency mw(1000, 3600, 3600, 60, metrics);
		const Event e = eventAt("id-1", Poco::Timestamp());
		Delivery one(e, 1), two(e, 2);
		CPPUNIT_ASSERT(mw.onDeliver(one.context));
		CPPUNIT_ASSERT(mw.onDeliver(two.context));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), metrics.counterValue(Metrics::Duplicates));
	}

	void testPublisherKeyStandsForTheIdPerTenantAndSubscription()
	{
		Metrics metrics;
		Idempotency mw(1000, 3600, 3600, 60, metrics);
		auto keyed = [](const std::string& id, const std::string& tenant, const std::string& key) {
			Event e = eventAt(id, Poco::Timestamp());
			e.tenantId = tenant;
			e.extensions["idempotencykey"] = key;
			return e;
		};
		// Two publishes of one logical event (fresh ids, one key): one delivery.
		const Event a = keyed("id-1", "acme", "order-42"), b = keyed("id-2", "acme", "order-42");
		Delivery first(a), retry(b);
		CPPUNIT_ASSERT(mw.onDeliver(first.context));
		CPPUNIT_ASSERT(!mw.onDeliver(retry.context));
		CPPUNIT_ASSERT_EQUAL(std::string("duplicate"), retry.context.dropReason);
		// The same key of another tenant, or for another subscription, is not.
		const Event other = keyed("id-3", "globex", "order-42");
		Delivery otherTenant(other), otherSubscription(b, 2);
		CPPUNIT_ASSERT(mw.onDeliver(otherTenant.context));
		CPPUNIT_ASSERT(mw.onDeliver(otherSubscription.context));
		// A key that reads like an id, and an id like a key, stay apart.
		const Event idLike = eventAt("acme/order-42", Poco::Timestamp());
		Delivery byId(idLike);
		CPPUNIT_ASSERT(mw.onDeliver(byId.context));
		// Subscription tokens of every width (10 is not 1 followed by 0).
		for (std::uint64_t token : {std::uint64_t(10), std::uint64_t(100), std::numeric_limits<std::uint64_t>::max()})
		{
			Delivery wide(a, token), again(b, token);
			CPPUNIT_ASSERT(mw.onDeliver(wide.context));
			CPPUNIT_ASSERT(!mw.onDeliver(again.context));
		}
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(4), metrics.counterValue(Metrics::Duplicates));
	}

	void testHandlerThatThrewIsForgotten()
	{
		// Its redelivery is a retry, not a duplicate; one that was handled is.
		Metrics metrics;
		Idempotency mw(1000, 3600, 3600, 60, metrics);
		const Event e = eventAt("id-1", Poco::Timestamp());
		Delivery first(e);
		CPPUNIT_ASSERT(mw.onDeliver(first.context));
		mw.afterDeliver(first.context, true);
		Delivery retry(e);
		CPPUNIT_ASSERT(mw.onDeliver(retry.context));
		mw.afterDeliver(retry.context, false);
		Delivery duplicate(e);
		CPPUNIT_ASSERT(!mw.onDeliver(duplicate.context));
	}

	void testMiddlewareDropsStaleEvent()
	{
		Metrics metrics;
		Idempotency mw(1000, 3600, 60, 5, metrics);
		const Event e = eventAt("id-stale", Poco::Timestamp() - Poco::Timespan(120, 0));
		Delivery d(e);
		CPPUNIT_ASSERT(!mw.onDeliver(d.context));
		CPPUNIT_ASSERT_EQUAL(std::string("stale"), d.context.dropReason);
	}

	void testMiddlewareDropsFutureEvent()
	{
		Metrics metrics;
		Idempotency mw(1000, 3600, 60, 5, metrics);
		const Event e = eventAt("id-future", Poco::Timestamp() + Poco::Timespan(120, 0));
		Delivery d(e);
		CPPUNIT_ASSERT(!mw.onDeliver(d.context));
		CPPUNIT_ASSERT_EQUAL(std::string("future"), d.context.dropReason);
	}

	void testMiddlewareAcceptsSmallClockSkew()
	{
		Metrics metrics;
		Idempotency mw(1000, 3600, 60, 30, metrics);
		const Event e = eventAt("id-skew", Poco::Timestamp() + Poco::Timespan(5, 0));
		Delivery d(e);
		CPPUNIT_ASSERT(mw.onDeliver(d.context));
	}

	void testZeroMaxAgeMeansNoLimit()
	{
		Metrics metrics;
		Idempotency mw(1000, 3600, 0, 60, metrics);
		const Event e = eventAt("id-ancient", Poco::Timestamp(0));
		Delivery d(e);
		CPPUNIT_ASSERT(mw.onDeliver(d.context));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(IdempotencyTest);
