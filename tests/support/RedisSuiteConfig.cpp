//
// RedisSuiteConfig.cpp
//
#include "RedisSuiteConfig.h"
#include "TestSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/Event.h"
#include <Poco/JSON/Parser.h>
#include <Poco/UUIDGenerator.h>

namespace eventbus {
namespace test {

std::map<std::string, std::string> redisTransportKeys(const std::string& url)
{
	return {
		{"eventbus.redis.url", url},
		{"eventbus.redis.connectTimeoutMs", "500"},
		{"eventbus.redis.commandTimeoutMs", "1000"},
		{"eventbus.redis.healthIntervalMs", "200"},
		{"eventbus.redis.healthTimeoutMs", "600"},
		{"eventbus.redis.reconnect.initialMs", "50"},
		{"eventbus.redis.reconnect.maxMs", "500"},
	};
}

Poco::AutoPtr<Poco::Util::MapConfiguration> redisConfig(const std::string& url,
	const std::map<std::string, std::string>& overrides)
{
	std::map<std::string, std::string> settings = redisTransportKeys(url);
	settings["eventbus.env"] = "production";
	for (const auto& kv : overrides)
		settings[kv.first] = kv.second;
	return makeConfig("redis", settings);
}

std::string cloudEventJson(const std::string& tenantId, const std::string& topic, const std::string& dataJson,
	bool signWithSuiteKey, const std::string& id)
{
	Event event;
	event.id = id.empty() ? Poco::UUIDGenerator::defaultGenerator().createRandom().toString() : id;
	event.source = "/tests";
	event.type = topic;
	event.tenantId = tenantId;
	event.correlationId = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	Poco::JSON::Parser parser;
	event.data = parser.parse(dataJson).extract<Poco::JSON::Object::Ptr>();
	if (signWithSuiteKey)
		EnvelopeSigner("k1", signingKey(), {}).sign(event, dataJson);
	return CloudEventCodec::encode(event, dataJson);
}

} // namespace test
} // namespace eventbus
