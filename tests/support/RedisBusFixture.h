//
// RedisBusFixture.h
//
// The CppUnit fixture of the redis suites: a fresh redis-server per test,
// buses on it in env production, the numbered payloads the suites count
// with, and a wait for the server to see a channel's subscriptions.
//
#pragma once

#include "RedisServer.h"
#include "eventbus/EventBus.h"
#include <cppunit/TestFixture.h>
#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace eventbus {
namespace test {

class RedisBusFixture: public CppUnit::TestFixture
{
public:
	/// Starts the server. A suite with a setUp of its own calls this in it.
	void setUp() override;
	/// Stops the server.
	void tearDown() override;

	/// A bus on the server (or on `url`): redisConfig() with `overrides`.
	std::unique_ptr<EventBus> bus(const std::map<std::string, std::string>& overrides = {},
		const std::string& url = "") const;

	/// {"n":n}: the payload the suites count and order with (EventLog::intField("n")).
	static std::string numbered(int n);
	/// Publishes numbered(from) .. numbered(to - 1) to `topic` of `tenant`.
	static void publishNumbered(EventBus& bus, int from, int to, const std::string& tenant = "acme",
		const std::string& topic = "orders.created");

	/// Waits until the server counts `count` subscribers of `channel` (PUBSUB NUMSUB).
	bool waitSubscribers(const std::string& channel, long long count,
		std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) const;

protected:
	std::unique_ptr<RedisServer> _server;
};

} // namespace test
} // namespace eventbus
