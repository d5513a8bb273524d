//
// ClusterSuite.cpp
//
#include "ClusterSuite.h"
#include "RedisSuiteConfig.h"
#include "TestSupport.h"
#include <cppunit/extensions/HelperMacros.h>

namespace eventbus {
namespace test {

const std::string ClusterTopic = "orders.created";

RedisClusterDeployment& cluster()
{
	static std::unique_ptr<RedisClusterDeployment> started;
	if (!started)
		started.reset(new RedisClusterDeployment());
	return *started;
}

std::unique_ptr<EventBus> clusterBus(std::map<std::string, std::string> overrides)
{
	std::map<std::string, std::string> keys{{"eventbus.transport", "redis"},
		{"eventbus.redis.cluster.nodes", cluster().seedNodes()}, {"eventbus.redis.cluster.refreshMs", "1000"},
		{"eventbus.redis.reconnect.maxMs", "500"}};
	for (const auto& kv : overrides)
		keys[kv.first] = kv.second;
	// The URL's host is not used: the seeds name the nodes.
	return std::unique_ptr<EventBus>(new EventBus(*redisConfig("redis://127.0.0.1:1/0", keys)));
}

std::string channelOf(const std::string& tenant, const std::string& topic)
{
	return "c2pro.production." + tenant + "." + topic;
}

unsigned slotOf(const std::string& channel)
{
	return static_cast<unsigned>(cluster().command(cluster().masterPorts().front(), {"CLUSTER", "KEYSLOT", channel}).integer);
}

unsigned short otherMaster(unsigned short port)
{
	for (unsigned short master : cluster().masterPorts())
	{
		if (master != port)
			return master;
	}
	return 0;
}

std::vector<std::string> tenantsNamed(const std::string& prefix, int count)
{
	std::vector<std::string> tenants;
	for (int i = 0; i < count; ++i)
		tenants.push_back(prefix + std::to_string(i));
	return tenants;
}

Loss lossOf(const SteadyPublisher& steady, const EventTally& tally, const std::string& watched, int settledFrom)
{
	Loss loss;
	for (const auto& tenant : steady.confirmed())
	{
		for (int n : tenant.second)
		{
			++loss.confirmed;
			if (tally.has(tenant.first, n))
				continue;
			++loss.missing;
			if (tenant.first != watched)
				++loss.missingOthers;
			else if (n >= settledFrom)
				++loss.missingWatchedAfterSettled;
		}
	}
	return loss;
}

Loss settle(SteadyPublisher& steady, const EventTally& tally, const std::string& watched, std::chrono::milliseconds wait)
{
	const int settledFrom = steady.attempted() + 1;
	CPPUNIT_ASSERT(waitUntil([&]() { return steady.attempted() > settledFrom + 300; }, std::chrono::milliseconds(20000)));
	steady.stop();
	waitUntil([&]() {
		for (const auto& tenant : steady.confirmed())
		{
			if (!tenant.second.empty() && !tally.has(tenant.first, *tenant.second.rbegin()))
				return false;
		}
		return true;
	}, wait);
	return lossOf(steady, tally, watched, settledFrom);
}

} // namespace test
} // namespace eventbus
