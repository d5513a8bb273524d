//
// RedisTransport.cpp
//
#include "RedisTransport.h"
#include "RedisPublisher.h"
#include "RedisSubscriber.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Plugin.h"

namespace eventbus {

RedisTransport::RedisTransport()
	: RedisTransport([]() { return std::unique_ptr<RedisSocket>(new PlainRedisSocket); })
{
}

RedisTransport::RedisTransport(RedisSocketFactory socketFactory)
	: _socketFactory(std::move(socketFactory))
{
}

RedisTransport::~RedisTransport()
{
	stop();
}

std::string RedisTransport::name() const
{
	return "redis";
}

bool RedisTransport::isInProcess() const
{
	return false;
}

void RedisTransport::start(const TransportContext& context)
{
	const RedisSettings settings = RedisSettings::fromConfig(context.config);
	std::lock_guard<std::mutex> lock(_mutex);
	if (_started)
		throw TransportException("redis transport already started");
	_started = true;
	context.logger.information("redis transport: " + settings.endpoint.describe() + " db "
		+ std::to_string(settings.endpoint.db) + (settings.endpoint.password.empty() ? "" : ", with AUTH")
		+ ", onOutage=" + RedisSettings::toString(settings.onOutage));
	_publisher = std::make_shared<RedisPublisher>(settings, _socketFactory, context.metrics, context.logger);
	_subscriber = std::make_shared<RedisSubscriber>(settings, _socketFactory, context.metrics, context.logger,
		context.redactor, context.listener);
	_subscriber->start();
	_publisher->start();
}

void RedisTransport::stop()
{
	std::shared_ptr<RedisPublisher> publisher;
	std::shared_ptr<RedisSubscriber> subscriber;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopped = true;
		publisher = _publisher;
		subscriber = _subscriber;
	}
	// Both are idempotent; outside the lock so a concurrent health() or
	// publish() is not stuck behind the joins.
	if (subscriber)
		subscriber->stop();
	if (publisher)
		publisher->stop();
}

std::shared_ptr<RedisPublisher> RedisTransport::publisher() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_started || !_publisher)
		throw TransportException("redis transport not started");
	if (_stopped)
		throw TransportException("redis transport is stopped");
	return _publisher;
}

std::shared_ptr<RedisSubscriber> RedisTransport::subscriber() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_started || !_subscriber)
		throw TransportException("redis transport not started");
	if (_stopped)
		throw TransportException("redis transport is stopped");
	return _subscriber;
}

void RedisTransport::publish(const OutboundMessage& message)
{
	publisher()->publish(message.channel, message.wire);
}

void RedisTransport::publishAsync(const OutboundMessage& message, PublishCallback done)
{
	publisher()->publishAsync(message.channel, message.wire, std::move(done));
}

std::uint64_t RedisTransport::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	return subscriber()->subscribe(subscription, std::move(callback));
}

void RedisTransport::unsubscribe(std::uint64_t id)
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

TransportHealth RedisTransport::health()
{
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
	}
	TransportHealth health = publisher->health();
	if (!health.ready)
		return health;
	TransportHealth subscribed = subscriber->health();
	if (!subscribed.ready)
		return subscribed;
	return health;
}

} // namespace eventbus

EVENTBUS_PLUGIN(eventbus::RedisTransport, "redis")
