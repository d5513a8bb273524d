//
// ClusterSubscriber.cpp
//
// Placing each subscription on the node owning its channel's slot, and the
// mover thread that follows slots to their new owners.
//
#include "ClusterSubscriber.h"
#include "ClusterMover.h"
#include "ClusterSlot.h"
#include "RedisMetrics.h"
#include "eventbus/Exceptions.h"
#include "eventbus/SafeText.h"
#include <algorithm>
#include <chrono>

namespace eventbus {

ClusterSubscriber::ClusterSubscriber(const RedisSettings& settings, RedisSocketFactory socketFactory, Metrics& metrics,
	Poco::Logger& logger, const Redactor& redactor, TransportListener* listener, std::shared_ptr<ClusterRouter> router)
	: _settings(settings)
	, _socketFactory(std::move(socketFactory))
	, _metrics(metrics)
	, _logger(logger)
	, _redactor(redactor)
	, _listener(listener)
	, _router(std::move(router))
	, _redirects(RedisMetrics::clusterRedirects(metrics, "subscribe"))
{
	_router->onChange([this]() {
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_wakeRequested = true;
		}
		_wake.notify_all();
	});
}

ClusterSubscriber::~ClusterSubscriber()
{
	stop();
}

void ClusterSubscriber::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopping || _mover.started())
		return;
	_mover.start([this]() { run(); });
}

void ClusterSubscriber::stop()
{
	std::map<std::string, std::shared_ptr<RedisSubscriber>> nodes;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
	}
	_wake.notify_all();
	_mover.join();
	{
		std::lock_guard<std::mutex> lock(_mutex);
		nodes = _nodes;
	}
	for (auto& node : nodes)
		node.second->stop();
}

std::string ClusterSubscriber::nodeKey(const RedisNodeAddress& node, bool sharded)
{
	return (sharded ? "s " : "c ") + node.describe();
}

std::shared_ptr<RedisSubscriber> ClusterSubscriber::existing(const std::string& key) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto found = _nodes.find(key);
	return found == _nodes.end() ? nullptr : found->second;
}

std::shared_ptr<RedisSubscriber> ClusterSubscriber::nodeFor(const RedisNodeAddress& node, bool sharded)
{
	std::shared_ptr<RedisSubscriber> subscriber;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
			throw TransportException("redis transport is stopped");
		const std::string key = nodeKey(node, sharded);
		auto found = _nodes.find(key);
		if (found != _nodes.end())
			return found->second;
		subscriber = std::make_shared<RedisSubscriber>(_settings.forNode(node), _socketFactory, _metrics, _logger,
			_redactor, _listener, sharded);
		if (sharded)
		{
			subscriber->onDropped([this](const std::string& channel, const ClusterRedirect& redirect) {
				if (redirect.kind == ClusterRedirect::Kind::Moved)
				{
					_redirects.increment();
					_router->moved(redirect);
				}
				else
				{
					_router->requestRefresh();
				}
				{
					std::lock_guard<std::mutex> lock(_mutex);
					_dropped.insert(channel);
					_wakeRequested = true;
				}
				_wake.notify_all();
			});
		}
		_nodes[key] = subscriber;
		subscriber->start(); // starts threads only: the connection opens with the first subscription
	}
	return subscriber;
}

std::uint64_t ClusterSubscriber::place(const Entry& entry, const RedisNodeAddress& target, bool sharded)
{
	return nodeFor(target, sharded)->subscribe(entry.subscription, entry.callback);
}

std::uint64_t ClusterSubscriber::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	Entry entry;
	entry.subscription = subscription;
	entry.callback = std::move(callback);
	const std::uint64_t version = _router->version();
	if (subscription.pattern)
	{
		if (!_settings.topology.clusterMirror)
		{
			throw ConfigException("redis cluster: pattern subscription " + SafeText::escape(subscription.channel)
				+ " (--all-tenants) has no sharded form; set " + RedisTopologySettings::ClusterAllTenantsKey
				+ "=mirror to have every event also published with classic PUBLISH (see docs/runbook.md, Topologies: Cluster)");
		}
		const std::vector<RedisNodeAddress> masters = _router->masters();
		if (masters.empty())
			throw TransportException("redis cluster: " + _router->health().reason);
		entry.address = masters.front();
		entry.node = nodeKey(entry.address, false);
		entry.nodeId = place(entry, entry.address, false);
	}
	else
	{
		for (int hop = 0;; ++hop)
		{
			entry.address = _router->owner(subscription.channel);
			try
			{
				entry.nodeId = place(entry, entry.address, true);
				break;
			}
			catch (ClusterRedirectedError& exc)
			{
				_redirects.increment();
				_router->follow(exc, hop);
			}
		}
		entry.node = nodeKey(entry.address, true);
	}
	std::uint64_t id = 0;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		id = ++_nextId;
		_entries[id] = std::move(entry);
		// The map changed while it was placed: the mover checks it.
		if (_router->version() != version)
			_wakeRequested = true;
	}
	_wake.notify_all();
	return id;
}

