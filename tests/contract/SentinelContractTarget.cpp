//
// SentinelContractTarget.cpp
//
// eventbus::contract::contractTarget() for a Redis transport (redis or
// redis-streams, EVENTBUS_CONTRACT_TRANSPORT) on a Sentinel-managed
// deployment of its own (tests/support/RedisSentinelDeployment: master,
// replica, three sentinels), started by the first test and stopped at exit.
// The broker "restart" is a SENTINEL FAILOVER: the transport must follow it
// without a restart of its own.
//
#include "TransportContract.h"
#include "RedisSentinelDeployment.h"
#include "RedisSuiteConfig.h"
#include "TestSupport.h"
#include "eventbus/PluginHost.h"

namespace eventbus {
namespace contract {

ContractTarget contractTarget()
{
	static test::RedisSentinelDeployment deployment;
	const std::string transport = EVENTBUS_CONTRACT_TRANSPORT;
	ContractTarget target;
	target.transport = transport;
	target.create = [transport]() { return PluginHost::instance().create(test::pluginDir(), transport); };
	// The URL's host is replaced by the master the sentinels name.
	target.keys = test::redisTransportKeys("redis://127.0.0.1:1/0");
	target.keys["eventbus.redis.sentinel.nodes"] = deployment.sentinelNodes();
	target.keys["eventbus.redis.sentinel.master"] = deployment.masterName();
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
		target.features.redelivery = true;
		target.features.persistent = true; // the streams are on the replica that takes over
	}
	target.restartBroker = []() {
		const unsigned short old = deployment.masterPort();
		deployment.sentinel({"SENTINEL", "FAILOVER", deployment.masterName()});
		deployment.waitForNewMaster(old, std::chrono::milliseconds(20000));
		deployment.rejoin(old);
	};
	target.timeout = std::chrono::milliseconds(15000);
	return target;
}

} // namespace contract
} // namespace eventbus
