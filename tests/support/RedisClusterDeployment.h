//
// RedisClusterDeployment.h
//
// A Redis Cluster of the suites' own: three masters and three replicas
// (redis-server --cluster-enabled yes, joined by redis-cli --cluster create
// --cluster-replicas 1) on free loopback ports, with a short node timeout so
// that a replica promotion takes a few seconds. Also moves slots
// (CLUSTER SETSLOT, keys with MIGRATE) and promotes replicas.
//
#pragma once

#include "RedisServer.h"
#include "RedisValue.h"
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

class RedisClusterDeployment
{
public:
	/// Starts the six servers, creates the cluster and waits until every node
	/// says cluster_state:ok with 16384 slots assigned and every replica is in sync.
	RedisClusterDeployment();
	~RedisClusterDeployment();

	RedisClusterDeployment(const RedisClusterDeployment&) = delete;
	RedisClusterDeployment& operator=(const RedisClusterDeployment&) = delete;

	/// "127.0.0.1:P1,...,127.0.0.1:P6": eventbus.redis.cluster.nodes.
	std::string seedNodes() const;

	/// The server on `port`.
	RedisServer& server(unsigned short port);

	/// A command to the node on `port`.
	RedisValue command(unsigned short port, const std::vector<std::string>& argv) const;

	/// Ports of the masters owning slots, as the first running node that answers names them.
	std::vector<unsigned short> masterPorts() const;

	/// The port of the master owning `slot`, as the first running node that answers names it.
	unsigned short ownerOf(unsigned slot) const;

	/// A replica of the master on `masterPort` (throws when it has none).
	unsigned short replicaOf(unsigned short masterPort) const;

	/// Moves one slot (and its keys) from its owner to the master on `toPort`:
	/// IMPORTING/MIGRATING, MIGRATE of every key, then SETSLOT NODE on every master.
	void moveSlot(unsigned slot, unsigned short toPort);
	/// The first half of moveSlot: the slot is MIGRATING (source) and IMPORTING
	/// (target), its keys are on the target; the source answers ASK for them.
	void beginMoveSlot(unsigned slot, unsigned short toPort);
	/// The second half: SETSLOT NODE on the target, the source, every other master.
	void finishMoveSlot(unsigned slot, unsigned short fromPort, unsigned short toPort);

	/// CLUSTER FAILOVER on the replica on `replicaPort`; waits until it is a master.
	void failover(unsigned short replicaPort);

	/// After a master was killed: waits until the running nodes agree that
	/// every slot is served again (by a promoted replica), cluster_state ok.
	void waitForPromotion(unsigned short deadPort, std::chrono::milliseconds timeout) const;

	/// Restarts a killed server on its port (it rejoins as a replica); waits until the cluster is ok.
	void rejoin(unsigned short port);

	/// Waits until every running node says cluster_state:ok and agrees on the slot owners.
	void waitConverged(std::chrono::milliseconds timeout) const;

private:
	std::string nodeId(unsigned short port) const;

	std::vector<std::unique_ptr<RedisServer>> _servers;
};

} // namespace test
} // namespace eventbus
