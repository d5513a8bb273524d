//
// ClusterRouter.cpp
//
// Reading CLUSTER SLOTS, answering which node owns a key, and the watcher
// thread that re-reads the map.
//
#include "ClusterRouter.h"
#include "RedisConnection.h"
#include "RedisError.h"
#include "eventbus/SafeText.h"
#include <algorithm>

namespace eventbus {

namespace {

// A CLUSTER SLOTS reply of a large cluster is a few tens of kilobytes.
constexpr std::size_t MaxSlotsReplyBytes = 4 * 1024 * 1024;
constexpr std::chrono::milliseconds MinSpacing(200);

bool sameMap(const ClusterSlotMap* a, const ClusterSlotMap& b)
{
	if (!a || a->masters().size() != b.masters().size() || a->coveredSlots() != b.coveredSlots())
		return false;
	for (unsigned slot = 0; slot < ClusterSlot::Count; ++slot)
	{
		const RedisNodeAddress* x = a->ownerOf(slot);
		const RedisNodeAddress* y = b.ownerOf(slot);
		if ((x == nullptr) != (y == nullptr) || (x && !(*x == *y)))
			return false;
	}
	return true;
}

} // namespace

ClusterRouter::ClusterRouter(const RedisSettings& settings, RedisSocketFactory socketFactory, Poco::Logger& logger)
	: _settings(settings)
	, _socketFactory(std::move(socketFactory))
	, _logger(logger)
	, _interval(settings.topology.clusterRefreshMs)
{
}

ClusterRouter::~ClusterRouter()
{
	stop();
}

void ClusterRouter::onChange(Listener listener)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_listeners.push_back(std::move(listener));
}

void ClusterRouter::start()
{
	try
	{
		refresh();
	}
	catch (RedisError& exc)
	{
		_logger.warning("redis cluster: " + exc.message());
	}
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_stopping && !_watcher.started())
		_watcher.start([this]() { watch(); });
}

void ClusterRouter::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
	}
	_wake.notify_all();
	_watcher.join();
}

bool ClusterRouter::ownerOf(const std::string& key, RedisNodeAddress& owner)
{
	const unsigned slot = ClusterSlot::ofKey(key);
	{
		std::lock_guard<std::mutex> lock(_mutex);
		const RedisNodeAddress* found = _map ? _map->ownerOf(slot) : nullptr;
		if (found)
		{
			owner = *found;
			return true;
		}
		_refreshRequested = true;
	}
	_wake.notify_all();
	return false;
}

RedisNodeAddress ClusterRouter::owner(const std::string& key)
{
	RedisNodeAddress found;
	if (!ownerOf(key, found))
	{
		throw TransportException("redis cluster: no node serves slot " + std::to_string(ClusterSlot::ofKey(key))
			+ " of " + SafeText::escape(key) + " (" + health().reason + ")");
	}
	return found;
}

void ClusterRouter::follow(const ClusterRedirectedError& redirected, int hop)
{
	if (hop + 1 >= MaxRedirects || redirected.redirect().kind != ClusterRedirect::Kind::Moved)
		throw TransportException(redirected.message() + " (after " + std::to_string(hop + 1) + " redirects)");
	moved(redirected.redirect());
}

void ClusterRouter::moved(const ClusterRedirect& redirect)
{
	if (redirect.kind != ClusterRedirect::Kind::Moved || redirect.target.host.empty())
	{
		requestRefresh();
		return;
	}
	{
		std::lock_guard<std::mutex> lock(_mutex);
		const RedisNodeAddress* owner = _map ? _map->ownerOf(redirect.slot) : nullptr;
		if (!owner || !(*owner == redirect.target))
		{
			auto updated = std::make_shared<ClusterSlotMap>(_map ? *_map : ClusterSlotMap());
			updated->assign(redirect.slot, redirect.target);
			_map = std::move(updated);
			++_version;
		}
		_refreshRequested = true;
	}
	_wake.notify_all();
}

