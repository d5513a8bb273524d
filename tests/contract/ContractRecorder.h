//
// ContractRecorder.h
//
// A raw DeliveryCallback for the contract suite that records every call:
// the messages (decoded from the wire when the transport sends only that),
// how many calls run now, and every call that started after fence() — the
// moment a test's unsubscribe() or stop() returned, after which the contract
// allows none.
//
#pragma once

#include "eventbus/Transport.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace eventbus {
namespace contract {

/// One call of the callback.
struct Received
{
	std::string channel;
	std::string eventId;   ///< the CloudEvents id
	int seq = -1;          ///< data.seq
	std::string messageId; ///< InboundMessage::id
	std::uint32_t deliveryCount = 0;
};

class ContractRecorder
{
public:
	/// What the callback does besides recording, and what it answers.
	using Action = std::function<DeliveryResult(const InboundMessage&, const Received&)>;

	ContractRecorder();

	/// A callback recording into this object, which must outlive the subscription.
	DeliveryCallback callback();
	/// Runs inside every later call, after recording (default: answer handled()).
	void setAction(Action action);

	/// From now on, every call that starts is a late call.
	void fence();
	/// Calls that started after fence().
	std::size_t lateCalls() const { return _late.load(); }
	/// Calls that were running when fence() was called.
	std::size_t runningAtFence() const { return _runningAtFence.load(); }

	std::size_t calls() const;
	std::vector<Received> received() const;
	/// Waits until at least `count` calls were recorded.
	bool waitFor(std::size_t count, std::chrono::milliseconds timeout) const;
	/// "sent N, received M, missing X, duplicates Y" of `sent` (by event id)
	/// against what arrived; sets `missing` and `duplicates`.
	std::string tally(const std::vector<OutboundMessage>& sent, std::size_t& missing, std::size_t& duplicates) const;
	/// A decoding failure inside a call ("" if none).
	std::string error() const;

private:
	DeliveryResult record(const InboundMessage& message);

	mutable std::mutex _mutex;
	mutable std::condition_variable _arrived;
	std::vector<Received> _received;
	std::string _error;
	Action _action;
	std::atomic<bool> _fenced{false};
	std::atomic<std::size_t> _running{0};
	std::atomic<std::size_t> _late{0};
	std::atomic<std::size_t> _runningAtFence{0};
};

} // namespace contract
} // namespace eventbus