void ClusterSubscriber::unsubscribe(std::uint64_t id)
{
	Entry entry;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto found = _entries.find(id);
		if (found == _entries.end())
			return;
		entry = std::move(found->second);
		_entries.erase(found);
	}
	if (std::shared_ptr<RedisSubscriber> node = existing(entry.node))
		node->unsubscribe(entry.nodeId);
}

TransportHealth ClusterSubscriber::health() const
{
	TransportHealth coverage = _router->health();
	if (!coverage.ready)
		return coverage;
	std::map<std::string, std::shared_ptr<RedisSubscriber>> nodes;
	std::size_t subscriptions = 0;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		subscriptions = _entries.size();
		for (const auto& entry : _entries)
		{
			auto node = _nodes.find(entry.second.node);
			if (node != _nodes.end())
				nodes.insert(*node);
		}
	}
	for (const auto& node : nodes)
	{
		TransportHealth health = node.second->health();
		if (!health.ready)
			return {false, coverage.reason + "; " + health.reason};
	}
	return {true, coverage.reason + "; " + std::to_string(subscriptions) + " subscriptions on "
		+ std::to_string(nodes.size()) + " nodes"};
}

std::uint64_t ClusterSubscriber::moves() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _moves;
}

void ClusterSubscriber::run()
{
	ClusterMover::run(_mutex, _wake, _stopping, _wakeRequested, *_router, _logger,
		"redis cluster: moving subscriptions", [this]() {
			rebalance();
			retire();
		}, [this]() {
			// A node subscriber that is down (a killed master) or a dropped channel still to place.
			std::vector<std::shared_ptr<RedisSubscriber>> nodes;
			{
				std::lock_guard<std::mutex> lock(_mutex);
				if (!_dropped.empty())
					return true;
				for (const auto& node : _nodes)
					nodes.push_back(node.second);
			}
			for (const auto& node : nodes)
			{
				if (!node->health().ready)
					return true;
			}
			return false;
		});
}

void ClusterSubscriber::rebalance()
{
	struct Group
	{
		std::string channel;
		bool pattern = false;
		RedisNodeAddress address;
		std::vector<std::uint64_t> ids;
	};
	std::map<std::string, Group> groups; // by node key + channel
	std::set<std::string> dropped;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		dropped.swap(_dropped);
		for (const auto& entry : _entries)
		{
			Group& group = groups[entry.second.node + "\n" + entry.second.subscription.channel];
			group.channel = entry.second.subscription.channel;
			group.pattern = entry.second.subscription.pattern;
			group.address = entry.second.address;
			group.ids.push_back(entry.first);
		}
	}
	if (!dropped.empty())
	{
		// A node dropped channels (their slot moved): read the map now rather
		// than re-subscribe on a node that no longer serves them.
		try
		{
			_router->refresh();
		}
		catch (Poco::Exception&)
		{
		}
	}
	const std::vector<RedisNodeAddress> masters = _router->masters();
	std::set<std::string> unplaced;
	for (const auto& item : groups)
	{
		const Group& group = item.second;
		if (group.pattern)
		{
			if (masters.empty() || std::find(masters.begin(), masters.end(), group.address) != masters.end())
				continue;
			moveChannel(group.channel, true, group.ids, masters.front(), false);
			continue;
		}
		const bool wasDropped = dropped.count(group.channel) > 0;
		RedisNodeAddress owner;
		if (!_router->ownerOf(group.channel, owner))
		{
			if (wasDropped)
				unplaced.insert(group.channel);
			continue;
		}
		if (owner == group.address && !wasDropped)
			continue;
		moveChannel(group.channel, false, group.ids, owner, owner == group.address);
	}
	if (!unplaced.empty())
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_dropped.insert(unplaced.begin(), unplaced.end());
	}
}

