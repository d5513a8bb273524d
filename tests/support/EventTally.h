//
// EventTally.h
//
// The (tenant, n) pairs a handler saw (events made by
// RedisBusFixture::numbered), with duplicates counted: what fault and
// topology suites compare against what a publisher confirmed.
//
#pragma once

#include "eventbus/EventBus.h"
#include <cstddef>
#include <map>
#include <mutex>
#include <set>
#include <string>

namespace eventbus {
namespace test {

class EventTally
{
public:
	/// A handler recording each event's tenant and "n".
	Handler handler();
	bool has(const std::string& tenant, int n) const;
	/// Distinct events seen.
	std::size_t size() const;
	/// Events seen more than once (each extra delivery counts).
	std::size_t duplicates() const;

private:
	mutable std::mutex _mutex;
	std::map<std::string, std::set<int>> _seen;
	std::size_t _duplicates = 0;
};

} // namespace test
} // namespace eventbus
