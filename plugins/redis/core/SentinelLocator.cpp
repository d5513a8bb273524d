//
// SentinelLocator.cpp
//
// Asks the sentinels for the master and follows +switch-master.
//
#include "SentinelLocator.h"
#include "Backoff.h"
#include "RedisConnection.h"
#include "RedisError.h"
#include "eventbus/SafeText.h"
#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>
#include <algorithm>

namespace eventbus {

namespace {

constexpr std::size_t MaxSentinelReplyBytes = 64 * 1024;

std::string element(const redisReply& reply, std::size_t i)
{
	return i < reply.elements && reply.element[i] ? RedisConnection::text(*reply.element[i]) : std::string();
}

bool parsePort(const std::string& text, unsigned short& port)
{
	unsigned value = 0;
	if (!Poco::NumberParser::tryParseUnsigned(text, value) || value == 0 || value > 65535)
		return false;
	port = static_cast<unsigned short>(value);
	return true;
}

} // namespace

SentinelLocator::SentinelLocator(const RedisSettings& settings, RedisSocketFactory socketFactory, Poco::Logger& logger)
	: _settings(settings)
	, _socketFactory(std::move(socketFactory))
	, _logger(logger)
	, _sentinels(settings.topology.sentinelNodes)
{
	_settings.sentinel.reset();
}

SentinelLocator::~SentinelLocator()
{
	stop();
}

RedisSettings SentinelLocator::sentinelSettings(const RedisNodeAddress& sentinel) const
{
	RedisSettings settings = _settings.forNode(sentinel);
	settings.sentinel.reset();
	settings.topology = RedisTopologySettings();
	settings.endpoint.user = _settings.topology.sentinelUser;
	settings.endpoint.password = _settings.topology.sentinelPassword;
	settings.endpoint.db = 0;
	return settings;
}

void SentinelLocator::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopping)
		return;
	_watcher.start([this]() { watch(); });
}

void SentinelLocator::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
	}
	_wake.notify_all();
	_watcher.join();
}

RedisNodeAddress SentinelLocator::master()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_known)
			return _master;
	}
	return ask();
}

RedisNodeAddress SentinelLocator::ask()
{
	std::vector<RedisNodeAddress> sentinels;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		sentinels = _sentinels;
	}
	const std::string& name = _settings.topology.sentinelMaster;
	std::string lastError;
	for (const RedisNodeAddress& sentinel : sentinels)
	{
		try
		{
			RedisConnection connection(sentinelSettings(sentinel), _socketFactory(), MaxSentinelReplyBytes);
			connection.open();
			ReplyPtr reply = connection.command({"SENTINEL", "get-master-addr-by-name", name});
			RedisNodeAddress found;
			if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || !parsePort(element(*reply, 1), found.port))
			{
				lastError = "sentinel " + sentinel.describe() + " knows no master named '" + SafeText::escape(name) + "'";
				continue;
			}
			found.host = element(*reply, 0);
			{
				std::lock_guard<std::mutex> lock(_mutex);
				// The sentinel that answered is asked first next time.
				auto it = std::find(_sentinels.begin(), _sentinels.end(), sentinel);
				if (it != _sentinels.end())
					std::rotate(_sentinels.begin(), it, it + 1);
			}
			adopt(found, "sentinel " + sentinel.describe());
			return found;
		}
		catch (RedisError& exc)
		{
			lastError = exc.message();
		}
	}
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_lastError = lastError;
	}
	throw RedisError(RedisFailure::Unreachable, "redis sentinel: none of the " + std::to_string(sentinels.size())
		+ " sentinels (" + RedisTopologySettings::SentinelNodesKey + ") named a master for '" + SafeText::escape(name)
		+ "': " + lastError);
}

void SentinelLocator::forget(const RedisNodeAddress& wrong)
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_known && _master == wrong)
		_known = false;
}

void SentinelLocator::track(RedisConnection* connection)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_tracked.insert(connection);
}

void SentinelLocator::untrack(RedisConnection* connection)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_tracked.erase(connection);
}

