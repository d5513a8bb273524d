//
// StreamsHarness.cpp
//
#include "StreamsHarness.h"
#include "TestSupport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/PluginHost.h"
#include <set>

namespace eventbus {
namespace test {

void GapLog::onGap(const std::string&, const std::string& reason)
{
	std::lock_guard<std::mutex> lock(_mutex);
	++_count;
	_reason = reason;
}

std::size_t GapLog::count() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _count;
}

std::string GapLog::lastReason() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _reason;
}

StreamsHarness::StreamsHarness(const RedisServer& server, const std::map<std::string, std::string>& overrides)
{
	std::map<std::string, std::string> keys{{"eventbus.transport", "redis-streams"}};
	for (const auto& kv : overrides)
		keys[kv.first] = kv.second;
	_config = redisConfig(server.url(), keys);
	_transport = PluginHost::instance().create(pluginDir(), "redis-streams");
	TransportContext context{*_config, "production", "c2pro", _metrics, Poco::Logger::get("eventbus.transport.redis-streams"),
		_redactor, &_gaps};
	_transport->start(context);
}

StreamsHarness::~StreamsHarness()
{
	stop();
}

void StreamsHarness::publish(const std::string& channel, const std::string& wire)
{
	_transport->publish(OutboundMessage{channel, nullptr, wire});
}

void StreamsHarness::stop()
{
	if (_transport)
		_transport->stop();
}

void SeenLog::add(const InboundMessage& message)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_seen.push_back(Seen{message.channel, message.id, message.wire, message.deliveryCount});
}

std::vector<Seen> SeenLog::all() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _seen;
}

std::size_t SeenLog::size() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _seen.size();
}

std::size_t SeenLog::distinct() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::set<std::string> ids;
	for (const Seen& seen : _seen)
		ids.insert(seen.id);
	return ids.size();
}

long long pendingCount(const RedisServer& server, const std::string& key, const std::string& group)
{
	RedisValue reply = server.command({"XPENDING", key, group});
	if (reply.type != RedisValue::Array || reply.elements.empty())
		return 0;
	return reply.elements[0].integer;
}

long long streamLength(const RedisServer& server, const std::string& key)
{
	return server.command({"XLEN", key}).integer;
}

} // namespace test
} // namespace eventbus
