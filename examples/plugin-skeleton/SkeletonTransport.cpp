//
// SkeletonTransport.cpp
//
#include "SkeletonTransport.h"
#include "SkeletonTenantAccess.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/Plugin.h"
#include <algorithm>

namespace skeleton {

void SkeletonTransport::start(const eventbus::TransportContext& context)
{
	// Read every key here and refuse a bad one with ConfigException naming it.
	const std::string key = "eventbus.skeleton.maxMessageBytes";
	int max = 0;
	try
	{
		max = context.config.getInt(key, 1024 * 1024);
	}
	catch (Poco::Exception&)
	{
		throw eventbus::ConfigException(key + ": not an integer");
	}
	if (max < 1024) throw eventbus::ConfigException(key + ": must be at least 1024");
	std::lock_guard<std::mutex> lock(_mutex);
	if (_started) throw eventbus::TransportException("skeleton transport: already started");
	_maxMessageBytes = static_cast<std::size_t>(max);
	_started = true;
	// A real transport connects here; it may start not ready (health() says why).
	context.logger.information("skeleton transport started");
}

void SkeletonTransport::stop()
{
	std::map<std::uint64_t, EntryPtr> entries;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopped) return;
		_stopped = true;
		entries.swap(_entries);
	}
	// After stop() returns no callback runs (except the one that called stop()).
	for (auto& entry : entries) deactivate(entry.second);
}

void SkeletonTransport::publish(const eventbus::OutboundMessage& message)
{
	if (message.wire.size() > _maxMessageBytes)
		throw eventbus::TransportException("skeleton transport: message of " + std::to_string(message.wire.size())
			+ " bytes exceeds eventbus.skeleton.maxMessageBytes");
	std::vector<EntryPtr> targets;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_started || _stopped) throw eventbus::TransportException("skeleton transport: not running");
		for (const auto& entry : _entries)
		{
			const eventbus::ChannelSubscription& s = entry.second->subscription;
			if (s.pattern ? eventbus::ChannelName::matches(s.channel, message.channel) : s.channel == message.channel)
				targets.push_back(entry.second);
		}
	}
	// Never call out while holding our own lock; only the wire bytes travel.
	eventbus::InboundMessage inbound{message.channel, message.wire, nullptr};
	inbound.id = message.event ? message.event->id : std::string(); // a broker's own message id goes here
	inbound.deliveryCount = 1;                                      // in-process: delivered once, never again
	for (const auto& target : targets) deliver(target, inbound);
}

void SkeletonTransport::deliver(const EntryPtr& entry, const eventbus::InboundMessage& message)
{
	{
		std::lock_guard<std::mutex> lock(entry->mutex);
		if (!entry->active) return;
		++entry->running;
		entry->callers.push_back(std::this_thread::get_id());
	}
	try
	{
		// Plugin API 2 and later: the callback says what became of the message. A durable
		// transport acknowledges Handled and Rejected and redelivers Failed
		// (deliveryCount + 1) up to its limit; in-process, nothing can be
		// redelivered, so the skeleton, like any at-most-once transport,
		// only counts on the bus to have counted and logged it.
		const eventbus::DeliveryResult result = entry->callback(message);
		(void) result;
	}
	catch (...)
	{
		// The bus handles its handlers' errors; a publisher never sees a subscriber's.
	}
	{
		std::lock_guard<std::mutex> lock(entry->mutex);
		--entry->running;
		entry->callers.erase(std::find(entry->callers.begin(), entry->callers.end(), std::this_thread::get_id()));
	}
	entry->idle.notify_all();
}

void SkeletonTransport::deactivate(const EntryPtr& entry)
{
	std::unique_lock<std::mutex> lock(entry->mutex);
	entry->active = false;
	const std::thread::id self = std::this_thread::get_id();
	entry->idle.wait(lock, [&]() {
		return entry->running == 0
			|| std::find(entry->callers.begin(), entry->callers.end(), self) != entry->callers.end();
	});
}

std::uint64_t SkeletonTransport::subscribe(const eventbus::ChannelSubscription& subscription,
	eventbus::DeliveryCallback callback)
{
	auto entry = std::make_shared<Entry>();
	entry->subscription = subscription;
	entry->callback = std::move(callback);
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_started || _stopped) throw eventbus::TransportException("skeleton transport: not running");
	const std::uint64_t id = _nextId++;
	_entries[id] = entry;
	return id;
}

void SkeletonTransport::unsubscribe(std::uint64_t id)
{
	EntryPtr entry;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _entries.find(id);
		if (it == _entries.end()) return; // idempotent
		entry = it->second;
		_entries.erase(it);
	}
	deactivate(entry);
}

eventbus::TransportHealth SkeletonTransport::health()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopped) return eventbus::TransportHealth{false, "skeleton transport stopped"};
	if (!_started) return eventbus::TransportHealth{false, "skeleton transport not started"};
	return eventbus::TransportHealth{true, "in-process skeleton"};
}

} // namespace skeleton

// The manifests: the transport under its name (the name eventbus.transport
// selects), its optional capabilities as "{transport}/{capability}", and the
// plugin API version. A plugin of one transport and no capability may write
// EVENTBUS_PLUGIN(skeleton::SkeletonTransport, "skeleton") instead.
EVENTBUS_PLUGIN_BEGIN
	EVENTBUS_TRANSPORT(skeleton::SkeletonTransport, "skeleton")
	EVENTBUS_CAPABILITY(skeleton::SkeletonTenantAccess, "skeleton/tenant-access")
EVENTBUS_PLUGIN_END
