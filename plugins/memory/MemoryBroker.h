//
// MemoryBroker.h
//
// The process-wide broker of the memory transport. The plugin library is
// loaded once per process, so every bus on `memory` in one process shares it.
//
#pragma once

#include "eventbus/CallbackGate.h"
#include "eventbus/Transport.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace eventbus {

class Counter;

/// One transport instance's delivery side: a bounded queue and the thread
/// that hands its messages to the subscriptions' callbacks, in order.
class MemoryEndpoint: public std::enable_shared_from_this<MemoryEndpoint>
{
public:
	MemoryEndpoint(std::size_t capacity, std::chrono::milliseconds enqueueTimeout,
		std::chrono::milliseconds drainTimeout, Counter& shutdownDrops);
	~MemoryEndpoint();

	void start();
	/// Delivers what is queued until the drain timeout, drops (and counts) the
	/// rest, and joins the thread (unless called from it).
	void stop();

	void addCallback(std::uint64_t id, DeliveryCallback callback);
	/// Once it returns, the callback is not running (unless called from it) and
	/// will not run again.
	void removeCallback(std::uint64_t id);

	/// Holds one place in the queue for a message to `channel`: waits up to
	/// the enqueue timeout for room (not when called from this endpoint's own
	/// thread), then throws OverflowException. False when the endpoint is
	/// stopping (nothing to deliver to). Every true is followed by exactly one
	/// commit() or release().
	bool reserve(const std::string& channel);
	/// Queues the message for subscription `id` in the place reserve() held.
	void commit(std::uint64_t id, const InboundMessage& message);
	/// Gives back a place reserve() held.
	void release();

private:
	void run();

	struct Item
	{
		std::uint64_t id;
		InboundMessage message;
	};
	struct Target
	{
		explicit Target(DeliveryCallback cb): callback(std::move(cb)) {}
		const DeliveryCallback callback;
		CallbackGate gate;
	};
	using TargetPtr = std::shared_ptr<Target>;

	const std::size_t _capacity;
	const std::chrono::milliseconds _enqueueTimeout;
	const std::chrono::milliseconds _drainTimeout;
	Counter& _shutdownDrops;

	std::mutex _mutex;
	std::condition_variable _notEmpty;
	std::condition_variable _notFull;
	std::deque<Item> _queue;
	std::atomic<std::size_t> _queued{0}; // _queue.size(), read without the lock by the idle thread's spin
	std::size_t _reserved = 0;  // places held by reserve() and not yet committed
	std::unordered_map<std::uint64_t, TargetPtr> _callbacks;
	bool _stopping = false;
	std::thread _thread;
	std::thread::id _threadId;
};

/// Routes a published message to every endpoint with a matching subscription.
class MemoryBroker
{
public:
	static MemoryBroker& instance();

	std::uint64_t subscribe(const std::shared_ptr<MemoryEndpoint>& endpoint, const ChannelSubscription& subscription);
	void unsubscribe(std::uint64_t id);

	/// Hands the message to every matching subscription, or to none: a place
	/// is reserved in every endpoint first, so if one stays full past its
	/// enqueue timeout, OverflowException is thrown and no subscription gets
	/// the message (a retry cannot duplicate it to the others).
	void publish(const OutboundMessage& message);

private:
	struct Registration
	{
		std::uint64_t id;
		std::weak_ptr<MemoryEndpoint> endpoint;
		ChannelSubscription subscription;
	};
	std::mutex _mutex;
	std::uint64_t _nextId = 1;
	std::unordered_map<std::string, std::vector<Registration>> _exact;
	std::vector<Registration> _patterns;
	std::unordered_map<std::uint64_t, std::string> _channelOf; // id -> channel or pattern
};

} // namespace eventbus