std::string SentinelLocator::describe() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	const std::string name = "sentinel master " + SafeText::escape(_settings.topology.sentinelMaster);
	if (_known)
		return name + " at " + _master.describe();
	if (!_lastError.empty())
		return name + ": no master known (" + _lastError + ")";
	std::string asked;
	for (const auto& sentinel : _sentinels)
		asked += (asked.empty() ? "" : ", ") + sentinel.describe();
	return name + ": no master known yet (asking " + asked + ")";
}

bool SentinelLocator::known() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _known;
}

std::uint64_t SentinelLocator::switches() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _switches;
}

void SentinelLocator::adopt(const RedisNodeAddress& master, const std::string& source)
{
	RedisNodeAddress old;
	bool switched = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_lastError.clear();
		if (_seen && _master == master)
		{
			_known = true;
			return;
		}
		switched = _seen;
		_seen = true;
		old = _master;
		_master = master;
		_known = true;
		if (switched)
			++_switches;
		// Connections still open to another node: their owners see the
		// connection fail and reconnect through master(). A shutdown(2) of the
		// socket only, never I/O; close() untracks first, so none is closed here.
		const std::string current = master.describe();
		for (RedisConnection* connection : _tracked)
		{
			if (connection->endpoint() != current)
				connection->abort();
		}
	}
	if (switched)
		_logger.warning("redis sentinel: master " + SafeText::escape(_settings.topology.sentinelMaster) + " moved from "
			+ old.describe() + " to " + master.describe() + " (" + source + "); reconnecting");
	else
		_logger.information("redis sentinel: master " + SafeText::escape(_settings.topology.sentinelMaster) + " is at "
			+ master.describe() + " (" + source + ")");
}

void SentinelLocator::watch()
{
	Backoff backoff(_settings.reconnectInitialMs, _settings.reconnectMaxMs);
	std::size_t index = 0;
	bool logged = false;
	for (;;)
	{
		RedisNodeAddress sentinel;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			if (_stopping)
				return;
			sentinel = _sentinels[index % _sentinels.size()];
		}
		std::string failure;
		try
		{
			if (watchOne(sentinel))
				return;
		}
		catch (RedisError& exc)
		{
			failure = exc.message();
		}
		++index;
		const auto delay = backoff.next();
		if (!logged)
			_logger.warning("redis sentinel: watching " + sentinel.describe() + " for +switch-master failed: " + failure
				+ "; trying the next sentinel");
		logged = true;
		std::unique_lock<std::mutex> lock(_mutex);
		_wake.wait_for(lock, delay, [this]() { return _stopping; });
	}
}

bool SentinelLocator::watchOne(const RedisNodeAddress& sentinel)
{
	RedisConnection connection(sentinelSettings(sentinel), _socketFactory(), MaxSentinelReplyBytes);
	connection.open();
	connection.send({"SUBSCRIBE", "+switch-master"});
	ReplyPtr confirmed = connection.readReply();
	connection.throwIfError(*confirmed, "SUBSCRIBE");
	// A switch may have happened while no sentinel was watched: ask again.
	try
	{
		ask();
	}
	catch (RedisError&)
	{
		// No master right now (mid-failover): the announcement will name it.
	}
	const std::string& name = _settings.topology.sentinelMaster;
	for (;;)
	{
		{
			std::lock_guard<std::mutex> lock(_mutex);
			if (_stopping)
				return true;
		}
		ReplyPtr reply = connection.pollReply(Poco::Timespan(0, 200 * 1000));
		if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 || element(*reply, 0) != "message")
			continue;
		// "<name> <old-ip> <old-port> <new-ip> <new-port>"
		Poco::StringTokenizer fields(element(*reply, 2), " ", Poco::StringTokenizer::TOK_IGNORE_EMPTY);
		RedisNodeAddress next;
		if (fields.count() != 5 || fields[0] != name || !parsePort(fields[4], next.port))
			continue;
		next.host = fields[3];
		adopt(next, "+switch-master from sentinel " + sentinel.describe());
	}
}

} // namespace eventbus
