//
// OperationsServer.cpp
//
// Accepting, polling idle connections, handing readable ones to workers,
// and a stop that closes every idle connection at once.
//
#include "OperationsServer.h"
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/PollSet.h>
#include <list>
#include <map>

namespace eventbus {

OperationsServer::OperationsServer(const Poco::Net::ServerSocket& socket, Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
	Poco::Net::HTTPServerParams::Ptr params, int workers):
	_socket(socket),
	_factory(factory),
	_params(params),
	_workerCount(workers)
{
}

OperationsServer::~OperationsServer()
{
	stop(std::chrono::steady_clock::now());
}

void OperationsServer::start()
{
	for (int i = 0; i < _workerCount; ++i) _workers.emplace_back([this]() { work(); });
	_poller = std::thread([this]() { poll(); });
}

void OperationsServer::stop(std::chrono::steady_clock::time_point deadline)
{
	if (_stopping.exchange(true)) return;
	if (_poller.joinable()) _poller.join();
	{
		std::unique_lock<std::mutex> lock(_mutex);
		_queue.clear();
		_idleWorkers.wait_until(lock, deadline, [&]() { return _busy == 0; });
		_closing = true;
	}
	_wake.notify_all();
	for (auto& worker : _workers)
	{
		// A worker past the deadline is still bounded by the socket timeout.
		worker.join();
	}
	_workers.clear();
}

void OperationsServer::poll()
{
	// Each idle connection: when it was accepted, and its place in `order`
	// (oldest first, for the cap and the timeout).
	struct Idle
	{
		std::chrono::steady_clock::time_point since;
		std::list<Poco::Net::Socket>::iterator place;
	};
	Poco::Net::PollSet pollSet;
	std::map<Poco::Net::Socket, Idle> idle;
	std::list<Poco::Net::Socket> order;
	pollSet.add(_socket, Poco::Net::PollSet::POLL_READ);
	const auto idleLimit = std::chrono::microseconds(_params->getTimeout().totalMicroseconds());
	while (!_stopping)
	{
		Poco::Net::PollSet::SocketModeMap ready;
		try
		{
			ready = pollSet.poll(Poco::Timespan(0, 50000));
		}
		catch (Poco::Exception& exc)
		{
			Poco::Logger::get("eventbus.serve").warning("poll failed: %s", exc.displayText());
			continue;
		}
		const auto now = std::chrono::steady_clock::now();
		for (const auto& entry : ready)
		{
			if (entry.first == _socket)
			{
				try
				{
					Poco::Net::StreamSocket connection = _socket.acceptConnection();
					idle[connection] = Idle{now, order.insert(order.end(), connection)};
					pollSet.add(connection, Poco::Net::PollSet::POLL_READ);
				}
				catch (Poco::Exception&)
				{
					// The peer went away before the accept: nothing to serve.
				}
				continue;
			}
			auto it = idle.find(entry.first);
			if (it == idle.end()) continue;
			// Readable: a request (or the peer's close) arrived. Nothing
			// here keeps a reference, so the worker's close is the last one.
			order.erase(it->second.place);
			idle.erase(it);
			pollSet.remove(entry.first);
			dispatch(Poco::Net::StreamSocket(entry.first));
		}
		while (!order.empty() && (idle.size() > MaxIdleConnections || now - idle[order.front()].since > idleLimit))
		{
			Poco::Net::Socket oldest = order.front();
			order.pop_front();
			idle.erase(oldest);
			pollSet.remove(oldest);
			oldest.close();
		}
	}
	for (auto& entry : idle) Poco::Net::Socket(entry.first).close();
	_socket.close();
}

void OperationsServer::dispatch(const Poco::Net::StreamSocket& connection)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_queue.size() < MaxQueued)
		{
			_queue.push_back(connection);
			_wake.notify_one();
			return;
		}
	}
	Poco::Net::StreamSocket refused(connection);
	refused.close();
}

void OperationsServer::work()
{
	for (;;)
	{
		Poco::Net::StreamSocket connection;
		{
			std::unique_lock<std::mutex> lock(_mutex);
			_wake.wait(lock, [&]() { return _closing || !_queue.empty(); });
			if (_queue.empty()) return;
			connection = _queue.front();
			_queue.pop_front();
			++_busy;
		}
		try
		{
			Poco::Net::HTTPServerConnection http(connection, _params, _factory);
			http.run();
		}
		catch (std::exception& exc)
		{
			Poco::Logger::get("eventbus.serve").warning("request failed: %s", std::string(exc.what()));
		}
		{
			std::lock_guard<std::mutex> lock(_mutex);
			--_busy;
		}
		_idleWorkers.notify_all();
	}
}

} // namespace eventbus
