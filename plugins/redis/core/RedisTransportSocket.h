//
// RedisTransportSocket.h
//
// What every Redis transport checks and chooses in start() about its
// connections: the TLS policy of the env, the warnings about weak
// settings, and the socket factory the URL asks for.
//
#pragma once

#include "RedisSettings.h"
#include "RedisSocket.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <string>

namespace eventbus {

struct RedisTransportSocket
{
	/// Throws ConfigException for eventbus.redis.tls.verify=false in env
	/// production; warns (on `logger`, lines opening with `transport`) about
	/// verify=false elsewhere and about plain redis:// to a host other than
	/// loopback in production. Returns `given` when set (tests), else TLS for
	/// rediss:// (loading the CA file, certificate and key now: a bad file
	/// fails start()) or plain TCP for redis://.
	static RedisSocketFactory choose(const RedisSettings& settings, const std::string& env,
		RedisSocketFactory given, Poco::Logger& logger, const std::string& transport);

	/// Throws ConfigException naming eventbus.redis.cluster.nodes when it is
	/// set: `what` (a transport or an admin command) has no cluster support.
	static void refuseCluster(const RedisSettings& settings, const std::string& what);

	/// "host:port db N, with AUTH, TLS (server name S, CA file F, client
	/// certificate)": the connection as a start-up log line names it.
	static std::string describe(const RedisSettings& settings);

	/// In Sentinel mode: creates the transport's SentinelLocator, stores it in
	/// `settings.sentinel` (so every connection made with them follows the
	/// master) and starts its watcher; null otherwise. The transport stops it
	/// after its publisher and subscribers.
	static std::shared_ptr<SentinelLocator> follow(RedisSettings& settings, RedisSocketFactory socketFactory,
		Poco::Logger& logger);

	/// The transport's health with the topology: not ready while no master
	/// is known (Sentinel), else `health` with "sentinel master NAME at
	/// host:port" added to its description.
	static TransportHealth withTopology(const TransportHealth& health, const std::shared_ptr<SentinelLocator>& locator);

	/// 127.0.0.0/8, ::1 or "localhost": traffic that never leaves the host.
	/// No DNS look-up: another name counts as remote.
	static bool isLoopback(const std::string& host);
};

} // namespace eventbus
