// Suite ID: topology.cluster.streams
//
// ClusterStreamsTest.cpp
//
// The redis-streams transport on the cluster_topology suite's Redis Cluster:
// stream keys of many tenants and topics on every master, read by one
// consumer per master; --all-tenants discovered on every node; a slot moved
// (its streams migrated with their groups) and a master killed while
// publishing, with nothing confirmed lost (figures printed: recovery time,
// confirmed, received, missing, duplicates); a publish during a half-done
// migration follows ASK; dead letters written to their own slot's owner
// before the entry is acknowledged, listed and replayed by `eventbus dlq`.
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
#include <set>

using namespace eventbus;
using namespace eventbus::test;

namespace {

using Clock = std::chrono::steady_clock;
const std::string& Topic = ClusterTopic;

std::unique_ptr<EventBus> streamsBus(const std::string& group, std::map<std::string, std::string> overrides = {})
{
	std::map<std::string, std::string> keys{{"eventbus.transport", "redis-streams"},
		{"eventbus.redis.streams.group", group}, {"eventbus.redis.streams.blockMs", "200"},
		{"eventbus.redis.streams.retryBackoffMs", "20"}, {"eventbus.redis.streams.retryBackoffMaxMs", "100"},
		{"eventbus.redis.streams.claimIntervalMs", "100"}, {"eventbus.redis.streams.discoveryIntervalMs", "200"}};
	for (const auto& kv : overrides)
		keys[kv.first] = kv.second;
	return clusterBus(keys);
}

/// Entries of `key` pending for `group` on its owner; -1 when there is no such group there.
long long pendingOn(const std::string& key, const std::string& group)
{
	const RedisValue groups = cluster().command(cluster().ownerOf(slotOf(key)), {"XINFO", "GROUPS", key});
	for (const RedisValue& entry : groups.elements)
	{
		for (std::size_t i = 0; i + 1 < entry.elements.size(); i += 2)
		{
			if (entry.elements[i].str == "name" && entry.elements[i + 1].str != group)
				break;
			if (entry.elements[i].str == "pending")
				return entry.elements[i + 1].integer;
		}
	}
	return -1;
}

/// A subscribing and a publishing streams bus, `tenants` subscribed on Topic.
struct StreamsPair
{
	std::unique_ptr<EventBus> subscriber;
	std::unique_ptr<EventBus> publisher;
	EventTally tally;
	std::vector<std::string> tenants;
	std::string group;

	StreamsPair(std::vector<std::string> tenants_, std::string group_, std::map<std::string, std::string> keys = {})
		: subscriber(streamsBus(group_, keys)), publisher(streamsBus(group_, keys)), tenants(std::move(tenants_))
		, group(std::move(group_))
	{
		for (const auto& tenant : tenants)
			subscriber->subscribe(Topic, tally.handler(), TenantScope::tenant(tenant));
		CPPUNIT_ASSERT_MESSAGE(subscriber->health().reason, waitUntil([&]() {
			return subscriber->health().ready && publisher->health().ready; }, std::chrono::milliseconds(10000)));
		for (const auto& tenant : tenants)
			CPPUNIT_ASSERT_EQUAL(0LL, pendingOn(channelOf(tenant), group)); // the group exists on the owner
	}
};

std::string figures(const SteadyPublisher& steady, const Loss& loss, const EventTally& tally)
{
	return "attempted " + std::to_string(steady.attempted()) + ", confirmed " + std::to_string(loss.confirmed)
		+ ", refused " + std::to_string(steady.refused()) + ", outcome unknown " + std::to_string(steady.unknown())
		+ ", received " + std::to_string(tally.size()) + ", confirmed but missing " + std::to_string(loss.missing)
		+ " (other tenants " + std::to_string(loss.missingOthers) + "), duplicates " + std::to_string(tally.duplicates());
}

} // namespace

class ClusterStreamsTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ClusterStreamsTest);
	CPPUNIT_TEST(testStreamsOfManyTenantsAreReadOnEveryMaster);
	CPPUNIT_TEST(testSlotMigratedWhilePublishingLosesNoEntry);
	CPPUNIT_TEST(testPublishDuringAMigrationFollowsAsk);
	CPPUNIT_TEST(testKilledMasterLosesNoReplicatedEntry);
	CPPUNIT_TEST(testDeadLetterLandsOnItsOwnSlotBeforeTheAcknowledgement);
	CPPUNIT_TEST_SUITE_END();

