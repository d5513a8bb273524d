//
// TcpProxy.h
//
// A TCP proxy in front of a server that can cut every connection through it:
// an outage seen only by the clients behind it.
//
#pragma once

#include <Poco/Net/ServerSocket.h>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace eventbus {
namespace test {

/// Forwards TCP connections to a server and can cut them: disabled, it
/// drops every connection and closes new ones at once (an outage seen by
/// only the clients behind it).
class TcpProxy
{
public:
	TcpProxy(const std::string& host, unsigned short upstreamPort);
	~TcpProxy();

	TcpProxy(const TcpProxy&) = delete;
	TcpProxy& operator=(const TcpProxy&) = delete;

	unsigned short port() const { return _port; }
	std::string url() const;
	void setEnabled(bool enabled);

private:
	void run();

	std::string _host;
	unsigned short _upstreamPort;
	Poco::Net::ServerSocket _server;
	unsigned short _port = 0;
	std::atomic<bool> _enabled{true};
	std::atomic<std::uint64_t> _generation{0};
	std::atomic<std::uint64_t> _closedGeneration{0};
	std::atomic<bool> _stop{false};
	std::thread _thread;
};

} // namespace test
} // namespace eventbus
