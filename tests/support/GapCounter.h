//
// GapCounter.h
//
// Counts the gaps a bus reports through its gap listener.
//
#pragma once

#include "eventbus/EventBus.h"
#include <memory>
#include <mutex>
#include <string>

namespace eventbus {
namespace test {

/// Counts the gaps a bus reports.
class GapCounter
{
public:
	explicit GapCounter(EventBus& bus);
	std::size_t count() const;
	std::string lastReason() const;

private:
	struct State
	{
		std::mutex mutex;
		std::size_t count = 0;
		std::string reason;
	};
	std::shared_ptr<State> _state; // shared with the listener, which may outlive this
};

} // namespace test
} // namespace eventbus
