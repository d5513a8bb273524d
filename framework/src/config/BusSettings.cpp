//
// BusSettings.cpp
//
// The framework's own eventbus.* keys, read and validated.
//
#include "eventbus/BusSettings.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/Redactor.h"
#include <Poco/NumberParser.h>
#include <Poco/String.h>
#include <Poco/StringTokenizer.h>
#include <algorithm>

namespace eventbus {

namespace {

std::vector<std::string> list(const std::string& value)
{
	std::vector<std::string> result;
	Poco::StringTokenizer tokens(value, ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
	for (const auto& token : tokens) result.push_back(token);
	return result;
}

long long integer(const Poco::Util::AbstractConfiguration& config, const std::string& key,
	long long defaultValue, long long min, long long max)
{
	if (!config.hasProperty(key)) return defaultValue;
	std::string text = Poco::trim(config.getString(key));
	Poco::Int64 value = 0;
	if (!Poco::NumberParser::tryParse64(text, value))
		throw ConfigException(key + ": '" + text + "' is not an integer");
	if (value < min || value > max)
		throw ConfigException(key + ": " + text + " is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]");
	return value;
}

bool boolean(const Poco::Util::AbstractConfiguration& config, const std::string& key, bool defaultValue)
{
	if (!config.hasProperty(key)) return defaultValue;
	std::string text = Poco::toLower(Poco::trim(config.getString(key)));
	if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
	if (text == "false" || text == "no" || text == "off" || text == "0") return false;
	throw ConfigException(key + ": '" + text + "' is not a boolean (true or false)");
}

std::string string(const Poco::Util::AbstractConfiguration& config, const std::string& key, const std::string& defaultValue)
{
	return config.hasProperty(key) ? Poco::trim(config.getString(key)) : defaultValue;
}

} // namespace

BusSettings BusSettings::fromConfig(const Poco::Util::AbstractConfiguration& config)
{
	BusSettings s;
	s.env = string(config, "eventbus.env", s.env);
	if (!Names::isValidEnv(s.env))
		throw ConfigException("eventbus.env: '" + s.env + "' is invalid: 1-32 characters of a-z, 0-9 and '-'");
	s.transport = string(config, "eventbus.transport", s.transport);
	if (s.transport.empty())
		throw ConfigException("eventbus.transport: must name a transport plugin (memory, loopback, redis, ...)");
	s.prefix = string(config, "eventbus.channel.prefix", s.prefix);
	if (!Names::isValidEnv(s.prefix))
		throw ConfigException("eventbus.channel.prefix: '" + s.prefix + "' is invalid: 1-32 characters of a-z, 0-9 and '-'");
	s.source = string(config, "eventbus.source", s.source);
	if (s.source.empty() || s.source.size() > 1024)
		throw ConfigException("eventbus.source: must be 1-1024 characters");
	s.maxPayloadBytes = static_cast<std::size_t>(integer(config, "eventbus.maxPayloadBytes",
		static_cast<long long>(s.maxPayloadBytes), 1, 64LL * 1024 * 1024));
	s.allowCrossTenant = boolean(config, "eventbus.security.allowCrossTenant", s.allowCrossTenant);

	if (config.hasProperty("eventbus.policy.inMemoryEnvs"))
	{
		s.inMemoryEnvs = list(config.getString("eventbus.policy.inMemoryEnvs"));
		for (const auto& env : s.inMemoryEnvs)
			if (!Names::isValidEnv(env))
				throw ConfigException("eventbus.policy.inMemoryEnvs: '" + env + "' is not a valid env name");
	}
	if (config.hasProperty("eventbus.middleware"))
		s.middleware = list(config.getString("eventbus.middleware"));

	s.redactionKeys = config.hasProperty("eventbus.redaction.keys")
		? list(config.getString("eventbus.redaction.keys"))
		: Redactor::defaultKeys();
	std::string mode = Poco::toLower(string(config, "eventbus.redaction.mode", "log"));
	if (mode == "log") s.redactionMode = RedactionMode::Log;
	else if (mode == "payload") s.redactionMode = RedactionMode::Payload;
	else throw ConfigException("eventbus.redaction.mode: '" + mode + "' is neither 'log' nor 'payload'");

	s.idempotencyMaxEntries = static_cast<std::size_t>(integer(config, "eventbus.idempotency.maxEntries",
		static_cast<long long>(s.idempotencyMaxEntries), 1, 10000000));
	s.idempotencyWindowSeconds = static_cast<int>(integer(config, "eventbus.idempotency.windowSeconds",
		s.idempotencyWindowSeconds, 1, 7 * 24 * 3600));
	s.maxEventAgeSeconds = static_cast<int>(integer(config, "eventbus.idempotency.maxAgeSeconds",
		s.maxEventAgeSeconds, 0, 7 * 24 * 3600));
	s.maxClockSkewSeconds = static_cast<int>(integer(config, "eventbus.idempotency.maxClockSkewSeconds",
		s.maxClockSkewSeconds, 0, 24 * 3600));
	if (s.maxEventAgeSeconds > s.idempotencyWindowSeconds)
		throw ConfigException("eventbus.idempotency.maxAgeSeconds: " + std::to_string(s.maxEventAgeSeconds)
			+ " is larger than eventbus.idempotency.windowSeconds (" + std::to_string(s.idempotencyWindowSeconds)
			+ "): a replay older than the window but younger than the maximum age would pass");
	s.metricsTenantLabel = boolean(config, "eventbus.metrics.tenantLabel", s.metricsTenantLabel);
	s.pluginsPath = string(config, "eventbus.plugins.path", "");
	s.pluginsStrictModes = boolean(config, "eventbus.plugins.strictModes", s.pluginsStrictModes);
	s.drainTimeoutMs = static_cast<int>(integer(config, "eventbus.delivery.drainTimeoutMs", s.drainTimeoutMs, 0, 600000));
	return s;
}

bool BusSettings::inMemoryAllowed() const
{
	return std::find(inMemoryEnvs.begin(), inMemoryEnvs.end(), env) != inMemoryEnvs.end();
}

} // namespace eventbus
