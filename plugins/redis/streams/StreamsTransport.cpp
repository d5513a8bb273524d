//
// StreamsTransport.cpp
//
#include "StreamsTransport.h"
#include "ClusterCommander.h"
#include "ClusterRouter.h"
#include "ClusterStreamConsumer.h"
#include "ClusterStreamPublisher.h"
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
	// Before the lock: a TLS factory reads its CA, certificate and key files.
	const RedisSocketFactory socketFactory = RedisTransportSocket::choose(redis, context.env, _socketFactory,
		context.logger, "redis-streams");
	std::lock_guard<std::mutex> lock(_mutex);
	if (_started)
		throw TransportException("redis-streams transport already started");
	_started = true;
	_consumerName = streams.consumer;
	StreamsMetrics::describe(context.metrics);
	context.logger.information("redis-streams transport: " + RedisTransportSocket::describe(redis)
		+ ", consumer " + streams.consumer
		+ ", group " + streams.group + ", maxLen " + std::to_string(streams.maxLen)
		+ ", maxDeliveries " + std::to_string(streams.maxDeliveries)
		+ ", onOutage=" + RedisSettings::toString(redis.onOutage));
	Workers& w = _workers;
	if (redis.topology.kind == RedisTopologyKind::Cluster)
	{
		w.router = std::make_shared<ClusterRouter>(redis, socketFactory, context.logger);
		w.commander = std::make_shared<ClusterCommander>(redis, socketFactory, w.router);
		w.clusterConsumer = std::make_shared<ClusterStreamConsumer>(redis, streams, socketFactory, context.metrics,
			context.logger, context.redactor, context.listener, w.router, w.commander);
		w.clusterPublisher = std::make_shared<ClusterStreamPublisher>(redis, streams, socketFactory, context.metrics,
			context.logger, w.router, w.commander);
		w.router->start();
		w.clusterConsumer->start();
		w.clusterPublisher->start();
		return;
	}
	w.locator = RedisTransportSocket::follow(redis, socketFactory, context.logger);
	w.publisher = std::make_shared<StreamPublisher>(redis, streams, socketFactory, context.metrics, context.logger);
	w.consumer = std::make_shared<StreamConsumer>(redis, streams, socketFactory, context.metrics, context.logger,
		context.redactor, context.listener);
	w.consumer->start();
	w.publisher->start();
}

void StreamsTransport::stop()
{
	Workers w;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopped = true;
		w = _workers;
	}
	// Outside the lock: all of them join threads. Consumers first: no
	// callback runs once they returned.
	if (w.consumer)
		w.consumer->stop();
	if (w.clusterConsumer)
		w.clusterConsumer->stop();
	if (w.publisher)
		w.publisher->stop();
	if (w.clusterPublisher)
		w.clusterPublisher->stop();
	if (w.locator)
		w.locator->stop();
	if (w.router)
		w.router->stop();
	if (w.commander)
		w.commander->close();
}

StreamsTransport::Workers StreamsTransport::running() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (!_started)
		throw TransportException("redis-streams transport not started");
	if (_stopped)
		throw TransportException("redis-streams transport is stopped");
	return _workers;
}

void StreamsTransport::publish(const OutboundMessage& message)
{
	publishForId(message);
}

std::string StreamsTransport::publishForId(const OutboundMessage& message)
{
	const Workers w = running();
	if (w.clusterPublisher)
		return w.clusterPublisher->publish(message.channel, message.wire);
	return w.publisher->publish(message.channel, message.wire);
}

void StreamsTransport::publishAsync(const OutboundMessage& message, PublishCallback done)
{
	const Workers w = running();
	auto completion = [done](const std::string&, std::exception_ptr error) { done(error); };
	if (w.clusterPublisher)
		w.clusterPublisher->publishAsync(message.channel, message.wire, completion);
	else
		w.publisher->publishAsync(message.channel, message.wire, completion);
}

std::uint64_t StreamsTransport::subscribe(const ChannelSubscription& subscription, DeliveryCallback callback)
{
	const Workers w = running();
	if (w.clusterConsumer)
		return w.clusterConsumer->subscribe(subscription, std::move(callback));
	return w.consumer->subscribe(subscription, std::move(callback));
}

void StreamsTransport::unsubscribe(std::uint64_t id)
{
	Workers w;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		w = _workers;
	}
	// Idempotent, also after stop().
	if (w.consumer)
		w.consumer->unsubscribe(id);
	if (w.clusterConsumer)
		w.clusterConsumer->unsubscribe(id);
}

TransportHealth StreamsTransport::health()
{
	Workers w;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_started)
			return {false, "redis-streams transport not started"};
		if (_stopped)
			return {false, "redis-streams transport is stopped"};
		w = _workers;
	}
	if (w.clusterPublisher)
	{
		TransportHealth published = w.clusterPublisher->health();
		// Ready: the consumer's names the map, the nodes and the consumer.
		return published.ready ? w.clusterConsumer->health() : published;
	}
	TransportHealth published = w.publisher->health();
	TransportHealth consumed = w.consumer->health();
	TransportHealth health = !published.ready ? published : !consumed.ready ? consumed
		: TransportHealth{true, published.reason + "; " + consumed.reason};
	return RedisTransportSocket::withTopology(health, w.locator);
}

std::string StreamsTransport::consumerName() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _consumerName;
}

} // namespace eventbus
