//
// LoopbackTransport.cpp
//
#include "LoopbackTransport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/Plugin.h"
#include <algorithm>
#include <vector>

namespace eventbus {

void LoopbackTransport::start(const TransportContext&)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_started = true;
}

void LoopbackTransport::stop()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_stopped = true;
	for (auto& entry : _entries)
	{
		std::lock_guard<std::mutex> entryLock(entry.second->mutex);
		entry.second->active = false;
	}
	_entries.clear();
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
		{
			std::lock_guard<std::mutex> lock(target->mutex);
			if (!target->active) continue;
			++target->inflight;
			target->callers.push_back(std::this_thread::get_id());
		}
		try
		{
			target->callback(inbound);
		}
		catch (...)
		{
			// The bus catches handler errors; a publisher never sees a subscriber's.
		}
		{
			std::lock_guard<std::mutex> lock(target->mutex);
			--target->inflight;
			target->callers.erase(std::find(target->callers.begin(), target->callers.end(), std::this_thread::get_id()));
		}
		target->idle.notify_all();
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
	std::unique_lock<std::mutex> lock(entry->mutex);
	entry->active = false;
	const std::thread::id self = std::this_thread::get_id();
	entry->idle.wait(lock, [&]() {
		return entry->inflight == 0 || std::find(entry->callers.begin(), entry->callers.end(), self) != entry->callers.end();
	});
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
