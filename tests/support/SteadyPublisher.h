//
// SteadyPublisher.h
//
// Publishes n = 0, 1, ... round-robin over a list of tenants at a steady
// rate on its own thread while a suite breaks the deployment under it;
// remembers which publishes were confirmed, refused or left with an unknown
// outcome, and when the first publish of a watched tenant was confirmed
// after fault().
//
#pragma once

#include "eventbus/EventBus.h"
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace eventbus {
namespace test {

class SteadyPublisher
{
public:
	/// Starts publishing `topic` at once, one event every `interval`.
	SteadyPublisher(EventBus& bus, std::string topic, std::vector<std::string> tenants, std::string watched,
		std::chrono::milliseconds interval);
	~SteadyPublisher();

	SteadyPublisher(const SteadyPublisher&) = delete;
	SteadyPublisher& operator=(const SteadyPublisher&) = delete;

	/// The fault begins now.
	void fault();
	/// Milliseconds from fault() to the first confirmed publish of the watched tenant after it; -1 until then.
	long long recoveredAfterMs() const;
	/// Stops and joins the publishing thread. Idempotent.
	void stop();

	std::map<std::string, std::set<int>> confirmed() const;
	std::set<int> confirmedOf(const std::string& tenant) const;
	std::size_t confirmedCount() const;
	/// Publishes tried so far (the next n).
	int attempted() const { return _next; }
	/// Publishes refused (TransportException other than an unknown outcome).
	int refused() const { return _refused; }
	/// Publishes whose outcome is unknown (OutcomeUnknownException).
	int unknown() const { return _unknown; }
	std::string lastError() const;

private:
	void run();

	EventBus& _bus;
	const std::string _topic;
	const std::vector<std::string> _tenants;
	const std::string _watched;
	const std::chrono::milliseconds _interval;
	mutable std::mutex _mutex;
	std::map<std::string, std::set<int>> _confirmed;
	std::string _lastError;
	std::chrono::steady_clock::time_point _faultAt;
	bool _faulted = false;
	long long _recoveredMs = -1;
	std::atomic<bool> _stop{false};
	std::atomic<int> _next{0};
	std::atomic<int> _refused{0};
	std::atomic<int> _unknown{0};
	std::thread _thread;
};

} // namespace test
} // namespace eventbus
