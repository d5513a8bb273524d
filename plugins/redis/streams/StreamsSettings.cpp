//
// StreamsSettings.cpp
//
#include "StreamsSettings.h"
#include "eventbus/Exceptions.h"
#include <Poco/Environment.h>
#include <Poco/NumberFormatter.h>
#include <Poco/NumberParser.h>
#include <Poco/Process.h>
#include <Poco/String.h>
#include <algorithm>
#include <limits>
#include <random>

namespace eventbus {

namespace {

const std::string Prefix = "eventbus.redis.streams.";

std::int64_t readInteger(const Poco::Util::AbstractConfiguration& config, const std::string& name,
	std::int64_t defaultValue, std::int64_t minValue, std::int64_t maxValue)
{
	const std::string key = Prefix + name;
	if (!config.has(key))
		return defaultValue;
	const std::string text = Poco::trim(config.getString(key));
	Poco::Int64 value = 0;
	if (!Poco::NumberParser::tryParse64(text, value) || value < minValue || value > maxValue)
	{
		throw ConfigException(key + ": expected an integer from " + std::to_string(minValue) + " to "
			+ std::to_string(maxValue) + ", got '" + text + "'");
	}
	return value;
}

int readMillis(const Poco::Util::AbstractConfiguration& config, const std::string& name, int defaultValue)
{
	return static_cast<int>(readInteger(config, name, defaultValue, 1, 24 * 3600 * 1000));
}

/// A consumer or group name: printable, no spaces (it is logged and typed in redis-cli).
std::string readName(const Poco::Util::AbstractConfiguration& config, const std::string& name, const std::string& defaultValue)
{
	const std::string key = Prefix + name;
	if (!config.has(key))
		return defaultValue;
	const std::string value = Poco::trim(config.getString(key));
	if (value.empty() || value.size() > 128)
		throw ConfigException(key + ": expected 1 to 128 characters");
	for (char c : value)
	{
		if (c <= ' ' || c > '~')
			throw ConfigException(key + ": only printable ASCII without spaces is allowed");
	}
	return value;
}

} // namespace

StreamsSettings StreamsSettings::fromConfig(const Poco::Util::AbstractConfiguration& config)
{
	StreamsSettings s;
	const std::int64_t maxInt = std::numeric_limits<std::int32_t>::max();
	s.maxLen = static_cast<std::size_t>(readInteger(config, "maxLen", 100000, 0, maxInt));
	s.maxAgeSeconds = static_cast<int>(readInteger(config, "maxAgeSeconds", 0, 0, 10LL * 365 * 24 * 3600));
	s.waitReplicas = static_cast<int>(readInteger(config, "waitReplicas", 0, 0, 100));
	s.waitTimeoutMs = readMillis(config, "waitTimeoutMs", 1000);
	s.group = readName(config, "group", "eventbus");
	s.consumer = readName(config, "consumer", defaultConsumerName());
	const std::string startKey = Prefix + "start";
	const std::string start = Poco::toLower(Poco::trim(config.getString(startKey, "new")));
	if (start == "all")
		s.startFromBeginning = true;
	else if (start != "new")
		throw ConfigException(startKey + ": expected new or all, got '" + start + "'");
	s.batch = static_cast<std::size_t>(readInteger(config, "batch", 64, 1, 10000));
	const int commandTimeoutMs = config.getInt("eventbus.redis.commandTimeoutMs", 2000);
	// By default within the reader socket's timeout, whatever that is.
	s.blockMs = readMillis(config, "blockMs", std::max(1, std::min(1000, commandTimeoutMs / 2)));
	s.maxInFlight = static_cast<std::size_t>(readInteger(config, "maxInFlight", 256, 1, 1000000));
	s.claimIntervalMs = readMillis(config, "claimIntervalMs", 1000);
	s.claimIdleMs = readMillis(config, "claimIdleMs", 30000);
	s.retryBackoffMs = readMillis(config, "retryBackoffMs", 1000);
	s.retryBackoffMaxMs = readMillis(config, "retryBackoffMaxMs", 30000);
	if (s.retryBackoffMaxMs < s.retryBackoffMs)
		throw ConfigException(Prefix + "retryBackoffMaxMs: must not be below " + Prefix + "retryBackoffMs");
	s.maxDeliveries = static_cast<int>(readInteger(config, "maxDeliveries", 5, 1, 1000));
	s.discoveryIntervalMs = readMillis(config, "discoveryIntervalMs", 5000);
	s.clusterPollMs = static_cast<int>(readInteger(config, "clusterPollMs", 10, 1, 1000));
	if (s.blockMs >= commandTimeoutMs)
	{
		// The reader's socket would time out inside a healthy BLOCK.
		throw ConfigException(Prefix + "blockMs: must be below eventbus.redis.commandTimeoutMs ("
			+ std::to_string(commandTimeoutMs) + "), got " + std::to_string(s.blockMs));
	}
	if (s.waitReplicas > 0 && s.waitTimeoutMs >= commandTimeoutMs)
	{
		throw ConfigException(Prefix + "waitTimeoutMs: must be below eventbus.redis.commandTimeoutMs ("
			+ std::to_string(commandTimeoutMs) + "), got " + std::to_string(s.waitTimeoutMs));
	}
	return s;
}

std::string StreamsSettings::defaultConsumerName()
{
	std::random_device random;
	std::string host = Poco::Environment::nodeName();
	if (host.empty())
		host = "host";
	return host + "-" + std::to_string(Poco::Process::id()) + "-"
		+ Poco::NumberFormatter::formatHex(random() & 0xffffffu, 6);
}

std::string StreamsSettings::deadLetterKey(const std::string& channel)
{
	return channel + ":dlq";
}

} // namespace eventbus
