//
// StreamsTransport.h
//
// The `redis-streams` transport plugin: durable, at-least-once delivery on
// Redis Streams with consumer groups, on the plugin's shared Redis core.
//
#pragma once

#include "RedisSettings.h"
#include "RedisSocket.h"
#include "StreamsSettings.h"
#include "eventbus/Transport.h"
#include <memory>
#include <mutex>

namespace eventbus {

class SentinelLocator;
class ClusterRouter;
class ClusterCommander;
class ClusterStreamPublisher;
class ClusterStreamConsumer;

class StreamPublisher;
class StreamConsumer;

/// The stream key is the canonical channel. Publish is XADD (field `e` =
/// the CloudEvents JSON) with bounded retention; each subscription joins a
/// consumer group (ChannelSubscription::group, else
/// eventbus.redis.streams.group) as this process's consumer; an entry is
/// acknowledged after its callback returned Handled or Rejected, retried
/// with backoff after Failed, and moved to {channel}:dlq after maxDeliveries.
/// Configured by eventbus.redis.* and eventbus.redis.streams.* (docs/runbook.md).
class StreamsTransport : public Transport
{
public:
	/// Plain TCP for redis://, TLS for rediss://.
	StreamsTransport();
	/// With another socket (tests), whatever the URL's scheme.
	explicit StreamsTransport(RedisSocketFactory socketFactory);
	~StreamsTransport() override;

	std::string name() const override;
	bool isInProcess() const override;
	void start(const TransportContext& context) override;
	void stop() override;
	void publish(const OutboundMessage& message) override;
	/// Pipelined: queued in call order and sent up to eventbus.redis.pipeline.maxBatch per round trip.
	void publishAsync(const OutboundMessage& message, PublishCallback done) override;
	std::uint64_t subscribe(const ChannelSubscription& subscription, DeliveryCallback callback) override;
	void unsubscribe(std::uint64_t id) override;
	/// Ready when the publisher's connection answers and the reader is
	/// connected with every consumer group created.
	TransportHealth health() override;

	/// XADD and return the stream entry id (what publish() does, with the id).
	std::string publishForId(const OutboundMessage& message);
	/// The consumer name this transport reads as ("" before start()).
	std::string consumerName() const;

private:
	/// What start() made: a publisher and a consumer, or their cluster forms.
	struct Workers
	{
		std::shared_ptr<SentinelLocator> locator; ///< Sentinel mode only
		std::shared_ptr<StreamPublisher> publisher;
		std::shared_ptr<StreamConsumer> consumer;
		std::shared_ptr<ClusterRouter> router; ///< cluster mode only, with the three below
		std::shared_ptr<ClusterCommander> commander;
		std::shared_ptr<ClusterStreamPublisher> clusterPublisher;
		std::shared_ptr<ClusterStreamConsumer> clusterConsumer;
	};
	/// The workers of a running transport; throws TransportException before start() and after stop().
	Workers running() const;

	RedisSocketFactory _socketFactory;
	mutable std::mutex _mutex;
	Workers _workers;
	std::string _consumerName;
	bool _started = false;
	bool _stopped = false;
};

} // namespace eventbus
