//
// RedisBusFixture.cpp
//
#include "RedisBusFixture.h"
#include "TestSupport.h"

namespace eventbus {
namespace test {

void RedisBusFixture::setUp()
{
	_server.reset(new RedisServer);
}

void RedisBusFixture::tearDown()
{
	_server.reset();
}

std::unique_ptr<EventBus> RedisBusFixture::bus(const std::map<std::string, std::string>& overrides,
	const std::string& url) const
{
	return std::unique_ptr<EventBus>(new EventBus(*redisConfig(url.empty() ? _server->url() : url, overrides)));
}

std::string RedisBusFixture::numbered(int n)
{
	return R"({"n":)" + std::to_string(n) + "}";
}

void RedisBusFixture::publishNumbered(EventBus& bus, int from, int to, const std::string& tenant,
	const std::string& topic)
{
	for (int i = from; i < to; ++i)
		bus.publish(topic, numbered(i), tenant);
}

bool RedisBusFixture::waitSubscribers(const std::string& channel, long long count,
	std::chrono::milliseconds timeout) const
{
	return waitUntil([&]() { return _server->subscribers(channel) == count; }, timeout);
}

} // namespace test
} // namespace eventbus
