//
// ClusterContractTarget.cpp
//
// eventbus::contract::contractTarget() for the `redis` transport on a Redis
// Cluster of its own (tests/support/RedisClusterDeployment: three masters,
// three replicas), started by the first test and stopped at exit. Pattern
// subscriptions go through the classic-PUBLISH mirror
// (eventbus.redis.cluster.allTenants=mirror). The broker "restart" is a
// CLUSTER FAILOVER of every master to its replica: the transport must follow
// the promoted replicas without a restart of its own and report the gap.
//
#include "TransportContract.h"
#include "RedisClusterDeployment.h"
#include "RedisSuiteConfig.h"
#include "TestSupport.h"
#include "eventbus/PluginHost.h"

namespace eventbus {
namespace contract {

ContractTarget contractTarget()
{
	static test::RedisClusterDeployment deployment;
	ContractTarget target;
	target.transport = "redis";
	target.create = []() { return PluginHost::instance().create(test::pluginDir(), "redis"); };
	// The URL's host is not used: the seeds name the nodes.
	target.keys = test::redisTransportKeys("redis://127.0.0.1:1/0");
	target.keys["eventbus.redis.cluster.nodes"] = deployment.seedNodes();
	target.keys["eventbus.redis.cluster.refreshMs"] = "1000";
	target.keys["eventbus.redis.cluster.allTenants"] = "mirror";
	target.features.guaranteedOrder = true;
	target.features.asyncPublish = true;
	target.features.restartable = true;
	target.features.patterns = true;
	target.restartBroker = []() {
		for (unsigned short master : deployment.masterPorts())
			deployment.failover(deployment.replicaOf(master));
	};
	target.timeout = std::chrono::milliseconds(15000);
	return target;
}

} // namespace contract
} // namespace eventbus
