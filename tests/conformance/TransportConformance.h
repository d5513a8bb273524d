//
// TransportConformance.h
//
// The transport conformance suite: the Transport contract (Transport.h),
// proved through EventBus, for any transport plugin. A runner links
// TransportConformanceTest.cpp, a main (ConformanceMain.cpp) and one
// definition of eventbus::conformance::target() that says which transport to
// test and with which keys (ConfiguredTarget.cpp builds it from compile
// definitions). See README.md.
//
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

namespace eventbus {
namespace conformance {

/// The bus configuration the suite runs against.
struct Target
{
	/// eventbus.transport: the name the plugin's manifest exports.
	std::string transport;
	/// Every other key the transport needs, full names: eventbus.plugins.path
	/// (required), eventbus.redis.url, ... The suite adds eventbus.env=test, a
	/// channel prefix of its own per test, and the keys a test needs
	/// (eventbus.security.allowCrossTenant).
	std::map<std::string, std::string> keys;
	/// How long an asynchronous delivery, or the transport becoming ready, may take.
	std::chrono::milliseconds timeout{5000};
};

/// Defined by the runner; called once per test.
Target target();

/// Polls `condition` every few milliseconds until it holds or `timeout`
/// passes; returns its last value.
bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

} // namespace conformance
} // namespace eventbus
