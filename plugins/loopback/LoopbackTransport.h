//
// LoopbackTransport.h
//
// The `loopback` transport plugin: deterministic, for tests.
//
#pragma once

#include "eventbus/CallbackGate.h"
#include "eventbus/Transport.h"
#include <condition_variable>
#include <thread>
#include <vector>
#include <map>
#include <memory>
#include <mutex>

namespace eventbus {

/// Synchronous transport for deterministic tests: publish() delivers the
/// encoded envelope to every matching subscription of this instance, in the
/// publisher's thread, before it returns; the bus decodes it with the wire
/// codec as it would a message from Redis.
class LoopbackTransport: public Transport
{
public:
	std::string name() const override { return "loopback"; }
	bool isInProcess() const override { return true; }
	void start(const TransportContext& context) override;
	void stop() override;
	void publish(const OutboundMessage& message) override;
	std::uint64_t subscribe(const ChannelSubscription& subscription, DeliveryCallback callback) override;
	void unsubscribe(std::uint64_t id) override;
	TransportHealth health() override;

private:
	// The gate lets unsubscribe and stop wait for a callback running on
	// another thread (not for one they are called from).
	struct Entry
	{
		ChannelSubscription subscription;
		DeliveryCallback callback;
		CallbackGate gate;
	};
	std::mutex _mutex;
	std::map<std::uint64_t, std::shared_ptr<Entry>> _entries;
	std::uint64_t _nextId = 1;
	bool _started = false;
	bool _stopped = false;
};

} // namespace eventbus
