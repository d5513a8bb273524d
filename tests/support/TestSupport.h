//
// TestSupport.h
//
// Helpers shared by every suite: where the built plugins, fixtures and
// executables are, configuration in one line, waiting on a condition with a
// deadline (never sleeping as synchronisation), and running a child process.
//
#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

std::string pluginDir();   ///< build/plugins
std::string fixtureDir();  ///< build/fixtures (deliberately bad plugins)
std::string binDir();      ///< build/bin (the eventbus executable)
std::string sourceDir();   ///< the source tree
std::string eventbusExecutable(); ///< build/bin/eventbus
/// The signing key of the suites. TestMain exports it as EVENTBUS_SIGNING_KEY,
/// so `eventbus --env production ...` children sign and verify with it.
std::string signingKey();

/// A configuration for a bus in env `test` on `transport`, with the built
/// plugins folder; `overrides` are set last. In env production (which
/// requires signing) the suites' signing key is added unless signing is
/// configured by the overrides.
Poco::AutoPtr<Poco::Util::MapConfiguration> makeConfig(const std::string& transport,
	const std::map<std::string, std::string>& overrides = {});

/// Polls `condition` every few milliseconds until it holds or `timeout`
/// passes; returns its last value.
bool waitUntil(const std::function<bool()>& condition,
	std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

/// Result of a finished child process.
struct CommandResult
{
	int exitCode = -1;
	std::string out;
	std::string err;
	bool timedOut = false;
};

/// Runs `command` with `args`, writes `input` to its stdin, collects stdout
/// and stderr, and kills it if it runs past `timeout`.
CommandResult runCommand(const std::string& command, const std::vector<std::string>& args,
	const std::string& input = "", std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));

/// A free TCP port on 127.0.0.1 (bound and released).
unsigned short freeLoopbackPort();

} // namespace test
} // namespace eventbus
