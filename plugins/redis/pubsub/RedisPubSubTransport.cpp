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
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopped = true;
	}
	const Workers workers = this->workers();
	// All are idempotent; outside the lock so a concurrent health() or
	// publish() is not stuck behind the joins.
	if (workers.subscriber)
		workers.subscriber->stop();
	if (workers.publisher)
		workers.publisher->stop();
	if (workers.clusterSubscriber)
		workers.clusterSubscriber->stop();
	if (workers.clusterPublisher)
		workers.clusterPublisher->stop();
	if (workers.router)
		workers.router->stop();
	if (workers.locator)
		workers.locator->stop();
}

RedisPubSubTransport::Workers RedisPubSubTransport::workers() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return Workers{_locator, _publisher, _subscriber, _router, _clusterPublisher, _clusterSubscriber};
}

RedisPubSubTransport::Workers RedisPubSubTransport::running() const
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_started)
			throw TransportException("redis transport not started");
		if (_stopped)
			throw TransportException("redis transport is stopped");
	}
	return workers();
}

void RedisPubSubTransport::publish(const OutboundMessage& message)
{
	const Workers workers = running();
	if (workers.clusterPublisher)
		workers.clusterPublisher->publish(message.channel, message.wire);
	else
		workers.publisher->publish(message.channel, message.wire);
}

void RedisPubSubTransport::publishAsync(const OutboundMessage& message, PublishCallback done)
{
	const Workers workers = running();
	if (workers.clusterPublisher)
		workers.clusterPublisher->publishAsync(message.channel, message.wire, std::move(done));
	else
		workers.publisher->publishAsync(message.channel, message.wire, std::move(done), false, true);
}

std::uint64_t RedisPubSubTransport::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	const Workers workers = running();
	if (workers.clusterSubscriber)
		return workers.clusterSubscriber->subscribe(subscription, std::move(callback));
	return workers.subscriber->subscribe(subscription, std::move(callback));
}

void RedisPubSubTransport::unsubscribe(std::uint64_t id)
{
	// Idempotent, also after stop().
	const Workers workers = this->workers();
	if (workers.clusterSubscriber)
		workers.clusterSubscriber->unsubscribe(id);
	else if (workers.subscriber)
		workers.subscriber->unsubscribe(id);
}

TransportHealth RedisPubSubTransport::health()
{
	Workers workers;
	try
	{
		workers = running();
	}
	catch (TransportException& exc)
	{
		return {false, exc.message()};
	}
	if (workers.clusterPublisher)
	{
		TransportHealth health = workers.clusterPublisher->health();
		if (!health.ready)
			return health;
		return workers.clusterSubscriber->health();
	}
	TransportHealth health = workers.publisher->health();
	if (health.ready)
	{
		TransportHealth subscribed = workers.subscriber->health();
		if (!subscribed.ready)
			health = subscribed;
	}
	return RedisTransportSocket::withTopology(health, workers.locator);
}

} // namespace eventbus
