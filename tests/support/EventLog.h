//
// EventLog.h
//
// What a bus handler receives, collected thread-safely, with waits on a deadline.
//
#pragma once

#include "eventbus/EventBus.h"
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

/// Collects what a handler receives; thread-safe.
class EventLog
{
public:
	/// A handler appending to this log.
	Handler handler();
	std::vector<Event> events() const;
	std::size_t size() const;
	/// Waits until at least `count` events arrived.
	bool waitFor(std::size_t count, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) const;
	/// Data field `key` (an integer) of every event, in arrival order.
	std::vector<int> intField(const std::string& key) const;

private:
	mutable std::mutex _mutex;
	mutable std::condition_variable _arrived;
	std::vector<Event> _events;
};

} // namespace test
} // namespace eventbus
