//
// SkeletonTransport.h
//
// The smallest complete transport: in-process and synchronous, like the
// built-in loopback, but a plugin of its own built against the installed
// SDK. Copy it, rename it, and replace the delivery with your broker's.
//
#pragma once

#include "eventbus/Transport.h"
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace skeleton {

/// Delivers each published message, in the publisher's thread, to every
/// matching subscription of this instance, as wire bytes (the bus decodes them
/// as it would a message from a broker).
///
/// Keys: eventbus.skeleton.maxMessageBytes (default 1048576): larger messages
/// are refused with TransportException.
class SkeletonTransport: public eventbus::Transport
{
public:
	std::string name() const override { return "skeleton"; }
	/// In-process: the bus allows it only in eventbus.policy.inMemoryEnvs.
	bool isInProcess() const override { return true; }
	void start(const eventbus::TransportContext& context) override;
	void stop() override;
	void publish(const eventbus::OutboundMessage& message) override;
	std::uint64_t subscribe(const eventbus::ChannelSubscription& subscription, eventbus::DeliveryCallback callback) override;
	void unsubscribe(std::uint64_t id) override;
	eventbus::TransportHealth health() override;

private:
	// One subscription; `running` and `callers` let unsubscribe() wait for a
	// callback in another thread, but not for one in its own.
	struct Entry
	{
		eventbus::ChannelSubscription subscription;
		eventbus::DeliveryCallback callback;
		std::mutex mutex;
		std::condition_variable idle;
		bool active = true;
		int running = 0;
		std::vector<std::thread::id> callers;
	};
	using EntryPtr = std::shared_ptr<Entry>;

	void deliver(const EntryPtr& entry, const eventbus::InboundMessage& message);
	static void deactivate(const EntryPtr& entry);

	std::mutex _mutex;
	std::map<std::uint64_t, EntryPtr> _entries;
	std::uint64_t _nextId = 1;
	std::size_t _maxMessageBytes = 1024 * 1024;
	bool _started = false;
	bool _stopped = false;
};

} // namespace skeleton
