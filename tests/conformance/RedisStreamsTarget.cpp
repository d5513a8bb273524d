//
// RedisStreamsTarget.cpp
//
// eventbus::conformance::target() for the redis-streams transport: a
// redis-server of its own on a free loopback port, started by the first test
// and stopped at exit.
//
#include "TransportConformance.h"
#include "RedisServer.h"
#include "TestSupport.h"

namespace eventbus {
namespace conformance {

Target target()
{
	static test::RedisServer server;
	Target t;
	t.transport = "redis-streams";
	t.keys["eventbus.plugins.path"] = test::pluginDir();
	t.keys["eventbus.redis.url"] = server.url();
	t.keys["eventbus.redis.streams.blockMs"] = "200";
	t.timeout = std::chrono::milliseconds(10000);
	return t;
}

} // namespace conformance
} // namespace eventbus
