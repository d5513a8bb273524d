//
// GapCounter.cpp
//
#include "GapCounter.h"

namespace eventbus {
namespace test {

GapCounter::GapCounter(EventBus& bus)
	: _state(std::make_shared<State>())
{
	std::shared_ptr<State> state = _state;
	bus.setGapListener([state](const std::string&, const std::string& reason) {
		std::lock_guard<std::mutex> lock(state->mutex);
		state->reason = reason;
		++state->count;
	});
}

std::size_t GapCounter::count() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	return _state->count;
}

std::string GapCounter::lastReason() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	return _state->reason;
}

} // namespace test
} // namespace eventbus
