//
// DeliveryDispatcher.h
//
// The hand-off between a transport's reader thread and the callbacks: a
// bounded queue drained by one dispatcher thread, so a slow or throwing
// callback never stops the reader (and the heartbeat) of a connection. The
// reader hands over what one read brought in one go, and the dispatcher
// takes everything queued at once: one lock and at most one wake-up per
// batch instead of per message. Each callback runs through its own
// CallbackGate, the framework's one unsubscribe mechanism.
//
#pragma once

#include "eventbus/CallbackGate.h"
#include "eventbus/Redactor.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace eventbus {

/// A message of one server subscription, identified by `key` ("c:" + channel
/// or "p:" + pattern).
struct Delivery
{
	std::string key;
	std::string channel;
	std::string wire;
};

class DeliveryDispatcher
{
public:
	DeliveryDispatcher(std::size_t capacity, Poco::Logger& logger, const Redactor& redactor);
	~DeliveryDispatcher();

	DeliveryDispatcher(const DeliveryDispatcher&) = delete;
	DeliveryDispatcher& operator=(const DeliveryDispatcher&) = delete;

	void start();

	/// Discards what is queued and joins the dispatcher thread: no callback
	/// runs after it returns (unless called from a callback, which cannot wait
	/// for itself). Idempotent.
	void stop();

	/// Registers the callback of subscription `id` for messages of `key`.
	void add(std::uint64_t id, const std::string& key, DeliveryCallback callback);

	/// Unregisters `id` and returns its key ("" if unknown). Once it returns the
	/// callback is not called again; from inside that callback it does not wait.
	std::string remove(std::uint64_t id);

	/// Unregisters `id` without waiting for a callback of it that runs now: for
	/// the reader thread, which must not block (a refused subscription).
	void discard(std::uint64_t id);

	/// Queues a message; false when the queue is full (the caller counts it).
	bool offer(Delivery&& delivery);

	/// Queues the messages in order, as many as fit, moving them out of
	/// `deliveries`; returns how many were queued (the first ones: from the
	/// first that did not fit on, none is, and they stay as they were).
	std::size_t offer(std::vector<Delivery>& deliveries);

	/// Messages waiting, including those the dispatcher took and has not
	/// delivered yet: the capacity bounds them all.
	std::size_t queued() const;

private:

	struct Target
	{
		explicit Target(DeliveryCallback cb): callback(std::move(cb)) {}
		const DeliveryCallback callback;
		CallbackGate gate;
	};
	using TargetPtr = std::shared_ptr<Target>;

	void run();
	/// Calls the callbacks of one message; false when stopping.
	bool dispatch(Delivery& delivery, std::vector<TargetPtr>& targets);
	bool eraseLocked(std::uint64_t id, std::string& key, TargetPtr& target);

	const std::size_t _capacity;
	Poco::Logger& _logger;
	const Redactor& _redactor;
	mutable std::mutex _mutex;
	std::condition_variable _ready;   // queue not empty, or stopping
	std::deque<Delivery> _queue;
	std::atomic<std::size_t> _taken{0}; // taken by the dispatcher, not delivered yet
	bool _waiting = false;              // the dispatcher waits for _ready
	std::map<std::string, std::map<std::uint64_t, TargetPtr>> _byKey;
	std::map<std::uint64_t, std::string> _keyOf;
	bool _stopping = false;
	std::thread _thread;
	std::thread::id _threadId;
};

} // namespace eventbus
