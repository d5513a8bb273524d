//
// RedisPubSubTransport.h
//
// The `redis` transport: Redis Pub/Sub on the canonical channels, built on
// the shared Redis core (core/).
//
#pragma once

#include "RedisSettings.h"
#include "RedisSocket.h"
#include "eventbus/Transport.h"
#include <memory>
#include <mutex>

namespace eventbus {

class ClusterPublisher;
class ClusterRouter;
class ClusterSubscriber;
class RedisPublisher;
class RedisSubscriber;
class SentinelLocator;

/// Publishes with PUBLISH on one connection and subscribes on a dedicated
/// one read by its own thread. Configured by the eventbus.redis.* keys (see
/// docs/runbook.md). Pub/Sub keeps nothing: messages published while the
/// subscriber is disconnected are lost, and the reconnect reports a gap.
/// On a Redis Cluster (eventbus.redis.cluster.nodes) it uses sharded Pub/Sub:
/// SPUBLISH and SSUBSCRIBE on the node owning each channel's slot.
class RedisPubSubTransport : public Transport
{
public:
	/// Plain TCP for redis://, TLS (TlsRedisSocket) for rediss://.
	RedisPubSubTransport();
	/// With another socket (tests), whatever the URL's scheme.
	explicit RedisPubSubTransport(RedisSocketFactory socketFactory);
	~RedisPubSubTransport() override;

	std::string name() const override;
	bool isInProcess() const override;
	void start(const TransportContext& context) override;
	void stop() override;
	void publish(const OutboundMessage& message) override;
	/// Pipelined: queued in call order and sent up to 128 per round trip.
	void publishAsync(const OutboundMessage& message, PublishCallback done) override;
	std::uint64_t subscribe(const ChannelSubscription& subscription, DeliveryCallback callback) override;
	void unsubscribe(std::uint64_t id) override;
	TransportHealth health() override;

private:
	/// What the methods use, taken under the lock and used without it: the
	/// standalone/Sentinel pair or the cluster pair (the others null).
	struct Workers
	{
		std::shared_ptr<SentinelLocator> locator;
		std::shared_ptr<RedisPublisher> publisher;
		std::shared_ptr<RedisSubscriber> subscriber;
		std::shared_ptr<ClusterRouter> router;
		std::shared_ptr<ClusterPublisher> clusterPublisher;
		std::shared_ptr<ClusterSubscriber> clusterSubscriber;
	};
	Workers workers() const;
	/// workers(), throwing TransportException unless started and not stopped.
	Workers running() const;

	RedisSocketFactory _socketFactory; // empty: chosen by the URL in start()
	mutable std::mutex _mutex;
	std::shared_ptr<SentinelLocator> _locator; ///< Sentinel mode only
	std::shared_ptr<RedisPublisher> _publisher;
	std::shared_ptr<RedisSubscriber> _subscriber;
	std::shared_ptr<ClusterRouter> _router; ///< Cluster mode only, with the two below instead of the two above
	std::shared_ptr<ClusterPublisher> _clusterPublisher;
	std::shared_ptr<ClusterSubscriber> _clusterSubscriber;
	bool _started = false;
	bool _stopped = false;
};

} // namespace eventbus
