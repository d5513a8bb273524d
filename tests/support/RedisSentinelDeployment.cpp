//
// RedisSentinelDeployment.cpp
//
// Starts, watches and stops the master, the replica and the three sentinels.
//
#include "RedisSentinelDeployment.h"
#include "RedisClient.h"
#include "RedisProcess.h"
#include "TestSupport.h"
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/NumberParser.h>
#include <csignal>
#include <sstream>
#include <stdexcept>

namespace eventbus {
namespace test {

namespace {

RedisValue ask(unsigned short port, const std::vector<std::string>& argv)
{
	RedisClient client("127.0.0.1", port, std::chrono::milliseconds(1000));
	return client.command(argv);
}

std::string role(unsigned short port)
{
	try
	{
		RedisValue reply = ask(port, {"ROLE"});
		return reply.elements.empty() ? std::string() : reply.elements[0].str;
	}
	catch (std::exception&)
	{
		return std::string();
	}
}

} // namespace

RedisSentinelDeployment::RedisSentinelDeployment(const std::string& masterName)
	: _name(masterName)
{
	_first.reset(new RedisServer());
	_second.reset(new RedisServer({"--replicaof", "127.0.0.1", std::to_string(_first->port())}));
	_sentinels.resize(3);
	try
	{
		for (auto& sentinel : _sentinels)
			startSentinel(sentinel, _first->port());
		waitSettled(_first->port());
	}
	catch (...)
	{
		for (auto& sentinel : _sentinels)
		{
			if (sentinel.process)
				terminateServer(*sentinel.process, sentinel.pid);
			if (!sentinel.dir.empty())
				Poco::File(sentinel.dir).remove(true);
		}
		throw;
	}
}

RedisSentinelDeployment::~RedisSentinelDeployment()
{
	for (auto& sentinel : _sentinels)
	{
		try
		{
			if (sentinel.process)
				terminateServer(*sentinel.process, sentinel.pid);
			Poco::File(sentinel.dir).remove(true);
		}
		catch (...)
		{
		}
	}
}

void RedisSentinelDeployment::startSentinel(Sentinel& sentinel, unsigned short masterPort)
{
	startOnFreePort(sentinel.dir, sentinel.port, [&]() {
		const std::string conf = sentinel.dir + "/sentinel.conf";
		{
			Poco::FileOutputStream out(conf);
			out << "port " << sentinel.port << "\nbind 127.0.0.1\ndir " << sentinel.dir << "\nlogfile " << sentinel.dir
				<< "/redis.log\nsentinel monitor " << _name << " 127.0.0.1 " << masterPort << " 2\n"
				<< "sentinel down-after-milliseconds " << _name << " 1000\n"
				<< "sentinel failover-timeout " << _name << " 3000\n"
				<< "sentinel parallel-syncs " << _name << " 1\n";
		}
		sentinel.process.reset(new Poco::ProcessHandle(launchRedisServer(sentinel.dir, {conf, "--sentinel"})));
		sentinel.pid = sentinel.process->id();
		const bool up = waitUntil([&]() {
			try
			{
				return ask(sentinel.port, {"PING"}).str == "PONG";
			}
			catch (std::exception&)
			{
				return false;
			}
		}, std::chrono::milliseconds(5000));
		if (!up)
		{
			terminateServer(*sentinel.process, sentinel.pid);
			sentinel.process.reset();
			throw std::runtime_error("sentinel on port " + std::to_string(sentinel.port) + " did not answer: "
				+ redisLogTail(sentinel.dir));
		}
	});
}

void RedisSentinelDeployment::waitSettled(unsigned short masterPort) const
{
	const bool settled = waitUntil([&]() {
		try
		{
			if (ask(masterPort, {"INFO", "replication"}).str.find("state=online") == std::string::npos)
				return false;
			for (const auto& sentinel : _sentinels)
			{
				RedisValue master = ask(sentinel.port, {"SENTINEL", "master", _name});
				std::string replicas, sentinels;
				for (std::size_t i = 0; i + 1 < master.elements.size(); i += 2)
				{
					if (master.elements[i].str == "num-slaves") replicas = master.elements[i + 1].str;
					if (master.elements[i].str == "num-other-sentinels") sentinels = master.elements[i + 1].str;
				}
				if (replicas != "1" || sentinels != "2")
					return false;
			}
			return true;
		}
		catch (std::exception&)
		{
			return false;
		}
	}, std::chrono::milliseconds(20000));
	if (!settled)
		throw std::runtime_error("the sentinels did not settle (replica and peers) within 20 s");
}

std::string RedisSentinelDeployment::sentinelNodes() const
{
	std::string nodes;
	for (const auto& sentinel : _sentinels)
		nodes += (nodes.empty() ? "" : ",") + std::string("127.0.0.1:") + std::to_string(sentinel.port);
	return nodes;
}

void RedisSentinelDeployment::pauseSentinels()
{
	for (const auto& sentinel : _sentinels)
		::kill(sentinel.pid, SIGSTOP);
}

void RedisSentinelDeployment::resumeSentinels()
{
	for (const auto& sentinel : _sentinels)
		::kill(sentinel.pid, SIGCONT);
}

RedisValue RedisSentinelDeployment::sentinel(const std::vector<std::string>& argv) const
{
	std::string failure;
	for (const auto& sentinel : _sentinels)
	{
		try
		{
			return ask(sentinel.port, argv);
		}
		catch (std::exception& exc)
		{
			failure = exc.what();
		}
	}
	throw std::runtime_error("no sentinel answered: " + failure);
}

unsigned short RedisSentinelDeployment::masterPort() const
{
	RedisValue reply = sentinel({"SENTINEL", "get-master-addr-by-name", _name});
	if (reply.elements.size() != 2)
		throw std::runtime_error("the sentinels name no master");
	return static_cast<unsigned short>(Poco::NumberParser::parseUnsigned(reply.elements[1].str));
}

RedisServer& RedisSentinelDeployment::server(unsigned short port)
{
	if (_first->port() == port)
		return *_first;
	if (_second->port() == port)
		return *_second;
	throw std::runtime_error("no server of the deployment on port " + std::to_string(port));
}

RedisServer& RedisSentinelDeployment::replica()
{
	const unsigned short port = masterPort();
	return _first->port() == port ? *_second : *_first;
}

unsigned short RedisSentinelDeployment::waitForNewMaster(unsigned short oldPort, std::chrono::milliseconds timeout) const
{
	unsigned short found = 0;
	const bool switched = waitUntil([&]() {
		try
		{
			found = masterPort();
			return found != oldPort && role(found) == "master";
		}
		catch (std::exception&)
		{
			return false;
		}
	}, timeout);
	if (!switched)
		throw std::runtime_error("no new master within " + std::to_string(timeout.count()) + " ms");
	return found;
}

void RedisSentinelDeployment::rejoin(unsigned short port)
{
	RedisServer& server = this->server(port);
	if (!server.running())
		server.restart();
	const unsigned short other = _first->port() == port ? _second->port() : _first->port();
	// Whether the master replicates to an online replica.
	auto online = [](unsigned short master) {
		try
		{
			return ask(master, {"INFO", "replication"}).str.find("state=online") != std::string::npos;
		}
		catch (std::exception&)
		{
			return false;
		}
	};
	// Settled: the master the sentinels name says it is one and has its
	// replica online. While waiting, the sentinels may fail over again (a
	// loaded machine can keep the new master from answering their pings for
	// down-after-milliseconds): the wait follows the master they name now,
	// and the node that is not it is made its replica (what the sentinels
	// would do after their own delay, several seconds, more under load).
	unsigned short masterPort = 0;
	unsigned short askedFor = 0;
	const bool settled = waitUntil([&]() {
		try
		{
			masterPort = this->masterPort();
		}
		catch (std::exception&)
		{
			return false;
		}
		if (masterPort != port && masterPort != other) return false;
		const unsigned short follower = masterPort == port ? other : port;
		if (role(follower) != "slave" && askedFor != masterPort)
		{
			try
			{
				ask(follower, {"REPLICAOF", "127.0.0.1", std::to_string(masterPort)});
				askedFor = masterPort;
			}
			catch (std::exception&)
			{
				return false;
			}
		}
		return role(masterPort) == "master" && role(follower) == "slave" && online(masterPort);
	}, std::chrono::milliseconds(30000));
	if (!settled)
	{
		// What was seen, for the next look at a failure here: the server's
		// role, whom the sentinels name now, the master's replicas.
		std::string now;
		try
		{
			now = std::to_string(this->masterPort());
		}
		catch (std::exception& exc)
		{
			now = exc.what();
		}
		std::string replicas;
		try
		{
			std::istringstream info(ask(masterPort, {"INFO", "replication"}).str);
			std::string line;
			while (std::getline(info, line))
			{
				if (!line.empty() && line.back() == '\r') line.pop_back();
				if (line.compare(0, 5, "slave") == 0 && line.find(':') != std::string::npos)
					replicas += (replicas.empty() ? "" : "; ") + line;
			}
		}
		catch (std::exception& exc)
		{
			replicas = exc.what();
		}
		throw std::runtime_error("server " + std::to_string(port) + " did not rejoin within 30 s (its role \""
			+ role(port) + "\", the other's \"" + role(other) + "\", master last asked for " + std::to_string(askedFor)
			+ ", the sentinels' master now " + now + ", its replication: " + (replicas.empty() ? "no replica" : replicas) + ")");
	}
}

} // namespace test
} // namespace eventbus
