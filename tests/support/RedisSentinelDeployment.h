//
// RedisSentinelDeployment.h
//
// A Sentinel-managed Redis of the suites' own: one master, one replica and
// three sentinels (redis-server --sentinel), on free loopback ports, with a
// short down-after so that a failover takes a few seconds.
//
#pragma once

#include "RedisServer.h"
#include "RedisValue.h"
#include <Poco/Process.h>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

class RedisSentinelDeployment
{
public:
	/// Starts the two servers and the sentinels (quorum 2, down-after 1000 ms,
	/// failover-timeout 3000 ms) and waits until every sentinel knows the
	/// replica and the other sentinels, and the replica is in sync.
	explicit RedisSentinelDeployment(const std::string& masterName = "eventbus-master");
	~RedisSentinelDeployment();

	RedisSentinelDeployment(const RedisSentinelDeployment&) = delete;
	RedisSentinelDeployment& operator=(const RedisSentinelDeployment&) = delete;

	const std::string& masterName() const { return _name; }

	/// "127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3": eventbus.redis.sentinel.nodes.
	std::string sentinelNodes() const;

	/// The port of the master as the first sentinel that answers names it.
	unsigned short masterPort() const;

	/// The server on `port` (one of the two).
	RedisServer& server(unsigned short port);

	/// The server that is master now / the other one.
	RedisServer& master() { return server(masterPort()); }
	RedisServer& replica();

	/// A command to the first sentinel that answers.
	RedisValue sentinel(const std::vector<std::string>& argv) const;

	/// Waits until the sentinels name a master other than `oldPort` and that
	/// node says ROLE master; returns the new port (throws after `timeout`).
	unsigned short waitForNewMaster(unsigned short oldPort, std::chrono::milliseconds timeout) const;

	/// Restarts a killed server on its port and makes it a replica of the
	/// current master (as the sentinels would, later); waits until the master
	/// the sentinels name has its replica in sync. Should the sentinels fail
	/// over again meanwhile (this server may become the master), it follows
	/// them: what it promises is a master with an online replica.
	void rejoin(unsigned short port);

	/// SIGSTOP / SIGCONT every sentinel: while paused they accept connections
	/// and answer nothing, and do not see what is done to the servers.
	void pauseSentinels();
	void resumeSentinels();

private:
	struct Sentinel
	{
		std::string dir;
		unsigned short port = 0;
		std::unique_ptr<Poco::ProcessHandle> process;
		Poco::Process::PID pid = 0;
	};
	void startSentinel(Sentinel& sentinel, unsigned short masterPort);
	void waitSettled(unsigned short masterPort) const;

	std::string _name;
	std::unique_ptr<RedisServer> _first;
	std::unique_ptr<RedisServer> _second;
	std::vector<Sentinel> _sentinels;
};

} // namespace test
} // namespace eventbus
