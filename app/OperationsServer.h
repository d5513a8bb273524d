//
// OperationsServer.h
//
// The HTTP server in front of `serve`'s endpoints: one poller thread holds
// the listening socket and every idle connection, workers only ever get a
// connection whose request has started to arrive. Requests are parsed and
// answered by Poco's HTTPServerConnection.
//
#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace eventbus {

// Poco's HTTPServer gives every accepted connection a thread until its
// request is read, so a few idle connections starve /health/live and delay
// shutdown. Here one poller thread owns the listening socket and the idle
// connections; a worker only ever gets a connection whose request has
// started to arrive (or that the peer closed).
class OperationsServer
{
public:
	static constexpr std::size_t MaxIdleConnections = 1024;
	static constexpr std::size_t MaxQueued = 64;

	/// Serves `socket` with `workers` threads; `params` gives the timeout
	/// that bounds an idle connection and a slow request.
	OperationsServer(const Poco::Net::ServerSocket& socket, Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
		Poco::Net::HTTPServerParams::Ptr params, int workers);
	~OperationsServer();

	OperationsServer(const OperationsServer&) = delete;
	OperationsServer& operator=(const OperationsServer&) = delete;

	void start();

	/// Closes the listening socket and every idle connection at once; the
	/// requests being answered may finish until `deadline`. Idempotent.
	void stop(std::chrono::steady_clock::time_point deadline);

private:
	void poll();
	void dispatch(const Poco::Net::StreamSocket& connection);
	void work();

	Poco::Net::ServerSocket _socket;
	Poco::Net::HTTPRequestHandlerFactory::Ptr _factory;
	Poco::Net::HTTPServerParams::Ptr _params;
	const int _workerCount;
	std::atomic<bool> _stopping{false};
	std::thread _poller;
	std::vector<std::thread> _workers;

	std::mutex _mutex;
	std::condition_variable _wake;
	std::condition_variable _idleWorkers;
	std::deque<Poco::Net::StreamSocket> _queue;
	int _busy = 0;
	bool _closing = false;
};

} // namespace eventbus
