//
// ClusterStreamConsumer.cpp
//
// A consumer per master, the groups of single streams made on their owner,
// and the mover that follows masters coming and going.
//
#include "ClusterStreamConsumer.h"
#include "ClusterMover.h"
#include "RedisError.h"
#include "RedisMetrics.h"
#include "StreamCommands.h"
#include "eventbus/Exceptions.h"
#include <algorithm>
#include <chrono>
#include <vector>

namespace eventbus {

ClusterStreamConsumer::ClusterStreamConsumer(const RedisSettings& redis, const StreamsSettings& streams,
	RedisSocketFactory socketFactory, Metrics& metrics, Poco::Logger& logger, const Redactor& redactor,
	TransportListener* listener, std::shared_ptr<ClusterRouter> router, std::shared_ptr<ClusterCommander> commander)
	: _redis(redis)
	, _streams(streams)
	, _socketFactory(std::move(socketFactory))
	, _metrics(metrics)
	, _logger(logger)
	, _redactor(redactor)
	, _listener(listener)
	, _router(std::move(router))
	, _commander(std::move(commander))
	, _redirects((metrics.describe(RedisMetrics::ClusterRedirects, RedisMetrics::ClusterRedirectsHelp),
		metrics.counter(RedisMetrics::ClusterRedirects, {{"transport", "redis-streams"}, {"operation", "consume"}})))
{
	_router->onChange([this]() { wake(); });
}

ClusterStreamConsumer::~ClusterStreamConsumer()
{
	stop();
}

void ClusterStreamConsumer::wake()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_wakeRequested = true;
	}
	_wake.notify_all();
}

std::shared_ptr<StreamConsumer> ClusterStreamConsumer::makeNode(const RedisNodeAddress& address)
{
	auto consumer = std::make_shared<StreamConsumer>(_redis.forNode(address), _streams, _socketFactory, _metrics,
		_logger, _redactor, _listener);
	StreamConsumer::ClusterHooks hooks;
	hooks.owns = [this, address](const std::string& key) {
		RedisNodeAddress owner;
		return _router->ownerOf(key, owner) && owner == address;
	};
	hooks.redirected = [this](const ClusterRedirect& redirect) {
		_redirects.increment();
		_router->moved(redirect); // a refresh only, for ASK
		wake();
	};
	hooks.deadLetter = [this](const Command& xadd) {
		std::vector<ReplyPtr> replies = _commander->run(xadd.at(1), {xadd});
		return replies.front()->type == REDIS_REPLY_ERROR ? RedisConnection::text(*replies.front()) : std::string();
	};
	hooks.pollMs = _streams.clusterPollMs;
	consumer->cluster(std::move(hooks));
	consumer->start();
	return consumer;
}

void ClusterStreamConsumer::start()
{
	{
		std::lock_guard<std::mutex> place(_placeMutex);
		_seenVersion = _router->version();
		for (const auto& master : _router->masters())
		{
			std::shared_ptr<StreamConsumer> consumer = makeNode(master);
			std::lock_guard<std::mutex> lock(_mutex);
			_nodes[master.describe()] = Node{master, consumer};
		}
	}
	std::lock_guard<std::mutex> lock(_mutex);
	if (_stopping || _mover.started())
		return;
	_mover.start([this]() { run(); });
}

void ClusterStreamConsumer::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
	}
	_wake.notify_all();
	_mover.join();
	std::map<std::string, Node> nodes;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		nodes = _nodes;
	}
	for (auto& node : nodes)
		node.second.consumer->stop();
}

void ClusterStreamConsumer::createGroup(const ChannelSubscription& subscription, const std::string& group)
{
	try
	{
		std::vector<ReplyPtr> replies = _commander->run(subscription.channel,
			{StreamCommands::createGroup(subscription.channel, group, _streams.startFromBeginning)});
		const redisReply& reply = *replies.front();
		if (reply.type != REDIS_REPLY_ERROR)
			return;
		const std::string text = RedisConnection::text(reply);
		if (text.compare(0, 9, "BUSYGROUP") == 0)
			return;
		if (isPermissionError(text))
		{
			throw AccessDeniedException(accessDeniedMessage(_redis.endpoint.describe(), _redis.endpoint.user,
				"XGROUP CREATE", subscription.channel, text));
		}
		_logger.warning("redis-streams cluster: group " + group + " on " + _redactor.redactText(subscription.channel, 256)
			+ " not created yet (" + _redactor.redactText(text, 512) + "); its node's reader creates it");
	}
	catch (AccessDeniedException&)
	{
		throw;
	}
	catch (TransportException& exc)
	{
		// Unreachable, or no node serves the slot now: the owner's reader makes it once it can.
		_logger.warning("redis-streams cluster: group " + group + " on " + _redactor.redactText(subscription.channel, 256)
			+ " not created yet (" + exc.message() + "); its node's reader creates it");
	}
}

