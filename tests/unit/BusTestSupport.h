//
// BusTestSupport.h
//
// What the bus suites share: a thread-safe collector of delivered events and
// events built by hand for publishing straight to a transport.
//
#pragma once

#include "UnitSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EventBus.h"
#include <Poco/UUIDGenerator.h>
#include <mutex>
#include <vector>

namespace eventbus {
namespace test {

/// Collects the events a handler receives; declare it before the bus so it
/// outlives every delivery.
class Collector
{
public:
	Handler handler()
	{
		return [this](const Event& e) {
			std::lock_guard<std::mutex> lock(_mutex);
			_events.push_back(e);
		};
	}
	std::size_t size() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _events.size();
	}
	std::vector<Event> events() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _events;
	}
	Event at(std::size_t i) const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _events.at(i);
	}
	bool waitFor(std::size_t n, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) const
	{
		return waitUntil([&]() { return size() >= n; }, timeout);
	}
private:
	mutable std::mutex _mutex;
	std::vector<Event> _events;
};

inline std::string freshId()
{
	return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
}

inline Poco::JSON::Object::Ptr payload(const std::string& key, const Poco::Dynamic::Var& value)
{
	Poco::JSON::Object::Ptr o(new Poco::JSON::Object);
	o->set(key, value);
	return o;
}

/// An event as a (possibly hostile) publisher would put it on the wire.
inline Event handMadeEvent(const std::string& tenant, const std::string& topic,
	const Poco::Timestamp& time = Poco::Timestamp())
{
	Event e;
	e.id = freshId();
	e.source = "/hand-made";
	e.type = topic;
	e.time = time;
	e.tenantId = tenant;
	e.correlationId = freshId();
	e.data = payload("n", 1);
	return e;
}

inline OutboundMessage outbound(const std::string& channel, const Event& e)
{
	OutboundMessage m;
	m.channel = channel;
	m.event = std::make_shared<const Event>(e);
	m.wire = CloudEventCodec::encode(e);
	return m;
}

} // namespace test
} // namespace eventbus