void ClusterSubscriber::moveChannel(const std::string& channel, bool pattern, const std::vector<std::uint64_t>& ids,
	const RedisNodeAddress& target, bool resubscribe)
{
	const bool sharded = !pattern;
	const std::string targetKey = nodeKey(target, sharded);
	std::vector<Entry> old;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		for (std::uint64_t id : ids)
		{
			auto found = _entries.find(id);
			old.push_back(found == _entries.end() ? Entry{} : found->second);
		}
	}
	auto unsubscribeOld = [&]() {
		for (const auto& entry : old)
		{
			if (entry.nodeId == 0)
				continue;
			if (std::shared_ptr<RedisSubscriber> node = existing(entry.node))
				node->unsubscribe(entry.nodeId);
		}
	};
	// The same node (the subscription was dropped there): the server
	// subscription must go before it can be made again.
	if (resubscribe)
		unsubscribeOld();
	std::vector<std::uint64_t> placed(old.size(), 0);
	std::string failure;
	try
	{
		for (std::size_t i = 0; i < old.size(); ++i)
		{
			if (old[i].callback)
				placed[i] = place(old[i], target, sharded);
		}
	}
	catch (ClusterRedirectedError& exc)
	{
		_redirects.increment();
		_router->moved(exc.redirect());
		failure = exc.message();
	}
	catch (Poco::Exception& exc)
	{
		failure = exc.message();
	}
	if (!failure.empty())
	{
		std::shared_ptr<RedisSubscriber> node = existing(targetKey);
		for (std::uint64_t id : placed)
		{
			if (id != 0 && node)
				node->unsubscribe(id);
		}
		std::lock_guard<std::mutex> lock(_mutex);
		_dropped.insert(channel);
		if (resubscribe)
		{
			for (std::size_t i = 0; i < ids.size(); ++i)
			{
				auto found = _entries.find(ids[i]);
				if (found != _entries.end() && found->second.nodeId == old[i].nodeId)
					found->second.nodeId = 0; // its old subscription is gone
			}
		}
		_logger.warning("redis cluster: could not move the subscription of " + _redactor.redactText(channel, 512)
			+ " to " + target.describe() + " yet: " + failure);
		return;
	}
	if (!resubscribe)
		unsubscribeOld();
	std::vector<std::uint64_t> orphans;
	std::string from;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		for (std::size_t i = 0; i < ids.size(); ++i)
		{
			auto found = _entries.find(ids[i]);
			if (found == _entries.end() || found->second.nodeId != old[i].nodeId)
			{
				orphans.push_back(placed[i]); // unsubscribed meanwhile
				continue;
			}
			from = found->second.address.describe();
			found->second.address = target;
			found->second.node = targetKey;
			found->second.nodeId = placed[i];
		}
		++_moves;
	}
	if (std::shared_ptr<RedisSubscriber> node = existing(targetKey))
	{
		for (std::uint64_t id : orphans)
			node->unsubscribe(id);
	}
	const std::string what = (pattern ? "pattern subscription " : "sharded subscription ") + _redactor.redactText(channel, 512);
	const std::string reason = resubscribe
		? what + " dropped by " + target.describe() + ", subscribed again"
		: what + " moved from " + (from.empty() ? std::string("?") : from) + " to " + target.describe()
			+ (pattern ? std::string() : " (slot " + std::to_string(ClusterSlot::ofKey(channel)) + ")");
	_logger.warning("redis cluster: " + reason + "; events published meanwhile are lost");
	gap(reason);
}

void ClusterSubscriber::retire()
{
	const std::vector<RedisNodeAddress> masters = _router->masters();
	std::vector<std::shared_ptr<RedisSubscriber>> retired;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		std::set<std::string> used;
		for (const auto& entry : _entries)
			used.insert(entry.second.node);
		for (auto it = _nodes.begin(); it != _nodes.end();)
		{
			const bool master = std::any_of(masters.begin(), masters.end(), [&](const RedisNodeAddress& node) {
				return it->first == nodeKey(node, true) || it->first == nodeKey(node, false);
			});
			if (used.count(it->first) == 0 && !master)
			{
				retired.push_back(it->second);
				it = _nodes.erase(it);
			}
			else
			{
				++it;
			}
		}
	}
	for (auto& node : retired)
		node->stop();
}

void ClusterSubscriber::gap(const std::string& reason)
{
	if (!_listener)
		return;
	try
	{
		_listener->onGap("redis", reason);
	}
	catch (std::exception& exc)
	{
		_logger.error("redis cluster: the gap listener threw: " + std::string(exc.what()));
	}
	catch (...)
	{
		_logger.error("redis cluster: the gap listener threw");
	}
}

} // namespace eventbus
