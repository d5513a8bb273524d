//
// ClusterSuite.h
//
// What the cluster_topology suite's files share: the one Redis Cluster the
// suite starts (three masters, three replicas), buses on it, channel and
// slot look-ups, and the loss count of a fault (confirmed but missing, per
// watched tenant and the others).
//
#pragma once

#include "EventTally.h"
#include "RedisClusterDeployment.h"
#include "SteadyPublisher.h"
#include "eventbus/EventBus.h"
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

extern const std::string ClusterTopic;
/// The documented bound: node timeout 1000 ms, the replica's election, the
/// router's refresh (every 250 ms while a node is down) and the re-subscription.
constexpr long long ClusterRecoveryBoundMs = 15000;

/// Started by the first test that asks, stopped at exit.
RedisClusterDeployment& cluster();

/// A bus on the cluster (transport `redis` unless overridden), refresh every second.
std::unique_ptr<EventBus> clusterBus(std::map<std::string, std::string> overrides = {});

std::string channelOf(const std::string& tenant, const std::string& topic = ClusterTopic);
unsigned slotOf(const std::string& channel);
/// A master other than `port`.
unsigned short otherMaster(unsigned short port);
std::vector<std::string> tenantsNamed(const std::string& prefix, int count);

/// What a fault cost: confirmed-but-missing events, per watched tenant and the others.
struct Loss
{
	std::size_t confirmed = 0;
	std::size_t missing = 0;
	std::size_t missingWatchedAfterSettled = 0;
	std::size_t missingOthers = 0;
};

Loss lossOf(const SteadyPublisher& steady, const EventTally& tally, const std::string& watched, int settledFrom);

/// After a fault was followed: 300 more publishes, then stop, wait until the
/// last confirmed publish of every tenant arrived (or `wait`), and count what
/// is missing; the watched tenant's losses after the first of those 300 apart.
Loss settle(SteadyPublisher& steady, const EventTally& tally, const std::string& watched,
	std::chrono::milliseconds wait = std::chrono::milliseconds(5000));

} // namespace test
} // namespace eventbus
