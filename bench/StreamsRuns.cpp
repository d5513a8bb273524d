//
// StreamsRuns.cpp
//
#include "StreamsRuns.h"
#include "eventbus/Names.h"
#include <stdexcept>

namespace eventbus {
namespace bench {

constexpr std::size_t StreamsRuns::MaxLen;

StreamsRuns::StreamsRuns(const BusRuns& bus, const BenchOptions& options, const std::string& env):
	_bus(bus),
	_options(options),
	_env(env)
{
}

void StreamsRuns::connect(const RedisAddress& address, const std::string& redisUrl)
{
	_address = address;
	_redisUrl = redisUrl;
	_admin.reset(new RawStreams(address));
}

std::string StreamsRuns::freshPrefix()
{
	return "bench-s" + std::to_string(++_streams);
}

std::string StreamsRuns::keyOf(const std::string& prefix) const
{
	return ChannelName::build(prefix, _env, Workload::Tenant, Workload::Topic);
}

Poco::AutoPtr<Poco::Util::MapConfiguration> StreamsRuns::config(const std::string& prefix, bool sign,
	const std::string& clusterSeeds) const
{
	std::map<std::string, std::string> keys{
		{"eventbus.redis.url", _redisUrl},
		{"eventbus.channel.prefix", prefix},
		{"eventbus.redis.pipeline.maxBatch", std::to_string(_options.batch)},
		{"eventbus.redis.streams.batch", std::to_string(_options.batch)},
		{"eventbus.redis.streams.maxLen", std::to_string(MaxLen)}};
	if (sign || _options.signAll) keys["eventbus.security.signing.key"] = Workload::SigningKey;
	else keys["eventbus.security.signing.required"] = "false";
	if (!clusterSeeds.empty())
	{
		keys["eventbus.redis.url"] = "redis://127.0.0.1:1/0";
		keys["eventbus.redis.cluster.nodes"] = clusterSeeds;
	}
	return busConfig(_options, "redis-streams", _env, keys);
}

template <typename Run>
Measurement StreamsRuns::onFreshStream(Run run)
{
	if (!_admin) throw std::logic_error("StreamsRuns: connect() first");
	const std::string prefix = freshPrefix();
	const std::string key = keyOf(prefix);
	Measurement m;
	try
	{
		m = run(prefix, key);
	}
	catch (...)
	{
		_admin->remove(key);
		throw;
	}
	_admin->remove(key);
	return m;
}

Measurement StreamsRuns::rawSync(const std::string& wire, std::size_t events)
{
	return onFreshStream([&](const std::string&, const std::string& key) {
		return _admin->xaddSync(key, wire, events, MaxLen);
	});
}

Measurement StreamsRuns::busSync(std::size_t events)
{
	return onFreshStream([&](const std::string& prefix, const std::string&) {
		return _bus.publishSync(*config(prefix, false), events);
	});
}

Measurement StreamsRuns::rawPipelined(const std::string& wire, std::size_t events)
{
	return onFreshStream([&](const std::string&, const std::string& key) {
		return _admin->xaddPipelined(key, wire, events, _options.batch, MaxLen);
	});
}

Measurement StreamsRuns::busAsync(std::size_t events, std::size_t window)
{
	return onFreshStream([&](const std::string& prefix, const std::string&) {
		return _bus.publishAsync(*config(prefix, false), events, window);
	});
}

Measurement StreamsRuns::rawReadGroupAck(const std::string& wire, std::size_t events, std::size_t maxInFlight)
{
	return onFreshStream([&](const std::string&, const std::string& key) {
		return RawStreams::readGroupAck(_address, key, wire, events, _options.batch, MaxLen, maxInFlight);
	});
}

Measurement StreamsRuns::busEndToEnd(std::size_t events, std::size_t window, std::size_t maxInFlight)
{
	return onFreshStream([&](const std::string& prefix, const std::string&) {
		return _bus.endToEnd(*config(prefix, true), events, true, window, maxInFlight);
	});
}

Measurement StreamsRuns::clusterAsync(const std::string& seeds, std::size_t events, std::size_t window)
{
	return _bus.publishAsync(*config(freshPrefix(), false, seeds), events, window);
}

Measurement StreamsRuns::clusterEndToEnd(const std::string& seeds, std::size_t events, std::size_t window,
	std::size_t maxInFlight)
{
	return _bus.endToEnd(*config(freshPrefix(), true, seeds), events, true, window, maxInFlight);
}

} // namespace bench
} // namespace eventbus
