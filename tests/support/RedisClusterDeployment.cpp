//
// RedisClusterDeployment.cpp
//
// Starts, reshapes and stops the six cluster nodes.
//
#include "RedisClusterDeployment.h"
#include "RedisClient.h"
#include "TestSupport.h"
#include <Poco/NumberParser.h>
#include <algorithm>
#include <map>
#include <stdexcept>

namespace eventbus {
namespace test {

namespace {

constexpr std::size_t Nodes = 6;

RedisValue ask(unsigned short port, const std::vector<std::string>& argv)
{
	RedisClient client("127.0.0.1", port, std::chrono::milliseconds(2000));
	return client.command(argv);
}

std::string infoField(const std::string& info, const std::string& field)
{
	const std::string key = field + ":";
	const std::size_t at = info.find(key);
	if (at == std::string::npos)
		return std::string();
	const std::size_t end = info.find_first_of("\r\n", at);
	return info.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
}

/// slot -> owner port from one node's CLUSTER SLOTS; empty on failure.
std::map<unsigned, unsigned short> slotOwners(unsigned short port)
{
	std::map<unsigned, unsigned short> owners;
	RedisValue slots = ask(port, {"CLUSTER", "SLOTS"});
	for (const auto& range : slots.elements)
	{
		if (range.elements.size() < 3 || range.elements[2].elements.size() < 2)
			continue;
		const auto owner = static_cast<unsigned short>(range.elements[2].elements[1].integer);
		owners[static_cast<unsigned>(range.elements[0].integer)] = owner;
		owners.emplace(static_cast<unsigned>(range.elements[1].integer) + 1, 0); // end marker, unless a range starts there
	}
	return owners;
}

unsigned short ownerIn(const std::map<unsigned, unsigned short>& owners, unsigned slot)
{
	auto it = owners.upper_bound(slot);
	if (it == owners.begin())
		return 0;
	return (--it)->second;
}

} // namespace

RedisClusterDeployment::RedisClusterDeployment()
{
	for (std::size_t i = 0; i < Nodes; ++i)
	{
		_servers.emplace_back(new RedisServer({"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0",
			"--cluster-require-full-coverage", "no"}));
	}
	std::vector<std::string> args{"--cluster", "create"};
	for (const auto& server : _servers)
		args.push_back(server->endpoint());
	args.insert(args.end(), {"--cluster-replicas", "1", "--cluster-yes"});
	const CommandResult created = runCommand("redis-cli", args, "", std::chrono::milliseconds(60000));
	if (created.exitCode != 0)
		throw std::runtime_error("redis-cli --cluster create failed (" + std::to_string(created.exitCode) + "): "
			+ created.out + created.err);
	waitConverged(std::chrono::milliseconds(30000));
	// Every replica in sync: a promotion then loses nothing the test wrote before.
	const bool synced = waitUntil([&]() {
		try
		{
			for (unsigned short master : masterPorts())
			{
				if (ask(master, {"INFO", "replication"}).str.find("state=online") == std::string::npos)
					return false;
			}
			return true;
		}
		catch (std::exception&)
		{
			return false;
		}
	}, std::chrono::milliseconds(30000));
	if (!synced)
		throw std::runtime_error("the cluster's replicas did not sync within 30 s");
}

RedisClusterDeployment::~RedisClusterDeployment() = default;

std::string RedisClusterDeployment::seedNodes() const
{
	std::string nodes;
	for (const auto& server : _servers)
		nodes += (nodes.empty() ? "" : ",") + server->endpoint();
	return nodes;
}

RedisServer& RedisClusterDeployment::server(unsigned short port)
{
	for (auto& server : _servers)
	{
		if (server->port() == port)
			return *server;
	}
	throw std::runtime_error("no node of the cluster on port " + std::to_string(port));
}

RedisValue RedisClusterDeployment::command(unsigned short port, const std::vector<std::string>& argv) const
{
	return ask(port, argv);
}

std::vector<unsigned short> RedisClusterDeployment::masterPorts() const
{
	for (const auto& server : _servers)
	{
		if (!server->running())
			continue;
		try
		{
			std::vector<unsigned short> ports;
			for (const auto& owner : slotOwners(server->port()))
			{
				if (owner.second != 0 && std::find(ports.begin(), ports.end(), owner.second) == ports.end())
					ports.push_back(owner.second);
			}
			return ports;
		}
		catch (std::exception&)
		{
		}
	}
	throw std::runtime_error("no cluster node answered CLUSTER SLOTS");
}

unsigned short RedisClusterDeployment::ownerOf(unsigned slot) const
{
	for (const auto& server : _servers)
	{
		if (!server->running())
			continue;
		try
		{
			return ownerIn(slotOwners(server->port()), slot);
		}
		catch (std::exception&)
		{
		}
	}
	throw std::runtime_error("no cluster node answered CLUSTER SLOTS");
}

std::string RedisClusterDeployment::nodeId(unsigned short port) const
{
	return ask(port, {"CLUSTER", "MYID"}).str;
}

unsigned short RedisClusterDeployment::replicaOf(unsigned short masterPort) const
{
	const std::string id = nodeId(masterPort);
	RedisValue replicas = ask(masterPort, {"CLUSTER", "REPLICAS", id});
	for (const auto& line : replicas.elements)
	{
		// "<id> <ip:port@cport> slave <master id> ..."
		const std::size_t colon = line.str.find(':');
		const std::size_t at = line.str.find('@', colon);
		if (colon == std::string::npos || at == std::string::npos || line.str.find(" fail") != std::string::npos)
			continue;
		return static_cast<unsigned short>(Poco::NumberParser::parseUnsigned(line.str.substr(colon + 1, at - colon - 1)));
	}
	throw std::runtime_error("the master on port " + std::to_string(masterPort) + " has no live replica");
}

void RedisClusterDeployment::moveSlot(unsigned slot, unsigned short toPort)
{
	const unsigned short fromPort = ownerOf(slot);
	if (fromPort == toPort)
		return;
	beginMoveSlot(slot, toPort);
	finishMoveSlot(slot, fromPort, toPort);
}

void RedisClusterDeployment::beginMoveSlot(unsigned slot, unsigned short toPort)
{
	const unsigned short fromPort = ownerOf(slot);
	const std::string from = nodeId(fromPort);
	const std::string to = nodeId(toPort);
	const std::string slotText = std::to_string(slot);
	auto check = [](const RedisValue& reply, const std::string& what) {
		if (reply.isError())
			throw std::runtime_error(what + ": " + reply.str);
	};
	check(ask(toPort, {"CLUSTER", "SETSLOT", slotText, "IMPORTING", from}), "SETSLOT IMPORTING");
	check(ask(fromPort, {"CLUSTER", "SETSLOT", slotText, "MIGRATING", to}), "SETSLOT MIGRATING");
	for (;;)
	{
		RedisValue keys = ask(fromPort, {"CLUSTER", "GETKEYSINSLOT", slotText, "100"});
		if (keys.elements.empty())
			break;
		std::vector<std::string> migrate{"MIGRATE", "127.0.0.1", std::to_string(toPort), "", "0", "5000", "KEYS"};
		for (const auto& key : keys.elements)
			migrate.push_back(key.str);
		check(ask(fromPort, migrate), "MIGRATE");
	}
}

void RedisClusterDeployment::finishMoveSlot(unsigned slot, unsigned short fromPort, unsigned short toPort)
{
	const std::string to = nodeId(toPort);
	const std::string slotText = std::to_string(slot);
	auto check = [](const RedisValue& reply, const std::string& what) {
		if (reply.isError())
			throw std::runtime_error(what + ": " + reply.str);
	};
	// The new owner first, then the old one (which then redirects and drops
	// its sharded subscribers of the slot), then every other master.
	check(ask(toPort, {"CLUSTER", "SETSLOT", slotText, "NODE", to}), "SETSLOT NODE (target)");
	check(ask(fromPort, {"CLUSTER", "SETSLOT", slotText, "NODE", to}), "SETSLOT NODE (source)");
	for (unsigned short master : masterPorts())
	{
		if (master != fromPort && master != toPort)
			ask(master, {"CLUSTER", "SETSLOT", slotText, "NODE", to});
	}
	waitConverged(std::chrono::milliseconds(20000));
}

void RedisClusterDeployment::failover(unsigned short replicaPort)
{
	RedisValue reply = ask(replicaPort, {"CLUSTER", "FAILOVER"});
	if (reply.isError())
		throw std::runtime_error("CLUSTER FAILOVER: " + reply.str);
	if (!waitUntil([&]() {
			try
			{
				RedisValue role = ask(replicaPort, {"ROLE"});
				return !role.elements.empty() && role.elements[0].str == "master";
			}
			catch (std::exception&)
			{
				return false;
			}
		}, std::chrono::milliseconds(20000)))
		throw std::runtime_error("the replica on port " + std::to_string(replicaPort) + " did not become master");
	waitConverged(std::chrono::milliseconds(20000));
}

void RedisClusterDeployment::waitForPromotion(unsigned short deadPort, std::chrono::milliseconds timeout) const
{
	const bool promoted = waitUntil([&]() {
		try
		{
			for (const auto& server : _servers)
			{
				if (!server->running())
					continue;
				for (const auto& owner : slotOwners(server->port()))
				{
					if (owner.second == deadPort)
						return false;
				}
				if (infoField(ask(server->port(), {"CLUSTER", "INFO"}).str, "cluster_state") != "ok")
					return false;
			}
			return true;
		}
		catch (std::exception&)
		{
			return false;
		}
	}, timeout);
	if (!promoted)
		throw std::runtime_error("no replica took over from port " + std::to_string(deadPort) + " within "
			+ std::to_string(timeout.count()) + " ms");
}

void RedisClusterDeployment::rejoin(unsigned short port)
{
	RedisServer& node = server(port);
	if (!node.running())
		node.restart();
	waitConverged(std::chrono::milliseconds(30000));
}

void RedisClusterDeployment::waitConverged(std::chrono::milliseconds timeout) const
{
	std::string last;
	const bool converged = waitUntil([&]() {
		try
		{
			std::map<unsigned, unsigned short> first;
			bool any = false;
			for (const auto& server : _servers)
			{
				if (!server->running())
					continue;
				const std::string info = ask(server->port(), {"CLUSTER", "INFO"}).str;
				if (infoField(info, "cluster_state") != "ok" || infoField(info, "cluster_slots_assigned") != "16384")
				{
					last = "node " + std::to_string(server->port()) + ": " + infoField(info, "cluster_state");
					return false;
				}
				std::map<unsigned, unsigned short> owners = slotOwners(server->port());
				if (any && owners != first)
				{
					last = "nodes disagree on the slot owners";
					return false;
				}
				first = std::move(owners);
				any = true;
			}
			return any;
		}
		catch (std::exception& exc)
		{
			last = exc.what();
			return false;
		}
	}, timeout);
	if (!converged)
		throw std::runtime_error("the cluster did not converge within " + std::to_string(timeout.count()) + " ms: " + last);
}

} // namespace test
} // namespace eventbus