void ClusterRouter::requestRefresh()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_refreshRequested = true;
	}
	_wake.notify_all();
}

std::vector<RedisNodeAddress> ClusterRouter::masters() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _map ? _map->masters() : std::vector<RedisNodeAddress>();
}

std::uint64_t ClusterRouter::version() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _version;
}

TransportHealth ClusterRouter::health() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_map)
		return {false, "cluster: no slot map yet" + (_lastError.empty() ? std::string() : " (" + _lastError + ")")};
	const unsigned covered = _map->coveredSlots();
	const std::string text = "cluster: " + std::to_string(_map->masters().size()) + " masters, "
		+ std::to_string(covered) + "/" + std::to_string(ClusterSlot::Count) + " slots covered";
	return {covered == ClusterSlot::Count, text};
}

bool ClusterRouter::refresh()
{
	std::vector<RedisNodeAddress> candidates = masters();
	for (const auto& seed : _settings.topology.clusterNodes)
	{
		if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end())
			candidates.push_back(seed);
	}
	std::string failures;
	for (const auto& node : candidates)
	{
		try
		{
			RedisConnection connection(_settings.forNode(node), _socketFactory(), MaxSlotsReplyBytes);
			connection.open();
			ReplyPtr reply = connection.command({"CLUSTER", "SLOTS"});
			connection.close();
			auto map = std::make_shared<ClusterSlotMap>(ClusterSlotMap::fromSlotsReply(*reply, node.host));
			if (map->coveredSlots() == 0)
				throw Poco::DataFormatException("CLUSTER SLOTS: no slot is assigned");
			bool changed = false;
			{
				std::lock_guard<std::mutex> lock(_mutex);
				if (!sameMap(_map.get(), *map))
				{
					_map = std::move(map);
					++_version;
					changed = true;
				}
				_lastError.clear();
			}
			return changed;
		}
		catch (Poco::Exception& exc)
		{
			failures += (failures.empty() ? "" : "; ") + node.describe() + ": " + exc.message();
		}
	}
	const std::string message = "no cluster node answered CLUSTER SLOTS (" + failures + ")";
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_lastError = message;
	}
	throwRedisError(_settings.topology.clusterNodes.empty() ? std::string("cluster")
		: _settings.topology.clusterNodes.front().describe(), RedisFailure::Unreachable, "CLUSTER SLOTS", message);
}

void ClusterRouter::notify()
{
	std::vector<Listener> listeners;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		listeners = _listeners;
	}
	for (const auto& listener : listeners)
	{
		try
		{
			listener();
		}
		catch (std::exception& exc)
		{
			_logger.error("redis cluster: a topology listener threw: " + std::string(exc.what()));
		}
	}
}

void ClusterRouter::watch()
{
	using Clock = std::chrono::steady_clock;
	Clock::time_point last = Clock::now();
	std::uint64_t seen = version();
	bool failing = false;
	for (;;)
	{
		{
			std::unique_lock<std::mutex> lock(_mutex);
			_wake.wait_until(lock, last + _interval, [this]() { return _stopping || _refreshRequested; });
			if (_stopping)
				return;
			// Requests closer together than MinSpacing share one refresh.
			const Clock::time_point earliest = last + MinSpacing;
			if (Clock::now() < earliest)
			{
				_wake.wait_until(lock, earliest, [this]() { return _stopping; });
				if (_stopping)
					return;
			}
			_refreshRequested = false;
		}
		last = Clock::now();
		try
		{
			refresh();
			if (failing)
				_logger.information("redis cluster: slot map read again");
			failing = false;
		}
		catch (RedisError& exc)
		{
			if (!failing)
				_logger.warning("redis cluster: " + exc.message());
			failing = true;
		}
		// A MOVED may have changed the map between two refreshes: listeners
		// hear of every change, whoever made it.
		const std::uint64_t now = version();
		if (now != seen)
		{
			seen = now;
			notify();
		}
	}
}

} // namespace eventbus
