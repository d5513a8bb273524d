//
// RedisObserver.cpp
//
#include "RedisObserver.h"
#include <stdexcept>

namespace eventbus {
namespace test {

RedisObserver::RedisObserver(const RedisServer& server, const std::string& pattern)
	: _client(new RedisClient(server.host(), server.port()))
{
	RedisValue confirmation = _client->command({"PSUBSCRIBE", pattern});
	if (confirmation.elements.empty() || confirmation.elements[0].str != "psubscribe")
		throw std::runtime_error("PSUBSCRIBE not confirmed");
	_thread = std::thread([this]() { run(); });
}

RedisObserver::~RedisObserver()
{
	_stop = true;
	_thread.join();
}

void RedisObserver::run()
{
	while (!_stop)
	{
		RedisValue value;
		try
		{
			if (!_client->read(value, std::chrono::milliseconds(20)))
				continue;
		}
		catch (std::exception&)
		{
			return;
		}
		if (value.type == RedisValue::Array && value.elements.size() == 4 && value.elements[0].str == "pmessage")
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_messages.push_back({value.elements[1].str, value.elements[2].str, value.elements[3].str});
		}
	}
}

std::vector<ObservedMessage> RedisObserver::messages() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _messages;
}

std::size_t RedisObserver::count() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _messages.size();
}

} // namespace test
} // namespace eventbus
