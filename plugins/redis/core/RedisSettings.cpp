//
// RedisSettings.cpp
//
// Reads the eventbus.redis.* keys into RedisSettings, naming the key at fault.
//
#include "RedisSettings.h"
#include "eventbus/Exceptions.h"
#include <Poco/Exception.h>
#include <Poco/File.h>
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/URI.h>
#include <limits>

namespace eventbus {

namespace {

std::int64_t readInteger(const Poco::Util::AbstractConfiguration& config, const std::string& key,
	std::int64_t defaultValue, std::int64_t minValue, std::int64_t maxValue, const char* unit)
{
	if (!config.has(key))
		return defaultValue;
	const std::string text = Poco::trim(config.getString(key));
	Poco::Int64 value = 0;
	if (!Poco::NumberParser::tryParse64(text, value) || value < minValue || value > maxValue)
	{
		throw ConfigException(key + ": expected an integer (" + unit + ") from " + std::to_string(minValue)
			+ " to " + std::to_string(maxValue) + ", got '" + text + "'");
	}
	return value;
}

int readMillis(const Poco::Util::AbstractConfiguration& config, const std::string& key, int defaultValue)
{
	// Up to one day: anything larger is a typo, and it keeps the arithmetic in range.
	return static_cast<int>(readInteger(config, key, defaultValue, 1, 24 * 3600 * 1000, "milliseconds"));
}

std::size_t readCount(const Poco::Util::AbstractConfiguration& config, const std::string& key,
	std::size_t defaultValue, const char* unit)
{
	return static_cast<std::size_t>(readInteger(config, key, static_cast<std::int64_t>(defaultValue), 1,
		std::numeric_limits<std::int32_t>::max(), unit));
}

std::string readFile(const Poco::Util::AbstractConfiguration& config, const std::string& key)
{
	if (!config.has(key))
		return std::string();
	const std::string path = Poco::trim(config.getString(key));
	if (path.empty())
		throw ConfigException(key + ": empty (remove the key, or name a PEM file)");
	try
	{
		Poco::File file(path);
		if (!file.exists())
			throw ConfigException(key + ": file '" + path + "' not found");
		if (!file.isFile())
			throw ConfigException(key + ": '" + path + "' is not a file");
		if (!file.canRead())
			throw ConfigException(key + ": file '" + path + "' is not readable by this process");
	}
	catch (ConfigException&)
	{
		throw;
	}
	catch (Poco::Exception& exc)
	{
		throw ConfigException(key + ": cannot check file '" + path + "': " + exc.message());
	}
	return path;
}

RedisTlsSettings readTls(const Poco::Util::AbstractConfiguration& config, const RedisEndpoint& endpoint)
{
	RedisTlsSettings tls;
	if (!endpoint.tls)
	{
		// TLS keys beside a plain URL are a mistake that would look encrypted.
		Poco::Util::AbstractConfiguration::Keys keys;
		config.keys("eventbus.redis.tls", keys);
		if (!keys.empty())
		{
			throw ConfigException("eventbus.redis.tls." + keys.front() + " is set but " + RedisSettings::UrlKey
				+ " is redis:// (plain TCP): use rediss:// for TLS, or remove the eventbus.redis.tls.* keys");
		}
		return tls;
	}
	tls.caFile = readFile(config, RedisTlsSettings::CaFileKey);
	tls.certFile = readFile(config, RedisTlsSettings::CertFileKey);
	tls.keyFile = readFile(config, RedisTlsSettings::KeyFileKey);
	if (tls.certFile.empty() != tls.keyFile.empty())
	{
		throw ConfigException(std::string(tls.certFile.empty() ? RedisTlsSettings::KeyFileKey : RedisTlsSettings::CertFileKey)
			+ " is set without " + (tls.certFile.empty() ? RedisTlsSettings::CertFileKey : RedisTlsSettings::KeyFileKey)
			+ ": a client certificate needs both");
	}
	tls.serverName = endpoint.host;
	if (config.has(RedisTlsSettings::ServerNameKey))
	{
		tls.serverName = Poco::trim(config.getString(RedisTlsSettings::ServerNameKey));
		if (tls.serverName.empty() || tls.serverName.size() > 253
			|| tls.serverName.find_first_of(" \t/@*?") != std::string::npos)
		{
			throw ConfigException(std::string(RedisTlsSettings::ServerNameKey) + ": expected a host name or IP address, got '"
				+ tls.serverName + "'");
		}
	}
	if (config.has(RedisTlsSettings::VerifyKey))
	{
		const std::string text = Poco::toLower(Poco::trim(config.getString(RedisTlsSettings::VerifyKey)));
		if (text == "true")
			tls.verify = true;
		else if (text == "false")
			tls.verify = false;
		else
			throw ConfigException(std::string(RedisTlsSettings::VerifyKey) + ": '" + text + "' is not a boolean (true or false)");
	}
	return tls;
}

} // namespace

RedisSettings RedisSettings::fromConfig(const Poco::Util::AbstractConfiguration& config)
{
	RedisSettings settings;
	settings.endpoint = RedisEndpoint::parse(config.getString(UrlKey, "redis://127.0.0.1:6379/0"), UrlKey);
	settings.connectTimeoutMs = readMillis(config, "eventbus.redis.connectTimeoutMs", settings.connectTimeoutMs);
	settings.commandTimeoutMs = readMillis(config, "eventbus.redis.commandTimeoutMs", settings.commandTimeoutMs);
	settings.healthIntervalMs = readMillis(config, "eventbus.redis.healthIntervalMs", settings.healthIntervalMs);
	settings.healthTimeoutMs = readMillis(config, "eventbus.redis.healthTimeoutMs", settings.healthTimeoutMs);
	settings.reconnectInitialMs = readMillis(config, "eventbus.redis.reconnect.initialMs", settings.reconnectInitialMs);
	settings.reconnectMaxMs = readMillis(config, "eventbus.redis.reconnect.maxMs", settings.reconnectMaxMs);
	if (settings.reconnectInitialMs > settings.reconnectMaxMs)
	{
		throw ConfigException("eventbus.redis.reconnect.initialMs: " + std::to_string(settings.reconnectInitialMs)
			+ " is larger than eventbus.redis.reconnect.maxMs (" + std::to_string(settings.reconnectMaxMs) + ")");
	}
	settings.deliveryQueueCapacity = readCount(config, "eventbus.redis.deliveryQueueCapacity", settings.deliveryQueueCapacity, "messages");
	settings.maxMessageBytes = readCount(config, "eventbus.redis.maxMessageBytes", settings.maxMessageBytes, "bytes");

	const std::string outageKey = "eventbus.redis.onOutage";
	const std::string outage = Poco::toLower(Poco::trim(config.getString(outageKey, "fail")));
	if (outage == "fail")
		settings.onOutage = OutagePolicy::Fail;
	else if (outage == "buffer")
		settings.onOutage = OutagePolicy::Buffer;
	else
		throw ConfigException(outageKey + ": expected fail or buffer, got '" + outage + "'");

	settings.bufferMaxEvents = readCount(config, "eventbus.redis.buffer.maxEvents", settings.bufferMaxEvents, "events");
	settings.bufferMaxBytes = readCount(config, "eventbus.redis.buffer.maxBytes", settings.bufferMaxBytes, "bytes");
	settings.pipelineMaxBatch = static_cast<std::size_t>(readInteger(config, "eventbus.redis.pipeline.maxBatch",
		static_cast<std::int64_t>(settings.pipelineMaxBatch), 1, 100000, "commands"));
	settings.tls = readTls(config, settings.endpoint);
	settings.topology = RedisTopologySettings::fromConfig(config, settings.endpoint.db);
	return settings;
}

RedisSettings RedisSettings::forNode(const RedisNodeAddress& node) const
{
	RedisSettings copy(*this);
	if (copy.tls.serverName == copy.endpoint.host)
		copy.tls.serverName = node.host;
	copy.endpoint.host = node.host;
	copy.endpoint.port = node.port;
	return copy;
}

const char* RedisSettings::toString(OutagePolicy policy)
{
	return policy == OutagePolicy::Buffer ? "buffer" : "fail";
}

} // namespace eventbus
