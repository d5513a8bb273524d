//
// RedisContractTarget.cpp
//
// eventbus::contract::contractTarget() for the redis transport (Pub/Sub):
// the plugin from the built plugins folder against a redis-server of its own
// (tests/support/RedisServer), started by the first test and stopped at exit.
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
	target.transport = "redis";
	target.create = []() { return PluginHost::instance().create(test::pluginDir(), "redis"); };
	target.keys = test::redisTransportKeys(server.url()); // short timeouts, as the redis suites
	target.features.guaranteedOrder = true; // one connection per direction
	target.features.asyncPublish = true;    // pipelined, confirmed by the publisher's reader
	target.features.restartable = true;     // reconnects, resubscribes, reports a gap
	target.features.patterns = true;        // PSUBSCRIBE
	target.restartBroker = []() { server.restart(); };
	target.timeout = std::chrono::milliseconds(10000);
	return target;
}

} // namespace contract
} // namespace eventbus
