// RedisStreamsTestSupport.h
//
// What the redis-streams suites share: the channel they use, short
// intervals so redelivery, reclaim and discovery happen within a test, and a
// fixture with a fresh redis-server per test.
//
#pragma once
#include "RedisServer.h"
#include "StreamsHarness.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <thread>

namespace eventbus {
namespace test {
namespace streams {

inline const std::string Topic = "orders.created";
inline const std::string Channel = "c2pro.production.acme.orders.created";
inline const std::string DeadLetters = Channel + ":dlq";

/// Short intervals, so redelivery, reclaim and discovery happen within a test.
inline std::map<std::string, std::string> fast(std::map<std::string, std::string> extra = {})
{
	std::map<std::string, std::string> keys{
		{"eventbus.transport", "redis-streams"},
		{"eventbus.redis.streams.blockMs", "200"},
		{"eventbus.redis.streams.retryBackoffMs", "20"},
		{"eventbus.redis.streams.retryBackoffMaxMs", "100"},
		{"eventbus.redis.streams.claimIntervalMs", "100"},
	};
	for (const auto& kv : extra)
		keys[kv.first] = kv.second;
	return keys;
}

inline std::string wireOf(int i)
{
	return "{\"n\":" + std::to_string(i) + "}";
}

/// The fields of the entries of an XRANGE reply, by entry id.
inline std::vector<std::pair<std::string, std::map<std::string, std::string>>> entries(const RedisServer& server, const std::string& key)
{
	std::vector<std::pair<std::string, std::map<std::string, std::string>>> result;
	RedisValue reply = server.command({"XRANGE", key, "-", "+"});
	for (const RedisValue& entry : reply.elements)
	{
		std::map<std::string, std::string> fields;
		const auto& list = entry.elements.at(1).elements;
		for (std::size_t i = 0; i + 1 < list.size(); i += 2)
			fields[list[i].str] = list[i + 1].str;
		result.emplace_back(entry.elements.at(0).str, fields);
	}
	return result;
}

/// A fresh redis-server per test, and buses on it with fast() intervals.
class StreamsSuite : public CppUnit::TestFixture
{
public:
	void setUp() override
	{
		_server.reset(new RedisServer);
	}

	void tearDown() override
	{
		_server.reset();
	}

	std::unique_ptr<EventBus> bus(const std::map<std::string, std::string>& overrides = {})
	{
		return std::unique_ptr<EventBus>(new EventBus(*redisConfig(_server->url(), fast(overrides))));
	}

protected:
	std::unique_ptr<RedisServer> _server;
};

} // namespace streams
} // namespace test
} // namespace eventbus