std::uint64_t ClusterStreamConsumer::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
			throw TransportException("redis-streams transport is stopped");
	}
	const std::string group = subscription.group.empty() ? _streams.group : subscription.group;
	std::lock_guard<std::mutex> place(_placeMutex);
	if (!subscription.pattern)
		createGroup(subscription, group);
	Entry entry{subscription, std::move(callback), {}};
	std::map<std::string, Node> nodes;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		nodes = _nodes;
	}
	try
	{
		for (const auto& node : nodes)
			entry.nodeIds[node.first] = node.second.consumer->subscribe(subscription, entry.callback);
	}
	catch (...)
	{
		for (const auto& placed : entry.nodeIds)
			nodes[placed.first].consumer->unsubscribe(placed.second);
		throw;
	}
	std::lock_guard<std::mutex> lock(_mutex);
	const std::uint64_t id = ++_nextId;
	_entries[id] = std::move(entry);
	return id;
}

void ClusterStreamConsumer::unsubscribe(std::uint64_t id)
{
	// No placement lock: this may run inside a callback while the mover stops a node.
	Entry entry;
	std::map<std::string, Node> nodes;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto found = _entries.find(id);
		if (found == _entries.end())
			return;
		entry = std::move(found->second);
		_entries.erase(found);
		nodes = _nodes;
	}
	for (const auto& placed : entry.nodeIds)
	{
		auto node = nodes.find(placed.first);
		if (node != nodes.end())
			node->second.consumer->unsubscribe(placed.second);
	}
}

TransportHealth ClusterStreamConsumer::health() const
{
	TransportHealth coverage = _router->health();
	if (!coverage.ready)
		return coverage;
	std::map<std::string, Node> nodes;
	std::size_t subscriptions = 0;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		nodes = _nodes;
		subscriptions = _entries.size();
	}
	for (const auto& node : nodes)
	{
		TransportHealth health = node.second.consumer->health();
		if (!health.ready)
			return {false, coverage.reason + "; " + node.first + ": " + health.reason};
	}
	return {true, coverage.reason + "; " + std::to_string(subscriptions) + " subscriptions read on "
		+ std::to_string(nodes.size()) + " nodes as consumer " + _streams.consumer};
}

void ClusterStreamConsumer::run()
{
	ClusterMover::run(_mutex, _wake, _stopping, _wakeRequested, *_router, _logger,
		"redis-streams cluster: following the masters", [this]() { reconcile(); }, [this]() {
			std::map<std::string, Node> nodes;
			{
				std::lock_guard<std::mutex> lock(_mutex);
				nodes = _nodes;
			}
			for (const auto& node : nodes)
			{
				if (!node.second.consumer->health().ready)
					return true;
			}
			return false;
		});
}

void ClusterStreamConsumer::reconcile()
{
	std::vector<std::shared_ptr<StreamConsumer>> retired;
	std::vector<std::shared_ptr<StreamConsumer>> current;
	{
		std::lock_guard<std::mutex> place(_placeMutex);
		const std::uint64_t version = _router->version();
		const std::vector<RedisNodeAddress> masters = _router->masters();
		std::map<std::string, Node> nodes;
		std::map<std::uint64_t, Entry> entries;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			nodes = _nodes;
			entries = _entries;
		}
		for (const auto& master : masters)
		{
			const std::string key = master.describe();
			if (nodes.count(key) > 0)
				continue;
			// A new master (a replica promoted, a node added): it reads every subscription.
			std::shared_ptr<StreamConsumer> consumer = makeNode(master);
			std::map<std::uint64_t, std::uint64_t> placed;
			for (const auto& entry : entries)
			{
				try
				{
					placed[entry.first] = consumer->subscribe(entry.second.subscription, entry.second.callback);
				}
				catch (Poco::Exception& exc)
				{
					_logger.error("redis-streams cluster: subscribing on new master " + key + " failed: " + exc.message());
				}
			}
			std::vector<std::uint64_t> orphans;
			{
				std::lock_guard<std::mutex> lock(_mutex);
				_nodes[key] = Node{master, consumer};
				for (const auto& item : placed)
				{
					auto found = _entries.find(item.first);
					if (found == _entries.end())
						orphans.push_back(item.second); // unsubscribed meanwhile
					else
						found->second.nodeIds[key] = item.second;
				}
			}
			for (std::uint64_t id : orphans)
				consumer->unsubscribe(id);
			_logger.information("redis-streams cluster: reading on new master " + key);
		}
		if (!masters.empty())
		{
			std::lock_guard<std::mutex> lock(_mutex);
			for (auto it = _nodes.begin(); it != _nodes.end();)
			{
				if (std::find(masters.begin(), masters.end(), it->second.address) != masters.end())
				{
					current.push_back(it->second.consumer);
					++it;
					continue;
				}
				for (auto& entry : _entries)
					entry.second.nodeIds.erase(it->first);
				_logger.information("redis-streams cluster: " + it->first + " is no master now; its consumer stops");
				retired.push_back(it->second.consumer);
				it = _nodes.erase(it);
			}
		}
		if (version != _seenVersion)
		{
			_seenVersion = version;
			for (auto& consumer : current)
				consumer->topologyChanged();
		}
	}
	// Outside the placement lock: a stop waits for running callbacks, which may subscribe.
	// Entries they had in flight stay pending: the new owner's consumer re-reads them.
	for (auto& consumer : retired)
		consumer->stop();
}

} // namespace eventbus
