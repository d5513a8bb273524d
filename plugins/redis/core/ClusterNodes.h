//
// ClusterNodes.h
//
// The per-master workers of a cluster publisher (one Redis or stream
// publisher per node, by host:port): made on first use, started outside the
// lock, stopped together; and the health of all of them against the
// router's coverage. Shared by the Pub/Sub and the Streams cluster publishers.
//
#pragma once

#include "ClusterRouter.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Transport.h"
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eventbus {

template <typename Worker>
class ClusterNodes
{
public:
	/// Makes the worker of a node (under the lock: no I/O); its start() runs after.
	using Make = std::function<std::shared_ptr<Worker>(const RedisNodeAddress& node)>;

	ClusterNodes(std::string stoppedMessage, Make make)
		: _stoppedMessage(std::move(stoppedMessage)), _make(std::move(make))
	{
	}

	/// The worker of `node`, made and started on first use; throws
	/// TransportException once close() ran.
	std::shared_ptr<Worker> of(const RedisNodeAddress& node)
	{
		std::shared_ptr<Worker> worker;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			if (_closed)
				throw TransportException(_stoppedMessage);
			auto found = _workers.find(node.describe());
			if (found != _workers.end())
				return found->second;
			worker = _make(node);
			_workers[node.describe()] = worker;
		}
		// Connects: never under the lock. A publish meanwhile queues.
		worker->start();
		return worker;
	}

	/// No worker is made after it; returns every worker, to stop.
	std::vector<std::shared_ptr<Worker>> close()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_closed = true;
		std::vector<std::shared_ptr<Worker>> workers;
		for (auto& worker : _workers)
			workers.push_back(worker.second);
		return workers;
	}

	/// The router's coverage, then every master's worker (a refresh is
	/// requested when one is not ready: the node may be gone).
	TransportHealth health(ClusterRouter& router)
	{
		TransportHealth coverage = router.health();
		if (!coverage.ready)
			return coverage;
		for (const auto& master : router.masters())
		{
			std::shared_ptr<Worker> worker;
			try
			{
				worker = of(master);
			}
			catch (Poco::Exception& exc)
			{
				return {false, exc.message()};
			}
			TransportHealth health = worker->health();
			if (!health.ready)
			{
				router.requestRefresh();
				return {false, coverage.reason + "; " + health.reason};
			}
		}
		return coverage;
	}

private:
	const std::string _stoppedMessage;
	const Make _make;
	std::mutex _mutex;
	std::map<std::string, std::shared_ptr<Worker>> _workers; // by host:port
	bool _closed = false;
};

} // namespace eventbus
