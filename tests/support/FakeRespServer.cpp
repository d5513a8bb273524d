//
// FakeRespServer.cpp
//
#include "FakeRespServer.h"
#include "RedisClient.h"
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <algorithm>
#include <vector>

namespace eventbus {
namespace test {

FakeRespServer::FakeRespServer(std::string response, bool closeAfter)
	: _response(std::move(response))
	, _closeAfter(closeAfter)
	, _server(Poco::Net::SocketAddress("127.0.0.1", 0))
	, _port(_server.address().port())
{
	_thread = std::thread([this]() { run(); });
}

FakeRespServer::~FakeRespServer()
{
	_stop = true;
	_thread.join();
}

std::string FakeRespServer::url() const
{
	return "redis://127.0.0.1:" + std::to_string(_port) + "/0";
}

std::string FakeRespServer::endpoint() const
{
	return "127.0.0.1:" + std::to_string(_port);
}

void FakeRespServer::run()
{
	// One thread serves every client: no socket is shared between threads.
	std::vector<Poco::Net::StreamSocket> clients;
	char buffer[4096];
	while (!_stop)
	{
		Poco::Net::Socket::SocketList readable{_server}, writable, failed;
		readable.insert(readable.end(), clients.begin(), clients.end());
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
					clients.push_back(_server.acceptConnection());
					++_connections;
				}
				catch (std::exception&)
				{
				}
				continue;
			}
			auto client = std::find(clients.begin(), clients.end(), socket);
			if (client == clients.end())
				continue;
			bool keep = false;
			try
			{
				if (client->receiveBytes(buffer, sizeof(buffer)) > 0)
				{
					sendAll(*client, _response);
					keep = !_closeAfter;
				}
			}
			catch (std::exception&)
			{
			}
			if (!keep)
			{
				client->close();
				clients.erase(client);
			}
		}
	}
	for (auto& client : clients)
		client.close();
}

} // namespace test
} // namespace eventbus
