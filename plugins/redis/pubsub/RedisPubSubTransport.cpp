//
// RedisPubSubTransport.cpp
//
// The `redis` transport: settings checks at start, then a RedisPublisher and
// a RedisSubscriber sharing the socket factory.
//
#include "RedisPubSubTransport.h"
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
	_locator = RedisTransportSocket::follow(settings, socketFactory, context.logger);
	context.logger.information("redis transport: " + RedisTransportSocket::describe(settings)
		+ ", onOutage=" + RedisSettings::toString(settings.onOutage));
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
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopped = true;
		publisher = _publisher;
		subscriber = _subscriber;
		locator = _locator;
	}
	// Both are idempotent; outside the lock so a concurrent health() or
	// publish() is not stuck behind the joins.
	if (subscriber)
		subscriber->stop();
	if (publisher)
		publisher->stop();
	if (locator)
		locator->stop();
}

std::shared_ptr<RedisPublisher> RedisPubSubTransport::publisher() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_started || !_publisher)
		throw TransportException("redis transport not started");
	if (_stopped)
		throw TransportException("redis transport is stopped");
	return _publisher;
}

std::shared_ptr<RedisSubscriber> RedisPubSubTransport::subscriber() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_started || !_subscriber)
		throw TransportException("redis transport not started");
	if (_stopped)
		throw TransportException("redis transport is stopped");
	return _subscriber;
}

void RedisPubSubTransport::publish(const OutboundMessage& message)
{
	publisher()->publish(message.channel, message.wire);
}

void RedisPubSubTransport::publishAsync(const OutboundMessage& message, PublishCallback done)
{
	publisher()->publishAsync(message.channel, message.wire, std::move(done));
}

std::uint64_t RedisPubSubTransport::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	return subscriber()->subscribe(subscription, std::move(callback));
}

void RedisPubSubTransport::unsubscribe(std::uint64_t id)
{
	std::shared_ptr<RedisSubscriber> subscriber;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		subscriber = _subscriber;
	}
	// Idempotent, also after stop().
	if (subscriber)
		subscriber->unsubscribe(id);
}

TransportHealth RedisPubSubTransport::health()
{
	std::shared_ptr<SentinelLocator> locator;
	std::shared_ptr<RedisPublisher> publisher;
	std::shared_ptr<RedisSubscriber> subscriber;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_started)
			return {false, "redis transport not started"};
		if (_stopped)
			return {false, "redis transport is stopped"};
		publisher = _publisher;
		subscriber = _subscriber;
		locator = _locator;
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
