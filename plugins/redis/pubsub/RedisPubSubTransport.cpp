//
// RedisPubSubTransport.cpp
//
// The `redis` transport: settings checks at start, then a RedisPublisher and
// a RedisSubscriber sharing the socket factory.
//
#include "RedisPubSubTransport.h"
#include "RedisPublisher.h"
#include "RedisSubscriber.h"
#include "TlsRedisSocket.h"
#include "eventbus/Exceptions.h"
#include <Poco/Net/IPAddress.h>
#include <Poco/String.h>

namespace eventbus {

namespace {

/// 127.0.0.0/8, ::1 or "localhost": traffic that never leaves the host. No DNS
/// look-up: another name counts as remote.
bool isLoopback(const std::string& host)
{
	if (Poco::icompare(host, "localhost") == 0)
		return true;
	Poco::Net::IPAddress address;
	return Poco::Net::IPAddress::tryParse(host, address) && address.isLoopback();
}

} // namespace

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
	const RedisSettings settings = RedisSettings::fromConfig(context.config);
	const RedisEndpoint& endpoint = settings.endpoint;
	const bool production = context.env == "production";
	if (endpoint.tls && !settings.tls.verify && production)
	{
		throw ConfigException(std::string(RedisTlsSettings::VerifyKey) + "=false is refused in env production: "
			"trust the server's CA with " + RedisTlsSettings::CaFileKey + " instead");
	}
	// Loads the CA file, client certificate and key now: a bad file fails start().
	RedisSocketFactory socketFactory = _socketFactory;
	if (!socketFactory && endpoint.tls)
		socketFactory = TlsRedisSocket::factory(settings);
	if (!socketFactory)
		socketFactory = []() { return std::unique_ptr<RedisSocket>(new PlainRedisSocket); };

	std::lock_guard<std::mutex> lock(_mutex);
	if (_started)
		throw TransportException("redis transport already started");
	_started = true;
	std::string security;
	if (endpoint.tls)
	{
		security = ", TLS (server name " + settings.tls.serverName
			+ (settings.tls.caFile.empty() ? ", system CAs" : ", CA file " + settings.tls.caFile)
			+ (settings.tls.certFile.empty() ? "" : ", client certificate") + ")";
	}
	context.logger.information("redis transport: " + endpoint.describe() + " db " + std::to_string(endpoint.db)
		+ (endpoint.password.empty() ? "" : ", with AUTH") + security
		+ ", onOutage=" + RedisSettings::toString(settings.onOutage));
	if (endpoint.tls && !settings.tls.verify)
	{
		context.logger.warning("redis transport: " + std::string(RedisTlsSettings::VerifyKey) + "=false: the certificate of "
			+ endpoint.describe() + " is not checked; anyone on the path can read and change the traffic");
	}
	if (!endpoint.tls && production && !isLoopback(endpoint.host))
	{
		context.logger.warning("redis transport: " + std::string(RedisSettings::UrlKey) + " is redis:// to "
			+ endpoint.describe() + " in env production: events" + (endpoint.password.empty() ? "" : " and the AUTH password")
			+ " cross the network unencrypted; use rediss:// (see docs/security.md, TLS to Redis)");
	}
	_publisher = std::make_shared<RedisPublisher>(settings, socketFactory, context.metrics, context.logger);
	_subscriber = std::make_shared<RedisSubscriber>(settings, socketFactory, context.metrics, context.logger,
		context.redactor, context.listener);
	_subscriber->start();
	_publisher->start();
}

void RedisPubSubTransport::stop()
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
