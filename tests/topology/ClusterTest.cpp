// Suite ID: topology.cluster
//
// ClusterTest.cpp
//
// The `redis` transport on a Redis Cluster the suite starts once (three
// masters, three replicas on free loopback ports): sharded Pub/Sub across
// every master for many tenants and topics, a slot moved while publishing
// (CLUSTER SETSLOT), a replica promoted by CLUSTER FAILOVER and by killing
// its master, and --all-tenants through the classic-PUBLISH mirror. Every
// fault prints its figures (recovery time, sent, received, missing,
// duplicates, gaps) and asserts that no other tenant lost an event.
//
#include "ClusterSuite.h"
#include "RedisBusFixture.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

using namespace eventbus;
using namespace eventbus::test;

namespace {

using Clock = std::chrono::steady_clock;
const std::string& Topic = ClusterTopic;
constexpr long long RecoveryBoundMs = ClusterRecoveryBoundMs;

long long shardSubscribers(unsigned short port, const std::string& channel)
{
	RedisValue reply = cluster().command(port, {"PUBSUB", "SHARDNUMSUB", channel});
	return reply.elements.size() == 2 ? reply.elements[1].integer : -1;
}

/// A subscribing and a publishing bus on the cluster, `tenants` subscribed on
/// Topic and confirmed on their owners.
struct Pair
{
	std::unique_ptr<EventBus> subscriber = clusterBus();
	std::unique_ptr<EventBus> publisher = clusterBus();
	std::unique_ptr<GapCounter> gaps{new GapCounter(*subscriber)};
	EventTally tally;
	std::vector<std::string> tenants;

	explicit Pair(std::vector<std::string> tenants_) : tenants(std::move(tenants_))
	{
		for (const auto& tenant : tenants)
			subscriber->subscribe(Topic, tally.handler(), TenantScope::tenant(tenant));
		CPPUNIT_ASSERT_MESSAGE(subscriber->health().reason, waitUntil([&]() {
			return subscriber->health().ready && publisher->health().ready; }, std::chrono::milliseconds(10000)));
		for (const auto& tenant : tenants)
		{
			const unsigned short owner = cluster().ownerOf(slotOf(channelOf(tenant)));
			CPPUNIT_ASSERT(waitUntil([&]() { return shardSubscribers(owner, channelOf(tenant)) >= 1; },
				std::chrono::milliseconds(5000)));
		}
	}
};

} // namespace

class ClusterTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ClusterTest);
	CPPUNIT_TEST(testSlotMapIsReadAndNamedInHealth);
	CPPUNIT_TEST(testManyTenantsAndTopicsSpreadOverEveryMaster);
	CPPUNIT_TEST(testPatternSubscriptionIsRefusedWithoutTheMirror);
	CPPUNIT_TEST(testAllTenantsThroughTheMirrorSeesEveryTenantOnce);
	CPPUNIT_TEST(testBadClusterKeysAreRefused);
	CPPUNIT_TEST(testSlotMovedWhilePublishingCostsOnlyThatChannelAGap);
	CPPUNIT_TEST(testClusterFailoverPromotesAReplicaWithoutRestart);
	CPPUNIT_TEST(testKilledMasterIsReplacedByItsReplica);
	CPPUNIT_TEST_SUITE_END();

