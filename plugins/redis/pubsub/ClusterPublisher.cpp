//
// ClusterPublisher.cpp
//
// Routing each event to the node owning its channel's slot, following
// MOVED, and the mirror for pattern subscribers.
//
#include "ClusterPublisher.h"
#include "RedisMetrics.h"
#include "eventbus/Exceptions.h"
#include "eventbus/SafeText.h"

namespace eventbus {

ClusterPublisher::ClusterPublisher(const RedisSettings& settings, RedisSocketFactory socketFactory, Metrics& metrics,
	Poco::Logger& logger, std::shared_ptr<ClusterRouter> router)
	: _settings(settings)
	, _socketFactory(std::move(socketFactory))
	, _metrics(metrics)
	, _logger(logger)
	, _router(std::move(router))
	, _redirects(RedisMetrics::clusterRedirects(metrics, "publish"))
	, _mirrorFailed(RedisMetrics::publishFailed(metrics, RedisMetrics::FailedClusterMirror))
	, _bufferDiscarded(RedisMetrics::dropped(metrics, RedisMetrics::DroppedBufferDiscarded))
	, _mirrorLog(logger)
	, _nodes("redis transport is stopped", [this](const RedisNodeAddress& node) {
		auto publisher = std::make_shared<RedisPublisher>(_settings.forNode(node), _socketFactory, _metrics, _logger, true);
		publisher->onRedirect([this, node](const std::string& channel, const std::string& wire, PublishCallback done,
			const ClusterRedirect& redirect) { redirected(node, channel, wire, std::move(done), redirect); });
		return publisher;
	})
{
}

ClusterPublisher::~ClusterPublisher()
{
	stop();
}

void ClusterPublisher::start()
{
	for (const auto& master : _router->masters())
		nodeFor(master);
}

void ClusterPublisher::stop()
{
	for (auto& node : _nodes.close())
		node->stop();
}

std::shared_ptr<RedisPublisher> ClusterPublisher::nodeFor(const RedisNodeAddress& node)
{
	return _nodes.of(node);
}

std::shared_ptr<RedisPublisher> ClusterPublisher::route(const std::string& channel)
{
	return nodeFor(_router->owner(channel));
}

PublishCallback ClusterPublisher::watching(PublishCallback done)
{
	return [this, done = std::move(done)](std::exception_ptr error) {
		if (error)
		{
			try
			{
				std::rethrow_exception(error);
			}
			catch (AccessDeniedException&)
			{
			}
			catch (TransportException&)
			{
				_router->requestRefresh(); // the node may be gone: a replica takes over
			}
			catch (...)
			{
			}
		}
		done(std::move(error));
	};
}

void ClusterPublisher::publish(const std::string& channel, const std::string& wire)
{
	std::shared_ptr<RedisPublisher> node;
	for (int hop = 0;; ++hop)
	{
		node = route(channel);
		try
		{
			node->publish(channel, wire);
			break;
		}
		catch (ClusterRedirectedError& exc)
		{
			_redirects.increment();
			_router->follow(exc, hop);
		}
		catch (AccessDeniedException&)
		{
			throw;
		}
		catch (TransportException&)
		{
			// Unreachable, outcome unknown: the node may be gone, a replica takes over.
			_router->requestRefresh();
			throw;
		}
	}
	if (_settings.topology.clusterMirror)
		mirror(node, channel, wire);
}

void ClusterPublisher::publishAsync(const std::string& channel, const std::string& wire, PublishCallback done)
{
	std::shared_ptr<RedisPublisher> node = route(channel);
	// The message stays valid until `done` is called: no copy (the mirror copies).
	node->publishAsync(channel, wire, watching(std::move(done)), false, true);
	if (_settings.topology.clusterMirror)
		mirror(node, channel, wire);
}

void ClusterPublisher::mirror(const std::shared_ptr<RedisPublisher>& node, const std::string& channel,
	const std::string& wire)
{
	// At most once, like all Pub/Sub: a copy that fails is counted and logged
	// (rate-limited), never retried, and does not fail the publish.
	auto failed = [this, channel](std::exception_ptr error) {
		if (!error)
			return;
		_mirrorFailed.increment();
		std::string why = "unknown error";
		try
		{
			std::rethrow_exception(error);
		}
		catch (std::exception& exc)
		{
			why = exc.what();
		}
		catch (...)
		{
		}
		_mirrorLog.warning("redis cluster: the PUBLISH copy for pattern subscribers on " + SafeText::escape(channel)
			+ " failed: " + why);
	};
	try
	{
		node->publishAsync(channel, wire, failed, true);
	}
	catch (Poco::Exception& exc)
	{
		failed(std::make_exception_ptr(TransportException(exc.message())));
	}
}

void ClusterPublisher::redirected(const RedisNodeAddress& from, const std::string& channel, const std::string& wire,
	PublishCallback done, const ClusterRedirect& redirect)
{
	_redirects.increment();
	std::string failure;
	if (redirect.kind == ClusterRedirect::Kind::Moved)
	{
		ClusterRedirect moved = redirect;
		if (moved.target.host.empty())
			moved.target.host = from.host;
		_router->moved(moved);
		try
		{
			nodeFor(moved.target)->requeue(channel, wire, std::move(done));
			return;
		}
		catch (Poco::Exception& exc)
		{
			failure = exc.message();
		}
	}
	else
	{
		failure = "redis cluster: " + from.describe() + " answered ASK to SPUBLISH on " + SafeText::escape(channel)
			+ " (sharded Pub/Sub is not migrated key by key)";
	}
	if (done)
	{
		done(std::make_exception_ptr(TransportException(failure)));
		return;
	}
	// A buffered event nobody waits for: counted and logged here.
	_bufferDiscarded.increment();
	_logger.error("redis cluster: a buffered event on " + SafeText::escape(channel) + " could not be re-routed: " + failure);
}

TransportHealth ClusterPublisher::health()
{
	return _nodes.health(*_router);
}

} // namespace eventbus
