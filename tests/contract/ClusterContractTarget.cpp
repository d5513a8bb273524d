//
// ClusterContractTarget.cpp
//
// eventbus::contract::contractTarget() for a Redis transport (redis or
// redis-streams, EVENTBUS_CONTRACT_TRANSPORT) on a Redis Cluster of its own
// (tests/support/RedisClusterDeployment: three masters, three replicas),
// started by the first test and stopped at exit. For `redis`, pattern
// subscriptions go through the classic-PUBLISH mirror
// (eventbus.redis.cluster.allTenants=mirror); redis-streams discovers a
// pattern's streams on every master. The broker "restart" is a CLUSTER
// FAILOVER of every master to its replica: the transport must follow the
// promoted replicas without a restart of its own (and, for `redis`, report
// the gap; the streams are on the replicas that take over).
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
	const std::string transport = EVENTBUS_CONTRACT_TRANSPORT;
	ContractTarget target;
	target.transport = transport;
	target.create = [transport]() { return PluginHost::instance().create(test::pluginDir(), transport); };
	// The URL's host is not used: the seeds name the nodes.
	target.keys = test::redisTransportKeys("redis://127.0.0.1:1/0");
	target.keys["eventbus.redis.cluster.nodes"] = deployment.seedNodes();
	target.keys["eventbus.redis.cluster.refreshMs"] = "1000";
	target.features.guaranteedOrder = true;
	target.features.asyncPublish = true;
	target.features.restartable = true;
	target.features.patterns = true;
	if (transport == "redis-streams")
	{
		target.keys["eventbus.redis.streams.blockMs"] = "200";
		target.keys["eventbus.redis.streams.retryBackoffMs"] = "20";
		target.keys["eventbus.redis.streams.retryBackoffMaxMs"] = "100";
		target.keys["eventbus.redis.streams.claimIntervalMs"] = "100";
		target.keys["eventbus.redis.streams.discoveryIntervalMs"] = "200";
		target.features.redelivery = true;
		target.features.persistent = true; // the streams are on the replicas that take over
	}
	else
	{
		target.keys["eventbus.redis.cluster.allTenants"] = "mirror";
	}
	target.restartBroker = []() {
		for (unsigned short master : deployment.masterPorts())
			deployment.failover(deployment.replicaOf(master));
	};
	target.timeout = std::chrono::milliseconds(15000);
	return target;
}

} // namespace contract
} // namespace eventbus