public:
	void testSlotMapIsReadAndNamedInHealth()
	{
		auto bus = clusterBus();
		CPPUNIT_ASSERT(waitUntil([&]() { return bus->health().ready; }, std::chrono::milliseconds(10000)));
		const std::string reason = bus->health().reason;
		CPPUNIT_ASSERT_MESSAGE(reason, contains(reason, "cluster: 3 masters, 16384/16384 slots covered"));
	}

	void testManyTenantsAndTopicsSpreadOverEveryMaster()
	{
		auto subscriber = clusterBus();
		auto publisher = clusterBus();
		EventTally tally;
		const std::vector<std::string> topics{"orders.created", "orders.paid", "users.signed_up"};
		const std::vector<std::string> tenants = tenantsNamed("tenant", 40);
		std::set<unsigned short> owners;
		for (const auto& tenant : tenants)
		{
			for (const auto& topic : topics)
			{
				subscriber->subscribe(topic, tally.handler(), TenantScope::tenant(tenant));
				owners.insert(cluster().ownerOf(slotOf(channelOf(tenant, topic))));
			}
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), owners.size()); // 120 channels land on every master
		CPPUNIT_ASSERT_MESSAGE(subscriber->health().reason, waitUntil([&]() { return subscriber->health().ready; },
			std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT(contains(subscriber->health().reason, "120 subscriptions on 3 nodes"));
		int n = 0;
		for (int round = 0; round < 5; ++round)
		{
			for (const auto& tenant : tenants)
			{
				for (const auto& topic : topics)
					publisher->publish(topic, RedisBusFixture::numbered(n++), tenant);
			}
		}
		CPPUNIT_ASSERT(waitUntil([&]() { return tally.size() >= static_cast<std::size_t>(n); }, std::chrono::milliseconds(10000)));
		std::cout << "\n  cluster, 40 tenants x 3 topics over " << owners.size() << " masters: sent " << n << ", received "
				  << tally.size() << ", duplicates " << tally.duplicates() << std::endl;
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(n), tally.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.duplicates());
	}

	void testPatternSubscriptionIsRefusedWithoutTheMirror()
	{
		auto bus = clusterBus({{"eventbus.security.allowCrossTenant", "true"}});
		EventTally tally;
		bool refused = false;
		try
		{
			bus->subscribe(Topic, tally.handler(), TenantScope::allTenants());
		}
		catch (Poco::Exception& exc)
		{
			refused = contains(exc.message(), "eventbus.redis.cluster.allTenants=mirror");
		}
		CPPUNIT_ASSERT(refused);
		bool badValue = false;
		try
		{
			clusterBus({{"eventbus.redis.cluster.allTenants", "broadcast"}});
		}
		catch (Poco::Exception& exc)
		{
			badValue = contains(exc.message(), "eventbus.redis.cluster.allTenants");
		}
		CPPUNIT_ASSERT(badValue);
	}

	void testAllTenantsThroughTheMirrorSeesEveryTenantOnce()
	{
		const std::map<std::string, std::string> mirror{{"eventbus.security.allowCrossTenant", "true"},
			{"eventbus.redis.cluster.allTenants", "mirror"}};
		auto subscriber = clusterBus(mirror);
		auto publisher = clusterBus(mirror);
		EventTally all;
		EventTally one;
		subscriber->subscribe(Topic, all.handler(), TenantScope::allTenants());
		subscriber->subscribe(Topic, one.handler(), TenantScope::tenant("mirror7"));
		CPPUNIT_ASSERT(waitUntil([&]() { return subscriber->health().ready && publisher->health().ready; },
			std::chrono::milliseconds(10000)));
		const std::vector<std::string> tenants = tenantsNamed("mirror", 30);
		int n = 0;
		for (int round = 0; round < 5; ++round)
		{
			for (const auto& tenant : tenants)
				publisher->publish(Topic, RedisBusFixture::numbered(n++), tenant);
		}
		CPPUNIT_ASSERT(waitUntil([&]() { return all.size() >= static_cast<std::size_t>(n) && one.size() >= 5; },
			std::chrono::milliseconds(10000)));
		std::cout << "\n  cluster, --all-tenants through the mirror: 30 tenants, sent " << n << ", pattern subscriber received "
				  << all.size() << " (duplicates " << all.duplicates() << "), tenant subscriber " << one.size()
				  << " (duplicates " << one.duplicates() << ")" << std::endl;
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(n), all.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(5), one.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), all.duplicates());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), one.duplicates());
	}

	void testBadClusterKeysAreRefused()
	{
		bool badRefresh = false;
		try
		{
			clusterBus({{"eventbus.redis.cluster.refreshMs", "5"}});
		}
		catch (Poco::Exception& exc)
		{
			badRefresh = contains(exc.message(), "eventbus.redis.cluster.refreshMs");
		}
		CPPUNIT_ASSERT(badRefresh);
	}

	void testSlotMovedWhilePublishingCostsOnlyThatChannelAGap()
	{
		Pair pair(tenantsNamed("move", 6));
		const std::string watched = pair.tenants.front();
		const unsigned slot = slotOf(channelOf(watched));
		const unsigned short from = cluster().ownerOf(slot);
		unsigned short to = 0;
		for (unsigned short master : cluster().masterPorts())
		{
			if (master != from)
				to = master;
		}
		SteadyPublisher steady(*pair.publisher, Topic, pair.tenants, watched, std::chrono::milliseconds(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return steady.confirmedCount() >= 200; }, std::chrono::milliseconds(10000)));
		const auto movedAt = Clock::now();
		steady.fault();
		cluster().moveSlot(slot, to);
		CPPUNIT_ASSERT(waitUntil([&]() { return steady.recoveredAfterMs() >= 0; }, std::chrono::milliseconds(RecoveryBoundMs)));
		CPPUNIT_ASSERT(waitUntil([&]() { return shardSubscribers(to, channelOf(watched)) >= 1; },
			std::chrono::milliseconds(RecoveryBoundMs)));
		const long long resubscribedMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - movedAt).count();
		CPPUNIT_ASSERT(waitUntil([&]() { return pair.gaps->count() >= 1; }, std::chrono::milliseconds(RecoveryBoundMs)));
		const Loss loss = settle(steady, pair.tally, watched);
		std::cout << "\n  cluster, slot " << slot << " moved " << from << " -> " << to << " while publishing: first publish on it confirmed "
				  << steady.recoveredAfterMs() << " ms after the move began, re-subscribed on the new owner after " << resubscribedMs
				  << " ms; attempted " << steady.attempted() << ", confirmed " << loss.confirmed << ", refused " << steady.refused()
				  << ", received " << pair.tally.size() << ", confirmed but missing " << loss.missing << " (other tenants "
				  << loss.missingOthers << ", moved channel after the re-subscription " << loss.missingWatchedAfterSettled
				  << "), duplicates " << pair.tally.duplicates() << ", gaps " << pair.gaps->count() << std::endl;
		CPPUNIT_ASSERT_MESSAGE(pair.gaps->lastReason(), contains(pair.gaps->lastReason(), "moved"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), loss.missingOthers);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), loss.missingWatchedAfterSettled);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), pair.tally.duplicates());
		CPPUNIT_ASSERT_EQUAL(0LL, shardSubscribers(from, channelOf(watched)));
	}

	void testClusterFailoverPromotesAReplicaWithoutRestart()
	{
		Pair pair(tenantsNamed("failover", 6));
		const std::string watched = pair.tenants.front();
		const unsigned slot = slotOf(channelOf(watched));
		const unsigned short oldMaster = cluster().ownerOf(slot);
		const unsigned short replica = cluster().replicaOf(oldMaster);
		SteadyPublisher steady(*pair.publisher, Topic, pair.tenants, watched, std::chrono::milliseconds(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return steady.confirmedCount() >= 200; }, std::chrono::milliseconds(10000)));
		const auto started = Clock::now();
		steady.fault();
		cluster().failover(replica);
		const long long promotedMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
		CPPUNIT_ASSERT(waitUntil([&]() { return shardSubscribers(replica, channelOf(watched)) >= 1; },
			std::chrono::milliseconds(RecoveryBoundMs)));
		const long long followedMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
		const Loss loss = settle(steady, pair.tally, watched);
		const std::size_t movedTenants = [&]() {
			std::size_t count = 0;
			for (const auto& tenant : pair.tenants)
				count += cluster().ownerOf(slotOf(channelOf(tenant))) == replica ? 1 : 0;
			return count;
		}();
		std::cout << "\n  cluster, CLUSTER FAILOVER of " << oldMaster << " to its replica " << replica << ": promoted after "
				  << promotedMs << " ms, subscribed on the new master after " << followedMs << " ms; " << movedTenants
				  << " of 6 tenants on it; attempted " << steady.attempted() << ", confirmed " << loss.confirmed << ", refused "
				  << steady.refused() << ", received " << pair.tally.size() << ", confirmed but missing " << loss.missing
				  << " (after the re-subscription " << loss.missingWatchedAfterSettled << "), duplicates "
				  << pair.tally.duplicates() << ", gaps " << pair.gaps->count() << std::endl;
		CPPUNIT_ASSERT(followedMs < RecoveryBoundMs);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), loss.missingWatchedAfterSettled);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), pair.tally.duplicates());
		CPPUNIT_ASSERT(loss.missing == 0 || pair.gaps->count() >= 1);
	}

	void testKilledMasterIsReplacedByItsReplica()
	{
		Pair pair(tenantsNamed("killed", 6));
		const std::string watched = pair.tenants.front();
		const unsigned slot = slotOf(channelOf(watched));
		const unsigned short oldMaster = cluster().ownerOf(slot);
		SteadyPublisher steady(*pair.publisher, Topic, pair.tenants, watched, std::chrono::milliseconds(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return steady.confirmedCount() >= 200; }, std::chrono::milliseconds(10000)));
		const auto killedAt = Clock::now();
		steady.fault();
		cluster().server(oldMaster).kill();
		cluster().waitForPromotion(oldMaster, std::chrono::milliseconds(20000));
		const long long promotedMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killedAt).count();
		const unsigned short newMaster = cluster().ownerOf(slot);
		CPPUNIT_ASSERT(waitUntil([&]() { return steady.recoveredAfterMs() >= 0; }, std::chrono::milliseconds(RecoveryBoundMs)));
		CPPUNIT_ASSERT(waitUntil([&]() { return shardSubscribers(newMaster, channelOf(watched)) >= 1; },
			std::chrono::milliseconds(RecoveryBoundMs)));
		const long long followedMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killedAt).count();
		CPPUNIT_ASSERT(waitUntil([&]() { return pair.gaps->count() >= 1; }, std::chrono::milliseconds(RecoveryBoundMs)));
		const Loss loss = settle(steady, pair.tally, watched);
		std::cout << "\n  cluster, master " << oldMaster << " SIGKILLed: replica " << newMaster << " promoted after " << promotedMs
				  << " ms, first publish on the slot confirmed " << steady.recoveredAfterMs() << " ms and subscribed on it "
				  << followedMs << " ms after the kill; attempted " << steady.attempted() << ", confirmed " << loss.confirmed
				  << ", refused " << steady.refused() << ", received " << pair.tally.size() << ", confirmed but missing "
				  << loss.missing << " (after the re-subscription " << loss.missingWatchedAfterSettled << "), duplicates "
				  << pair.tally.duplicates() << ", gaps " << pair.gaps->count() << std::endl;
		CPPUNIT_ASSERT(followedMs < RecoveryBoundMs);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), loss.missingWatchedAfterSettled);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), pair.tally.duplicates());
		CPPUNIT_ASSERT(loss.missing == 0 || pair.gaps->count() >= 1);
		cluster().rejoin(oldMaster);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClusterTest);
