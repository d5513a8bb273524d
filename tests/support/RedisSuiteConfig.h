//
// RedisSuiteConfig.h
//
// What the redis suites hand a bus: the redis transport's configuration with
// short timeouts, and CloudEvents wires for raw injection.
//
#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <map>
#include <string>

namespace eventbus {
namespace test {

/// The redis transport's keys the suites use: `url` and short timeouts
/// (connect, command, health, reconnect backoff).
std::map<std::string, std::string> redisTransportKeys(const std::string& url);

/// A bus configuration for the redis transport in env `production`, with the
/// short timeouts the suites use; `overrides` are set last.
Poco::AutoPtr<Poco::Util::MapConfiguration> redisConfig(const std::string& url,
	const std::map<std::string, std::string>& overrides = {});

/// The wire of an event that looks like one the bus publishes, for raw
/// injection; signed with the suites' key (signingKey(), key id k1) unless
/// `signWithSuiteKey` is false.
std::string cloudEventJson(const std::string& tenantId, const std::string& topic, const std::string& dataJson,
	bool signWithSuiteKey = true, const std::string& id = "");

} // namespace test
} // namespace eventbus
