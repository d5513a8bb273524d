//
// EventLog.cpp
//
#include "EventLog.h"

namespace eventbus {
namespace test {

Handler EventLog::handler()
{
	return [this](const Event& event) {
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_events.push_back(event);
		}
		_arrived.notify_all();
	};
}

std::vector<Event> EventLog::events() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _events;
}

std::size_t EventLog::size() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _events.size();
}

bool EventLog::waitFor(std::size_t count, std::chrono::milliseconds timeout) const
{
	std::unique_lock<std::mutex> lock(_mutex);
	return _arrived.wait_for(lock, timeout, [&]() { return _events.size() >= count; });
}

std::vector<int> EventLog::intField(const std::string& key) const
{
	std::vector<int> values;
	for (const Event& event : events())
		values.push_back(event.data->getValue<int>(key));
	return values;
}

} // namespace test
} // namespace eventbus
