//
// StreamsTransport.cpp
//
#include "StreamsTransport.h"
#include "StreamConsumer.h"
#include "StreamPublisher.h"
#include "StreamsMetrics.h"
#include "RedisTransportSocket.h"
#include "SentinelLocator.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"

namespace eventbus {

StreamsTransport::StreamsTransport()
{
	// The socket is chosen in start(), by the URL: redis:// or rediss://.
}

StreamsTransport::StreamsTransport(RedisSocketFactory socketFactory)
	: _socketFactory(std::move(socketFactory))
{
}

StreamsTransport::~StreamsTransport()
{
	stop();
}

std::string StreamsTransport::name() const
{
	return "redis-streams";
}

bool StreamsTransport::isInProcess() const
{
	return false;
}

void StreamsTransport::start(const TransportContext& context)
{
	RedisSettings redis = RedisSettings::fromConfig(context.config);
	const StreamsSettings streams = StreamsSettings::fromConfig(context.config);
	RedisTransportSocket::refuseCluster(redis, "the redis-streams transport");
	// Before the lock: a TLS factory reads its CA, certificate and key files.
	const RedisSocketFactory socketFactory = RedisTransportSocket::choose(redis, context.env, _socketFactory,
		context.logger, "redis-streams");
	std::lock_guard<std::mutex> lock(_mutex);
	if (_started)
		throw TransportException("redis-streams transport already started");
	_started = true;
	_locator = RedisTransportSocket::follow(redis, socketFactory, context.logger);
	StreamsMetrics::describe(context.metrics);
	context.logger.information("redis-streams transport: " + RedisTransportSocket::describe(redis)
		+ ", consumer " + streams.consumer
		+ ", group " + streams.group + ", maxLen " + std::to_string(streams.maxLen)
		+ ", maxDeliveries " + std::to_string(streams.maxDeliveries)
		+ ", onOutage=" + RedisSettings::toString(redis.onOutage));
	_publisher = std::make_shared<StreamPublisher>(redis, streams, socketFactory, context.metrics, context.logger);
	_consumer = std::make_shared<StreamConsumer>(redis, streams, socketFactory, context.metrics, context.logger,
		context.redactor, context.listener);
	_consumer->start();
	_publisher->start();
}

void StreamsTransport::stop()
{
	std::shared_ptr<SentinelLocator> locator;
	std::shared_ptr<StreamPublisher> publisher;
	std::shared_ptr<StreamConsumer> consumer;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopped = true;
		publisher = _publisher;
		consumer = _consumer;
		locator = _locator;
	}
	// Outside the lock: all three join threads.
	if (consumer)
		consumer->stop();
	if (publisher)
		publisher->stop();
	if (locator)
		locator->stop();
}

std::shared_ptr<StreamPublisher> StreamsTransport::publisher() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_started || !_publisher)
		throw TransportException("redis-streams transport not started");
	if (_stopped)
		throw TransportException("redis-streams transport is stopped");
	return _publisher;
}

std::shared_ptr<StreamConsumer> StreamsTransport::consumer() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_started || !_consumer)
		throw TransportException("redis-streams transport not started");
	if (_stopped)
		throw TransportException("redis-streams transport is stopped");
	return _consumer;
}

void StreamsTransport::publish(const OutboundMessage& message)
{
	publisher()->publish(message.channel, message.wire);
}

std::string StreamsTransport::publishForId(const OutboundMessage& message)
{
	return publisher()->publish(message.channel, message.wire);
}

void StreamsTransport::publishAsync(const OutboundMessage& message, PublishCallback done)
{
	publisher()->publishAsync(message.channel, message.wire,
		[done](const std::string&, std::exception_ptr error) { done(error); });
}

std::uint64_t StreamsTransport::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	return consumer()->subscribe(subscription, std::move(callback));
}

void StreamsTransport::unsubscribe(std::uint64_t id)
{
	std::shared_ptr<StreamConsumer> consumer;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		consumer = _consumer;
	}
	if (consumer)
		consumer->unsubscribe(id); // idempotent, also after stop()
}

TransportHealth StreamsTransport::health()
{
	std::shared_ptr<SentinelLocator> locator;
	std::shared_ptr<StreamPublisher> publisher;
	std::shared_ptr<StreamConsumer> consumer;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_started)
			return {false, "redis-streams transport not started"};
		if (_stopped)
			return {false, "redis-streams transport is stopped"};
		publisher = _publisher;
		consumer = _consumer;
		locator = _locator;
	}
	TransportHealth published = publisher->health();
	TransportHealth consumed = consumer->health();
	TransportHealth health = !published.ready ? published : !consumed.ready ? consumed
		: TransportHealth{true, published.reason + "; " + consumed.reason};
	return RedisTransportSocket::withTopology(health, locator);
}

std::string StreamsTransport::consumerName() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _consumer ? _consumer->consumerName() : std::string();
}

} // namespace eventbus
