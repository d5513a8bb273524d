//
// FakeRespServer.h
//
// A fake server on a free loopback port that answers every client with the
// same bytes (protocol garbage, oversized replies, ...).
//
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <atomic>
#include <string>
#include <thread>

namespace eventbus {
namespace test {

/// Accepts connections on a free loopback port and answers whatever a
/// client sends with `response`, then (if `closeAfter`) closes.
class FakeRespServer
{
public:
	explicit FakeRespServer(std::string response, bool closeAfter = false);
	~FakeRespServer();

	unsigned short port() const { return _port; }
	std::string url() const;
	std::string endpoint() const;
	std::size_t connections() const { return _connections.load(); }

private:
	void run();

	std::string _response;
	bool _closeAfter;
	Poco::Net::ServerSocket _server;
	unsigned short _port = 0;
	std::atomic<std::size_t> _connections{0};
	std::atomic<bool> _stop{false};
	std::thread _thread;
};

} // namespace test
} // namespace eventbus
