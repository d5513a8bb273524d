//
// SentinelLocator.h
//
// Where the master of a Sentinel-managed deployment is: asked of the
// sentinels (SENTINEL get-master-addr-by-name), cached, and followed through
// their +switch-master announcements, which drop every connection still open
// to the old master so that its owner reconnects to the new one.
//
#pragma once

#include "OwnedThread.h"
#include "RedisSettings.h"
#include "RedisSocket.h"
#include <Poco/Logger.h>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace eventbus {

class RedisConnection;

class SentinelLocator
{
public:
	/// `settings.topology` names the sentinels and the master; the URL's TLS
	/// applies to the sentinels too, their login is eventbus.redis.sentinel.user/password.
	SentinelLocator(const RedisSettings& settings, RedisSocketFactory socketFactory, Poco::Logger& logger);
	~SentinelLocator();

	SentinelLocator(const SentinelLocator&) = delete;
	SentinelLocator& operator=(const SentinelLocator&) = delete;

	/// Starts the watcher of +switch-master (one connection to one sentinel,
	/// the next one when it fails). Without it the locator still answers
	/// master(), it just learns of a switch only when a connection fails.
	void start();

	/// Stops and joins the watcher. Idempotent.
	void stop();

	/// The master, cached; asks the sentinels in turn when none is known.
	/// Throws RedisError (Unreachable) naming the sentinels asked and the
	/// last answer when none names a master. Never under a lock.
	RedisNodeAddress master();

	/// `wrong` turned out not to be the master (ROLE, READONLY): the next
	/// master() asks the sentinels again.
	void forget(const RedisNodeAddress& wrong);

	/// A connection to the master, dropped (RedisConnection::abort) when the
	/// master switches; untrack() before it closes.
	void track(RedisConnection* connection);
	void untrack(RedisConnection* connection);

	/// "sentinel master NAME at host:port" or why none is known.
	std::string describe() const;

	/// A master is known.
	bool known() const;

	/// Master switches seen since start (a +switch-master or a new answer).
	std::uint64_t switches() const;

	/// The settings of a connection to `sentinel`: its address, the sentinel
	/// login, database 0, the URL's TLS, standalone.
	RedisSettings sentinelSettings(const RedisNodeAddress& sentinel) const;

private:
	/// Asks the sentinels, whatever is cached.
	RedisNodeAddress ask();
	void watch();
	bool watchOne(const RedisNodeAddress& sentinel);
	void adopt(const RedisNodeAddress& master, const std::string& source);

	RedisSettings _settings;
	RedisSocketFactory _socketFactory;
	Poco::Logger& _logger;

	mutable std::mutex _mutex;
	std::condition_variable _wake;
	RedisNodeAddress _master;
	bool _known = false; ///< _master is believed current
	bool _seen = false;  ///< _master was set once
	std::string _lastError;
	std::vector<RedisNodeAddress> _sentinels; ///< in the order to ask: the last one that answered first
	std::set<RedisConnection*> _tracked;
	std::uint64_t _switches = 0;
	bool _stopping = false;
	OwnedThread _watcher;
};

} // namespace eventbus
