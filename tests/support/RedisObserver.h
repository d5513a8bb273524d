//
// RedisObserver.h
//
// A PSUBSCRIBE observer on a connection of its own: what the server really
// carried, seen from outside the transport under test.
//
#pragma once

#include "RedisClient.h"
#include "RedisServer.h"
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace eventbus {
namespace test {

/// Messages seen by an observer connection.
struct ObservedMessage
{
	std::string pattern;
	std::string channel;
	std::string payload;
};

/// PSUBSCRIBE `pattern` on a connection of its own, collected by a thread.
class RedisObserver
{
public:
	RedisObserver(const RedisServer& server, const std::string& pattern);
	~RedisObserver();

	std::vector<ObservedMessage> messages() const;
	std::size_t count() const;

private:
	void run();

	std::unique_ptr<RedisClient> _client;
	mutable std::mutex _mutex;
	std::vector<ObservedMessage> _messages;
	std::atomic<bool> _stop{false};
	std::thread _thread;
};

} // namespace test
} // namespace eventbus
