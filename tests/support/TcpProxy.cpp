//
// TcpProxy.cpp
//
#include "TcpProxy.h"
#include "RedisClient.h"
#include "TestSupport.h"
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <algorithm>
#include <stdexcept>
#include <vector>

namespace eventbus {
namespace test {

TcpProxy::TcpProxy(const std::string& host, unsigned short upstreamPort)
	: _host(host)
	, _upstreamPort(upstreamPort)
	, _server(Poco::Net::SocketAddress("127.0.0.1", 0))
	, _port(_server.address().port())
{
	_thread = std::thread([this]() { run(); });
}

TcpProxy::~TcpProxy()
{
	_stop = true;
	_thread.join();
}

std::string TcpProxy::url() const
{
	return "redis://127.0.0.1:" + std::to_string(_port) + "/0";
}

void TcpProxy::setEnabled(bool enabled)
{
	_enabled = enabled;
	if (enabled)
		return;
	// Synchronous: once this returns, every proxied connection is closed.
	const std::uint64_t generation = ++_generation;
	waitUntil([&]() { return _closedGeneration.load() >= generation; });
}

void TcpProxy::run()
{
	// One thread does everything (accept, forward, cut): no socket is shared
	// between threads.
	struct Pair
	{
		Poco::Net::StreamSocket client;
		Poco::Net::StreamSocket upstream;
	};
	std::vector<Pair> pairs;
	char buffer[64 * 1024];
	auto closePair = [](Pair& pair) {
		pair.client.close();
		pair.upstream.close();
	};
	while (!_stop)
	{
		const std::uint64_t generation = _generation.load();
		if (_closedGeneration.load() != generation)
		{
			for (auto& pair : pairs)
				closePair(pair);
			pairs.clear();
			_closedGeneration = generation;
		}
		Poco::Net::Socket::SocketList readable{_server}, writable, failed;
		for (const auto& pair : pairs)
		{
			readable.push_back(pair.client);
			readable.push_back(pair.upstream);
		}
		try
		{
			if (Poco::Net::Socket::select(readable, writable, failed, Poco::Timespan(10 * 1000)) == 0)
				continue;
		}
		catch (std::exception&)
		{
			continue;
		}
		for (const auto& socket : readable)
		{
			if (socket == _server)
			{
				try
				{
					Poco::Net::StreamSocket client = _server.acceptConnection();
					if (!_enabled)
					{
						client.close();
						continue;
					}
					Poco::Net::StreamSocket upstream;
					try
					{
						upstream.connect(Poco::Net::SocketAddress(_host, _upstreamPort), Poco::Timespan(1, 0));
					}
					catch (std::exception&)
					{
						client.close();
						continue;
					}
					pairs.push_back(Pair{client, upstream});
				}
				catch (std::exception&)
				{
				}
				continue;
			}
			auto pair = std::find_if(pairs.begin(), pairs.end(),
				[&](const Pair& p) { return p.client == socket || p.upstream == socket; });
			if (pair == pairs.end())
				continue;
			try
			{
				const bool fromClient = pair->client == socket;
				Poco::Net::StreamSocket from = fromClient ? pair->client : pair->upstream;
				Poco::Net::StreamSocket to = fromClient ? pair->upstream : pair->client;
				const int n = from.receiveBytes(buffer, sizeof(buffer));
				if (n <= 0)
					throw std::runtime_error("closed");
				sendAll(to, std::string(buffer, static_cast<std::size_t>(n)));
			}
			catch (std::exception&)
			{
				closePair(*pair);
				pairs.erase(pair);
			}
		}
	}
	for (auto& pair : pairs)
		closePair(pair);
}

} // namespace test
} // namespace eventbus
