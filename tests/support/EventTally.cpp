//
// EventTally.cpp
//
#include "EventTally.h"

namespace eventbus {
namespace test {

Handler EventTally::handler()
{
	return [this](const Event& event) {
		const int n = event.data->getValue<int>("n");
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_seen[event.tenantId].insert(n).second)
			++_duplicates;
	};
}

bool EventTally::has(const std::string& tenant, int n) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto found = _seen.find(tenant);
	return found != _seen.end() && found->second.count(n) != 0;
}

std::size_t EventTally::size() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::size_t total = 0;
	for (const auto& tenant : _seen)
		total += tenant.second.size();
	return total;
}

std::size_t EventTally::duplicates() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _duplicates;
}

} // namespace test
} // namespace eventbus
