//
// MemoryTransport.h
//
// The `memory` transport plugin: in-process, asynchronous, bounded.
//
#pragma once

#include "MemoryBroker.h"
#include "eventbus/Transport.h"
#include <memory>
#include <mutex>
#include <set>

namespace eventbus {

/// In-process, asynchronous transport. Messages go through the process-wide
/// MemoryBroker to each subscriber's bounded queue and are delivered by that
/// transport's own thread, in publish order per publisher. Events are handed
/// over without encoding. Keys: eventbus.memory.queueCapacity (10000),
/// eventbus.memory.enqueueTimeoutMs (1000), eventbus.delivery.drainTimeoutMs.
class MemoryTransport: public Transport
{
public:
	MemoryTransport();
	~MemoryTransport() override;
	std::string name() const override { return "memory"; }
	bool isInProcess() const override { return true; }
	/// Hands the event itself to the subscriptions: the envelope is never read.
	bool needsWire() const override { return false; }
	void start(const TransportContext& context) override;
	void stop() override;
	void publish(const OutboundMessage& message) override;
	std::uint64_t subscribe(const ChannelSubscription& subscription, DeliveryCallback callback) override;
	void unsubscribe(std::uint64_t id) override;
	TransportHealth health() override;

private:
	std::mutex _mutex;
	std::shared_ptr<MemoryEndpoint> _endpoint;
	std::set<std::uint64_t> _ids;
	bool _stopped = false;
};

} // namespace eventbus
