//
// LoopbackTransport.cpp
//
// Synchronous delivery in the publisher's thread, after a full codec round trip.
//
#include "LoopbackTransport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/Plugin.h"
#include <vector>

namespace eventbus {

void LoopbackTransport::start(const TransportContext&)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_started = true;
}

void LoopbackTransport::stop()
{
	std::map<std::uint64_t, std::shared_ptr<Entry>> entries;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopped = true;
		entries.swap(_entries);
	}
	for (auto& entry : entries) entry.second->gate.close();
}

void LoopbackTransport::publish(const OutboundMessage& message)
{
	std::vector<std::shared_ptr<Entry>> targets;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_started || _stopped) throw TransportException("loopback transport: not running");
		for (const auto& entry : _entries)
		{
			const ChannelSubscription& s = entry.second->subscription;
			if (s.pattern ? ChannelName::matches(s.channel, message.channel) : s.channel == message.channel)
				targets.push_back(entry.second);
		}
	}
	// Only the wire bytes travel: the receiving side decodes them.
	InboundMessage inbound;
	inbound.channel = message.channel;
	inbound.wire = message.wire;
	for (const auto& target : targets)
	{
		try
		{
			target->gate.pass([&]() { target->callback(inbound); });
		}
		catch (...)
		{
			// The bus catches handler errors; a publisher never sees a subscriber's.
		}
	}
}

std::uint64_t LoopbackTransport::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_started || _stopped) throw TransportException("loopback transport: not running");
	auto entry = std::make_shared<Entry>();
	entry->subscription = subscription;
	entry->callback = std::move(callback);
	std::uint64_t id = _nextId++;
	_entries[id] = entry;
	return id;
}

void LoopbackTransport::unsubscribe(std::uint64_t id)
{
	std::shared_ptr<Entry> entry;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _entries.find(id);
		if (it == _entries.end()) return;
		entry = it->second;
		_entries.erase(it);
	}
	entry->gate.close();
}

TransportHealth LoopbackTransport::health()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopped) return TransportHealth{false, "loopback transport stopped"};
	if (!_started) return TransportHealth{false, "loopback transport not started"};
	return TransportHealth{true, "synchronous loopback"};
}

} // namespace eventbus

EVENTBUS_PLUGIN(eventbus::LoopbackTransport, "loopback")
