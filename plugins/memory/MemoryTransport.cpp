//
// MemoryTransport.cpp
//
// The `memory` transport: settings, and the broker behind publish and subscribe.
//
#include "MemoryTransport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include "eventbus/Plugin.h"

namespace eventbus {

namespace {

long long readInt(const Poco::Util::AbstractConfiguration& config, const std::string& key, long long defaultValue,
	long long min, long long max)
{
	if (!config.hasProperty(key)) return defaultValue;
	long long value = 0;
	try
	{
		value = config.getInt64(key);
	}
	catch (Poco::Exception&)
	{
		throw ConfigException(key + ": '" + config.getString(key) + "' is not an integer");
	}
	if (value < min || value > max)
		throw ConfigException(key + ": out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
	return value;
}

} // namespace

MemoryTransport::MemoryTransport() = default;

MemoryTransport::~MemoryTransport()
{
	stop();
}

void MemoryTransport::start(const TransportContext& context)
{
	auto capacity = readInt(context.config, "eventbus.memory.queueCapacity", 10000, 1, 10000000);
	auto enqueueTimeout = readInt(context.config, "eventbus.memory.enqueueTimeoutMs", 1000, 0, 600000);
	auto drain = readInt(context.config, "eventbus.delivery.drainTimeoutMs", 5000, 0, 600000);
	std::lock_guard<std::mutex> lock(_mutex);
	if (_endpoint) throw Poco::IllegalStateException("memory transport: already started");
	_endpoint = std::make_shared<MemoryEndpoint>(static_cast<std::size_t>(capacity),
		std::chrono::milliseconds(enqueueTimeout), std::chrono::milliseconds(drain),
		context.metrics.counter(Metrics::Dropped, {{"reason", "shutdown"}, {"transport", "memory"}}));
	_endpoint->start();
}

void MemoryTransport::stop()
{
	std::set<std::uint64_t> ids;
	std::shared_ptr<MemoryEndpoint> endpoint;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopped) return;
		_stopped = true;
		ids.swap(_ids);
		endpoint = _endpoint;
	}
	for (auto id : ids) MemoryBroker::instance().unsubscribe(id);
	if (endpoint) endpoint->stop();
}

void MemoryTransport::publish(const OutboundMessage& message)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopped || !_endpoint) throw TransportException("memory transport: not running");
	}
	MemoryBroker::instance().publish(message);
}

std::uint64_t MemoryTransport::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopped || !_endpoint) throw TransportException("memory transport: not running");
	// The callback is registered before the broker can route to it.
	std::uint64_t id = MemoryBroker::instance().subscribe(_endpoint, subscription);
	_endpoint->addCallback(id, std::move(callback));
	_ids.insert(id);
	return id;
}

void MemoryTransport::unsubscribe(std::uint64_t id)
{
	std::shared_ptr<MemoryEndpoint> endpoint;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_ids.erase(id) == 0) return;
		endpoint = _endpoint;
	}
	MemoryBroker::instance().unsubscribe(id);
	if (endpoint) endpoint->removeCallback(id);
}

TransportHealth MemoryTransport::health()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopped) return TransportHealth{false, "memory transport stopped"};
	if (!_endpoint) return TransportHealth{false, "memory transport not started"};
	return TransportHealth{true, "in-process broker"};
}

} // namespace eventbus

EVENTBUS_PLUGIN(eventbus::MemoryTransport, "memory")
