//
// CallbackGate.cpp
//
// Entering and leaving take the gate's own mutex only for the bookkeeping;
// the callback runs outside it, as Poco's NotificationCenter calls observers.
//
#include "eventbus/CallbackGate.h"
#include <algorithm>

namespace eventbus {

bool CallbackGate::enter()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_open) return false;
	_inside.push_back(std::this_thread::get_id());
	return true;
}

void CallbackGate::leave()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = std::find(_inside.begin(), _inside.end(), std::this_thread::get_id());
		if (it != _inside.end()) _inside.erase(it);
		if (_open) return; // nobody waits on an open gate
	}
	_idle.notify_all();
}

void CallbackGate::close()
{
	std::unique_lock<std::mutex> lock(_mutex);
	_open = false;
	const std::thread::id self = std::this_thread::get_id();
	_idle.wait(lock, [&]() {
		return _inside.empty() || std::find(_inside.begin(), _inside.end(), self) != _inside.end();
	});
}

void CallbackGate::closeWithoutWaiting()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_open = false;
}

bool CallbackGate::isOpen() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _open;
}

} // namespace eventbus
