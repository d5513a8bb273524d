//
// ClusterStreamPublisher.cpp
//
// Routing each XADD to the node owning its stream key's slot, following
// MOVED and ASK.
//
#include "ClusterStreamPublisher.h"
#include "RedisError.h"
#include "RedisMetrics.h"
#include "StreamCommands.h"
#include "eventbus/Exceptions.h"
#include "eventbus/SafeText.h"

namespace eventbus {

namespace {

Labels streamsLabels(const char* operation)
{
	return {{"transport", "redis-streams"}, {"operation", operation}};
}

} // namespace

ClusterStreamPublisher::ClusterStreamPublisher(const RedisSettings& redis, const StreamsSettings& streams,
	RedisSocketFactory socketFactory, Metrics& metrics, Poco::Logger& logger, std::shared_ptr<ClusterRouter> router,
	std::shared_ptr<ClusterCommander> commander)
	: _redis(redis)
	, _streams(streams)
	, _socketFactory(std::move(socketFactory))
	, _metrics(metrics)
	, _logger(logger)
	, _router(std::move(router))
	, _commander(std::move(commander))
	, _redirects((metrics.describe(RedisMetrics::ClusterRedirects, RedisMetrics::ClusterRedirectsHelp),
		metrics.counter(RedisMetrics::ClusterRedirects, streamsLabels("publish"))))
	, _bufferDiscarded(metrics.counter(Metrics::Dropped, {{"transport", "redis-streams"}, {"reason", "buffer-discarded"}}))
	, _nodes("redis-streams transport is stopped", [this](const RedisNodeAddress& node) { return makeNode(node); })
{
}

ClusterStreamPublisher::~ClusterStreamPublisher()
{
	stop();
}

void ClusterStreamPublisher::start()
{
	for (const auto& master : _router->masters())
		nodeFor(master);
}

void ClusterStreamPublisher::stop()
{
	for (auto& node : _nodes.close())
		node->stop();
}

std::shared_ptr<StreamPublisher> ClusterStreamPublisher::nodeFor(const RedisNodeAddress& node)
{
	return _nodes.of(node);
}

std::shared_ptr<StreamPublisher> ClusterStreamPublisher::makeNode(const RedisNodeAddress& node)
{
	auto publisher = std::make_shared<StreamPublisher>(_redis.forNode(node), _streams, _socketFactory, _metrics, _logger);
	publisher->onRedirect([this](std::string key, std::string wire, StreamPublisher::Done done,
		const ClusterRedirect& redirect) { redirected(std::move(key), std::move(wire), std::move(done), redirect); });
	return publisher;
}

void ClusterStreamPublisher::redirected(std::string key, std::string wire, StreamPublisher::Done done,
	const ClusterRedirect& redirect)
{
	// On the redirecting node's sender thread, no lock held.
	_redirects.increment();
	if (!done)
	{
		// A buffered event nobody waits for: counted when it cannot be re-routed.
		done = [this, key](const std::string&, std::exception_ptr error) {
			if (!error)
				return;
			_bufferDiscarded.increment();
			_logger.error("redis-streams cluster: a buffered event for " + SafeText::escape(key)
				+ " could not be re-routed after a redirect");
		};
	}
	try
	{
		if (redirect.kind == ClusterRedirect::Kind::Ask)
		{
			done(asked(redirect, key, wire), nullptr);
			return;
		}
		_router->moved(redirect);
		// Queued on the new owner; it completes there.
		nodeFor(redirect.target)->publishAsync(key, wire, watching(std::move(done)));
	}
	catch (Poco::Exception& exc)
	{
		done(std::string(), std::make_exception_ptr(TransportException(exc.message())));
	}
}

std::string ClusterStreamPublisher::asked(const ClusterRedirect& redirect, const std::string& key, const std::string& wire)
{
	std::vector<Command> commands{StreamCommands::xadd(key, wire, _streams.maxLen, std::string())};
	if (_streams.waitReplicas > 0)
		commands.push_back(StreamCommands::wait(_streams.waitReplicas, _streams.waitTimeoutMs));
	std::vector<ReplyPtr> replies = _commander->asking(redirect.target, commands);
	const redisReply& added = *replies.front();
	if (added.type == REDIS_REPLY_ERROR)
	{
		const std::string text = RedisConnection::text(added);
		throw TransportException("redis " + redirect.target.describe() + " refused XADD after ASK: " + SafeText::escape(text));
	}
	if (_streams.waitReplicas > 0)
	{
		const std::string shortfall = StreamPublisher::replicationShortfall(redirect.target.describe(), *replies.back(), _streams);
		if (!shortfall.empty())
			throw TransportException(shortfall);
	}
	return RedisConnection::text(added);
}

StreamPublisher::Done ClusterStreamPublisher::watching(StreamPublisher::Done done)
{
	return [this, done = std::move(done)](const std::string& id, std::exception_ptr error) {
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
		done(id, error);
	};
}

std::string ClusterStreamPublisher::publish(const std::string& key, const std::string& wire)
{
	for (int hop = 0;; ++hop)
	{
		std::shared_ptr<StreamPublisher> node = nodeFor(_router->owner(key));
		try
		{
			return node->publish(key, wire);
		}
		catch (ClusterRedirectedError& exc)
		{
			_redirects.increment();
			if (exc.redirect().kind == ClusterRedirect::Kind::Ask)
				return asked(exc.redirect(), key, wire);
			_router->follow(exc, hop);
		}
		catch (AccessDeniedException&)
		{
			throw;
		}
		catch (OverflowException&)
		{
			throw;
		}
		catch (TransportException&)
		{
			_router->requestRefresh(); // unreachable or outcome unknown: the node may be gone
			throw;
		}
	}
}

void ClusterStreamPublisher::publishAsync(const std::string& key, const std::string& wire, StreamPublisher::Done done)
{
	nodeFor(_router->owner(key))->publishAsync(key, wire, watching(std::move(done)));
}

TransportHealth ClusterStreamPublisher::health()
{
	return _nodes.health(*_router);
}

} // namespace eventbus