public:
	void testStreamsOfManyTenantsAreReadOnEveryMaster()
	{
		const std::map<std::string, std::string> cross{{"eventbus.security.allowCrossTenant", "true"}};
		auto subscriber = streamsBus("spread");
		auto auditor = streamsBus("audit", cross);
		auto publisher = streamsBus("spread");
		EventTally tally;
		EventTally all;
		const std::vector<std::string> topics{"orders.created", "users.signed_up"};
		const std::vector<std::string> tenants = tenantsNamed("stream", 30);
		std::set<unsigned short> owners;
		for (const auto& tenant : tenants)
		{
			for (const auto& topic : topics)
			{
				subscriber->subscribe(topic, tally.handler(), TenantScope::tenant(tenant));
				owners.insert(cluster().ownerOf(slotOf(channelOf(tenant, topic))));
			}
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), owners.size()); // 60 streams on every master
		// After the tenants': the streams exist, every node's SCAN finds its own.
		auditor->subscribe(Topic, all.handler(), TenantScope::allTenants());
		CPPUNIT_ASSERT_MESSAGE(subscriber->health().reason, waitUntil([&]() {
			return subscriber->health().ready && auditor->health().ready && publisher->health().ready; },
			std::chrono::milliseconds(10000)));
		const std::string reason = subscriber->health().reason;
		CPPUNIT_ASSERT_MESSAGE(reason, contains(reason, "cluster: 3 masters, 16384/16384 slots covered")
			&& contains(reason, "60 subscriptions read on 3 nodes"));
		int n = 0;
		int ofTopic = 0;
		for (int round = 0; round < 5; ++round)
		{
			for (const auto& tenant : tenants)
			{
				for (const auto& topic : topics)
				{
					ofTopic += topic == Topic ? 1 : 0;
					publisher->publish(topic, RedisBusFixture::numbered(n++), tenant);
				}
			}
		}
		CPPUNIT_ASSERT(waitUntil([&]() {
			return tally.size() >= static_cast<std::size_t>(n) && all.size() >= static_cast<std::size_t>(ofTopic); },
			std::chrono::milliseconds(15000)));
		std::cout << "\n  streams on a cluster, 30 tenants x 2 topics over " << owners.size() << " masters: sent " << n
				  << ", received " << tally.size() << ", duplicates " << tally.duplicates() << "; --all-tenants on "
				  << Topic << ": sent " << ofTopic << ", received " << all.size() << ", duplicates " << all.duplicates()
				  << std::endl;
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(n), tally.size());
		CPPUNIT_ASSERT_EQUAL(static_cast<std::size_t>(ofTopic), all.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.duplicates());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), all.duplicates());
		// Acknowledged on every owner.
		for (const auto& tenant : tenants)
			CPPUNIT_ASSERT(waitUntil([&]() { return pendingOn(channelOf(tenant), "spread") == 0; }, std::chrono::milliseconds(5000)));
	}

	void testSlotMigratedWhilePublishingLosesNoEntry()
	{
		StreamsPair pair(tenantsNamed("smove", 6), "smove");
		const std::string watched = pair.tenants.front();
		const unsigned slot = slotOf(channelOf(watched));
		const unsigned short from = cluster().ownerOf(slot);
		const unsigned short to = otherMaster(from);
		SteadyPublisher steady(*pair.publisher, Topic, pair.tenants, watched, std::chrono::milliseconds(2));
		CPPUNIT_ASSERT(waitUntil([&]() { return steady.confirmedCount() >= 200; }, std::chrono::milliseconds(10000)));
		const auto movedAt = Clock::now();
		steady.fault();
		cluster().moveSlot(slot, to); // MIGRATE carries the stream with its group and pending entries
		const long long movedMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - movedAt).count();
		CPPUNIT_ASSERT(waitUntil([&]() { return steady.recoveredAfterMs() >= 0; }, std::chrono::milliseconds(ClusterRecoveryBoundMs)));
		const Loss loss = settle(steady, pair.tally, watched, std::chrono::milliseconds(10000));
		std::cout << "\n  streams on a cluster, slot " << slot << " migrated " << from << " -> " << to << " in " << movedMs
				  << " ms while publishing: first publish on it confirmed " << steady.recoveredAfterMs()
				  << " ms after the move began; " << figures(steady, loss, pair.tally) << std::endl;
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), loss.missing);
		CPPUNIT_ASSERT_EQUAL(0, steady.unknown());
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingOn(channelOf(watched), "smove") == 0; }, std::chrono::milliseconds(5000)));
		CPPUNIT_ASSERT_EQUAL(to, cluster().ownerOf(slot));
	}

	void testPublishDuringAMigrationFollowsAsk()
	{
		StreamsPair pair({"asked"}, "asked");
		const std::string key = channelOf("asked");
		const unsigned slot = slotOf(key);
		const unsigned short from = cluster().ownerOf(slot);
		const unsigned short to = otherMaster(from);
		RedisBusFixture::publishNumbered(*pair.publisher, 0, 5, "asked");
		CPPUNIT_ASSERT(waitUntil([&]() { return pair.tally.size() == 5; }, std::chrono::milliseconds(5000)));
		// Halfway: the stream is on the target, the slot still the source's,
		// which answers ASK; the publisher sends ASKING + XADD to the target.
		cluster().beginMoveSlot(slot, to);
		Counter& redirects = pair.publisher->metrics().counter("eventbus_cluster_redirects_total",
			{{"transport", "redis-streams"}, {"operation", "publish"}});
		const std::uint64_t before = redirects.value();
		RedisBusFixture::publishNumbered(*pair.publisher, 5, 10, "asked");
		std::cout << "\n  streams on a cluster, slot " << slot << " half-migrated " << from << " -> " << to << ": 5 publishes confirmed, "
				  << redirects.value() - before << " ASK followed" << std::endl;
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(5), redirects.value() - before);
		cluster().finishMoveSlot(slot, from, to);
		// Read on the new owner once the slot is its own.
		CPPUNIT_ASSERT(waitUntil([&]() { return pair.tally.size() == 10; }, std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT_EQUAL(10LL, cluster().command(to, {"XLEN", key}).integer);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), pair.tally.duplicates());
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingOn(key, "asked") == 0; }, std::chrono::milliseconds(5000)));
	}

	void testKilledMasterLosesNoReplicatedEntry()
	{
		// WAIT 1: a confirmed XADD is on the replica that takes over.
		StreamsPair pair(tenantsNamed("skill", 6), "skill",
			{{"eventbus.redis.streams.waitReplicas", "1"}, {"eventbus.redis.streams.waitTimeoutMs", "500"}});
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
		// The promoted replica has no replica of its own: WAIT 1 refuses every
		// publish on its slots until the old master is back, as its replica.
		cluster().rejoin(oldMaster);
		const long long rejoinedMs = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killedAt).count();
		CPPUNIT_ASSERT_MESSAGE(steady.lastError(), waitUntil([&]() { return steady.recoveredAfterMs() >= 0; },
			std::chrono::milliseconds(ClusterRecoveryBoundMs)));
		const Loss loss = settle(steady, pair.tally, watched, std::chrono::milliseconds(15000));
		CPPUNIT_ASSERT_MESSAGE(pair.subscriber->health().reason, waitUntil([&]() { return pair.subscriber->health().ready; },
			std::chrono::milliseconds(ClusterRecoveryBoundMs)));
		std::cout << "\n  streams on a cluster, master " << oldMaster << " SIGKILLed: replica " << newMaster << " promoted after "
				  << promotedMs << " ms, old master back as its replica after " << rejoinedMs
				  << " ms, first publish on the slot confirmed " << steady.recoveredAfterMs() << " ms after the kill; "
				  << figures(steady, loss, pair.tally) << std::endl;
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), loss.missing);
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingOn(channelOf(watched), "skill") == 0; }, std::chrono::milliseconds(10000)));
	}

	void testDeadLetterLandsOnItsOwnSlotBeforeTheAcknowledgement()
	{
		// A tenant whose dead-letter stream hashes to another master than its stream.
		std::string tenant;
		for (const auto& candidate : tenantsNamed("dead", 50))
		{
			const std::string key = channelOf(candidate);
			if (cluster().ownerOf(slotOf(key)) != cluster().ownerOf(slotOf(key + ":dlq")))
			{
				tenant = candidate;
				break;
			}
		}
		CPPUNIT_ASSERT(!tenant.empty());
		const std::map<std::string, std::string> keys{{"eventbus.redis.streams.maxDeliveries", "2"}};
		auto subscriber = streamsBus("dead", keys);
		auto publisher = streamsBus("dead", keys);
		std::atomic<int> attempts{0};
		std::atomic<bool> failing{true};
		EventTally handled;
		const Handler remember = handled.handler();
		subscriber->subscribe(Topic, [&](const Event& event) {
			if (event.data->getValue<int>("n") == 7 && failing)
			{
				++attempts;
				throw std::runtime_error("cannot handle 7");
			}
			remember(event);
		}, TenantScope::tenant(tenant));
		CPPUNIT_ASSERT(waitUntil([&]() { return subscriber->health().ready && publisher->health().ready; },
			std::chrono::milliseconds(10000)));
		for (int n = 5; n < 10; ++n)
			publisher->publish(Topic, RedisBusFixture::numbered(n), tenant);
		const std::string key = channelOf(tenant);
		const std::string dlq = key + ":dlq";
		CPPUNIT_ASSERT(waitUntil([&]() { return cluster().command(cluster().ownerOf(slotOf(dlq)), {"XLEN", dlq}).integer == 1; },
			std::chrono::milliseconds(15000)));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingOn(key, "dead") == 0; }, std::chrono::milliseconds(5000)));
		const RedisValue entries = cluster().command(cluster().ownerOf(slotOf(dlq)), {"XRANGE", dlq, "-", "+"});
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), entries.elements.size());
		const std::string fields = entries.elements[0].elements.size() == 2 ? [&]() {
			std::string all;
			for (const RedisValue& field : entries.elements[0].elements[1].elements)
				all += field.str + " ";
			return all;
		}() : std::string();
		std::cout << "\n  streams on a cluster, dead letter of " << key << " (slot " << slotOf(key) << ") written to slot "
				  << slotOf(dlq) << " on " << cluster().ownerOf(slotOf(dlq)) << " after " << attempts.load() << " attempts"
				  << std::endl;
		CPPUNIT_ASSERT_MESSAGE(fields, contains(fields, "cannot handle 7") && contains(fields, key));
		CPPUNIT_ASSERT_EQUAL(2, attempts.load());
		CPPUNIT_ASSERT_EQUAL(std::size_t(4), handled.size());

		// `eventbus dlq` on the cluster: each command on its key's owner.
		failing = false;
		const CommandResult listed = deadLetters({"list", "--tenant", tenant, "--topic", Topic});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(listed.err, 0, listed.exitCode);
		CPPUNIT_ASSERT_MESSAGE(listed.out, contains(listed.out, "cannot handle 7") && contains(listed.out, "\"deliveries\":2"));
		const CommandResult replayed = deadLetters({"replay", "--tenant", tenant, "--topic", Topic, "--all"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(replayed.err, 0, replayed.exitCode);
		CPPUNIT_ASSERT_MESSAGE(replayed.out, contains(replayed.out, "\"replayed\":1"));
		CPPUNIT_ASSERT(waitUntil([&]() { return handled.has(tenant, 7); }, std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT_EQUAL(0LL, cluster().command(cluster().ownerOf(slotOf(dlq)), {"XLEN", dlq}).integer);
		CPPUNIT_ASSERT_EQUAL(std::size_t(5), handled.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), handled.duplicates());
	}

	/// `eventbus dlq ...` against the cluster.
	static CommandResult deadLetters(const std::vector<std::string>& more)
	{
		std::vector<std::string> args{"--env", "production", "--define", "eventbus.plugins.path=" + pluginDir(),
			"--define", "eventbus.redis.url=redis://127.0.0.1:1/0", "--define",
			"eventbus.redis.cluster.nodes=" + cluster().seedNodes(), "--define", "eventbus.transport=redis-streams", "dlq"};
		args.insert(args.end(), more.begin(), more.end());
		return runCommand(eventbusExecutable(), args, "", std::chrono::milliseconds(20000));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClusterStreamsTest);
