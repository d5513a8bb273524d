//
// RedisPubSubTransport.cpp
//
// The `redis` transport: settings checks at start, then a RedisPublisher and
// a RedisSubscriber sharing the socket factory.
//
#include "RedisPubSubTransport.h"
#include "ClusterPublisher.h"
#include "ClusterRouter.h"
#include "ClusterSubscriber.h"
#include "RedisPublisher.h"
#include "RedisSubscriber.h"
#include "RedisTransportSocket.h"
#include "SentinelLocator.h"
#include "eventbus/Exceptions.h"

namespace eventbus {

RedisPubSubTransport::RedisPubSubTransport()
{
	// The socket is chosen in start(), by the URL: redis:// or rediss://.
}

RedisPubSubTransport::RedisPubSubTransport(RedisSocketFactory socketFactory)
	: _socketFactory(std::move(socketFactory))
{
}

RedisPubSubTransport::~RedisPubSubTransport()
{
	stop();
}

std::string RedisPubSubTransport::name() const
{
	return "redis";
}

bool RedisPubSubTransport::isInProcess() const
{
	return false;
}

void RedisPubSubTransport::start(const TransportContext& context)
{
	RedisSettings settings = RedisSettings::fromConfig(context.config);
	// Before the lock: a TLS factory reads its CA, certificate and key files.
	const RedisSocketFactory socketFactory = RedisTransportSocket::choose(settings, context.env, _socketFactory,
		context.logger, "redis");
	std::lock_guard<std::mutex> lock(_mutex);
	if (_started)
		throw TransportException("redis transport already started");
	_started = true;
	context.logger.information("redis transport: " + RedisTransportSocket::describe(settings)
		+ ", onOutage=" + RedisSettings::toString(settings.onOutage));
	if (settings.topology.kind == RedisTopologyKind::Cluster)
	{
		_router = std::make_shared<ClusterRouter>(settings, socketFactory, context.logger);
		_clusterSubscriber = std::make_shared<ClusterSubscriber>(settings, socketFactory, context.metrics, context.logger,
			context.redactor, context.listener, _router);
		_clusterPublisher = std::make_shared<ClusterPublisher>(settings, socketFactory, context.metrics, context.logger, _router);
		_router->start();
		_clusterSubscriber->start();
		_clusterPublisher->start();
		return;
	}
	_locator = RedisTransportSocket::follow(settings, socketFactory, context.logger);
	_publisher = std::make_shared<RedisPublisher>(settings, socketFactory, context.metrics, context.logger);
	_subscriber = std::make_shared<RedisSubscriber>(settings, socketFactory, context.metrics, context.logger,
		context.redactor, context.listener);
	_subscriber->start();
	_publisher->start();
}

void RedisPubSubTransport::stop()
{
	std::shared_ptr<SentinelLocator> locator;
	std::shared_ptr<RedisPublisher> publisher;
	std::shared_ptr<RedisSubscriber> subscriber;
	std::shared_ptr<ClusterRouter> router;
	std::shared_ptr<ClusterPublisher> clusterPublisher;
	std::shared_ptr<ClusterSubscriber> clusterSubscriber;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopped = true;
		publisher = _publisher;
		subscriber = _subscriber;
		locator = _locator;
		router = _router;
		clusterPublisher = _clusterPublisher;
		clusterSubscriber = _clusterSubscriber;
	}
	// All are idempotent; outside the lock so a concurrent health() or
	// publish() is not stuck behind the joins.
	if (subscriber)
		subscriber->stop();
	if (publisher)
		publisher->stop();
	if (clusterSubscriber)
		clusterSubscriber->stop();
	if (clusterPublisher)
		clusterPublisher->stop();
	if (router)
		router->stop();
	if (locator)
		locator->stop();
}

void RedisPubSubTransport::checkRunningLocked() const
{
	if (!_started)
		throw TransportException("redis transport not started");
	if (_stopped)
		throw TransportException("redis transport is stopped");
}

void RedisPubSubTransport::publish(const OutboundMessage& message)
{
	std::shared_ptr<RedisPublisher> publisher;
	std::shared_ptr<ClusterPublisher> clusterPublisher;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		checkRunningLocked();
		publisher = _publisher;
		clusterPublisher = _clusterPublisher;
	}
	if (clusterPublisher)
		clusterPublisher->publish(message.channel, message.wire);
	else
		publisher->publish(message.channel, message.wire);
}

void RedisPubSubTransport::publishAsync(const OutboundMessage& message, PublishCallback done)
{
	std::shared_ptr<RedisPublisher> publisher;
	std::shared_ptr<ClusterPublisher> clusterPublisher;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		checkRunningLocked();
		publisher = _publisher;
		clusterPublisher = _clusterPublisher;
	}
	if (clusterPublisher)
		clusterPublisher->publishAsync(message.channel, message.wire, std::move(done));
	else
		publisher->publishAsync(message.channel, message.wire, std::move(done));
}

std::uint64_t RedisPubSubTransport::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	std::shared_ptr<RedisSubscriber> subscriber;
	std::shared_ptr<ClusterSubscriber> clusterSubscriber;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		checkRunningLocked();
		subscriber = _subscriber;
		clusterSubscriber = _clusterSubscriber;
	}
	if (clusterSubscriber)
		return clusterSubscriber->subscribe(subscription, std::move(callback));
	return subscriber->subscribe(subscription, std::move(callback));
}

void RedisPubSubTransport::unsubscribe(std::uint64_t id)
{
	std::shared_ptr<RedisSubscriber> subscriber;
	std::shared_ptr<ClusterSubscriber> clusterSubscriber;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		subscriber = _subscriber;
		clusterSubscriber = _clusterSubscriber;
	}
	// Idempotent, also after stop().
	if (clusterSubscriber)
		clusterSubscriber->unsubscribe(id);
	else if (subscriber)
		subscriber->unsubscribe(id);
}

TransportHealth RedisPubSubTransport::health()
{
	std::shared_ptr<SentinelLocator> locator;
	std::shared_ptr<RedisPublisher> publisher;
	std::shared_ptr<RedisSubscriber> subscriber;
	std::shared_ptr<ClusterPublisher> clusterPublisher;
	std::shared_ptr<ClusterSubscriber> clusterSubscriber;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_started)
			return {false, "redis transport not started"};
		if (_stopped)
			return {false, "redis transport is stopped"};
		publisher = _publisher;
		subscriber = _subscriber;
		locator = _locator;
		clusterPublisher = _clusterPublisher;
		clusterSubscriber = _clusterSubscriber;
	}
	if (clusterPublisher)
	{
		TransportHealth health = clusterPublisher->health();
		if (!health.ready)
			return health;
		return clusterSubscriber->health();
	}
	TransportHealth health = publisher->health();
	if (health.ready)
	{
		TransportHealth subscribed = subscriber->health();
		if (!subscribed.ready)
			health = subscribed;
	}
	return RedisTransportSocket::withTopology(health, locator);
}

} // namespace eventbus
