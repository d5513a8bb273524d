//
// RedisStreamsContractTarget.cpp
//
// eventbus::contract::contractTarget() for the redis-streams transport: the
// Redis plugin's second transport against a redis-server of its own
// (tests/support/RedisServer, no persistence), started by the first test and
// stopped at exit. Short block, retry and claim intervals, so redelivery and
// recovery happen within a test.
//
#include "TransportContract.h"
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/PluginHost.h"

namespace eventbus {
namespace contract {

ContractTarget contractTarget()
{
	static test::RedisServer server;
	ContractTarget target;
	target.transport = "redis-streams";
	target.create = []() { return PluginHost::instance().create(test::pluginDir(), "redis-streams"); };
	target.keys = test::redisTransportKeys(server.url());
	target.keys["eventbus.redis.streams.blockMs"] = "200";
	target.keys["eventbus.redis.streams.retryBackoffMs"] = "20";
	target.keys["eventbus.redis.streams.retryBackoffMaxMs"] = "100";
	target.keys["eventbus.redis.streams.claimIntervalMs"] = "100";
	target.features.guaranteedOrder = true; // one XADD connection, entries read in id order
	target.features.redelivery = true;      // a failed entry stays pending and comes again
	target.features.asyncPublish = true;    // pipelined XADD, confirmed by the sender
	target.features.restartable = true;     // NOGROUP recovered with a gap (no persistence here)
	target.features.patterns = true;        // discovery of the pattern's streams
	target.restartBroker = []() { server.restart(); };
	target.timeout = std::chrono::milliseconds(10000);
	return target;
}

} // namespace contract
} // namespace eventbus
