//
// Transport.h
//
// The plugin API: what a transport plugin implements and what the host
// hands it. Its identity carries the ABI version (inline namespace abi_v3),
// so Poco's manifest check rejects a plugin built against another one.
// Version 2: a delivery callback returns a DeliveryResult (ack/nack for
// durable transports), InboundMessage carries the transport's message id and
// delivery count, a subscription may name a consumer group.
// Version 3: Event::data is an EventData (text or object, the other built on
// first use); Transport::needsWire() lets a transport skip the encoding.
//
#pragma once

#include "eventbus/Event.h"
#include <Poco/Logger.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <utility>

/// The plugin API version this framework speaks. A plugin exports it through
/// EVENTBUS_PLUGIN (eventbusPluginApiVersion); the host refuses any other.
#define EVENTBUS_PLUGIN_API_VERSION 3

namespace eventbus {

class Metrics;
class Redactor;

inline namespace abi_v3 {

/// A message handed to the transport: the concrete channel, the event and
/// its CloudEvents JSON encoding (set unless the transport's needsWire() is
/// false).
struct OutboundMessage
{
	std::string channel;
	EventPtr event;
	std::string wire;
};

/// A message a transport received. Transports that cross a process boundary
/// (or the codec, like loopback) set `wire` and leave `event` null: the bus
/// decodes it. In-process transports may hand over the already-built event.
struct InboundMessage
{
	InboundMessage() = default;
	InboundMessage(std::string channel_, std::string wire_, EventPtr event_ = nullptr):
		channel(std::move(channel_)), wire(std::move(wire_)), event(std::move(event_)) {}

	std::string channel;
	std::string wire;
	EventPtr event;
	std::string id;                 ///< the transport's id of this message (a stream entry id), "" when it has none
	std::uint32_t deliveryCount = 1; ///< 1 on the first delivery, more when a durable transport redelivers
};

/// What became of one delivered message: the callback's answer to the
/// transport. A durable transport acknowledges Handled and Rejected and
/// redelivers Failed; an at-most-once transport may ignore it.
enum class DeliveryOutcome
{
	Handled,  ///< the handler returned
	Rejected, ///< dropped on purpose (malformed, forged, duplicate, stale, unsubscribed): never retry
	Failed    ///< the handler threw: retry later (and dead-letter after the transport's limit)
};

struct DeliveryResult
{
	DeliveryOutcome outcome = DeliveryOutcome::Handled;
	std::string reason; ///< why Rejected or Failed: a drop reason or the (redacted) handler error

	static DeliveryResult handled() { return DeliveryResult{}; }
	static DeliveryResult rejected(std::string why) { return DeliveryResult{DeliveryOutcome::Rejected, std::move(why)}; }
	static DeliveryResult failed(std::string why) { return DeliveryResult{DeliveryOutcome::Failed, std::move(why)}; }
};

/// Called by the transport for every message on a subscription, from the
/// transport's own thread(s). Must not be called after unsubscribe() or
/// stop() returned. Never throws.
using DeliveryCallback = std::function<DeliveryResult(const InboundMessage&)>;

/// What to subscribe to: a concrete channel, or (pattern = true) a glob the
/// framework built for an explicit cross-tenant scope.
struct ChannelSubscription
{
	ChannelSubscription() = default;
	ChannelSubscription(std::string channel_, bool pattern_ = false, std::string group_ = std::string()):
		channel(std::move(channel_)), pattern(pattern_), group(std::move(group_)) {}

	std::string channel;
	bool pattern = false;
	std::string group; ///< consumer group for a transport with groups ("" = its configured default); others ignore it
};

/// Completion of an asynchronous publish: null on success, else the error
/// (a TransportException or OverflowException).
using PublishCallback = std::function<void(std::exception_ptr error)>;

/// Readiness of a transport.
struct TransportHealth
{
	bool ready = false;
	std::string reason; ///< why not ready, or a short description when ready
};

/// Told by a transport when messages may have been lost (e.g. a reconnect
/// of a Pub/Sub connection).
class TransportListener
{
public:
	virtual ~TransportListener();
	virtual void onGap(const std::string& transport, const std::string& reason) = 0;
};

/// What the host hands a transport in start(). The references are valid only
/// during start(), except metrics, logger and redactor which outlive the transport.
struct TransportContext
{
	const Poco::Util::AbstractConfiguration& config; ///< full keys, e.g. eventbus.redis.url
	std::string env;
	std::string prefix;
	Metrics& metrics;
	Poco::Logger& logger;
	const Redactor& redactor;
	TransportListener* listener = nullptr;
};

/// A transport plugin. Every method may be called from any thread.
class Transport
{
public:
	virtual ~Transport();
	/// The name selected by eventbus.transport.
	virtual std::string name() const = 0;
	/// True for in-process transports (memory, loopback), which the env
	/// policy eventbus.policy.inMemoryEnvs restricts.
	virtual bool isInProcess() const = 0;
	/// False for a transport that never reads OutboundMessage::wire (memory
	/// hands the event itself over): the bus then does not encode it and
	/// leaves `wire` empty. The default is true.
	virtual bool needsWire() const;
	/// Reads the transport's configuration and connects. Throws ConfigException
	/// for bad keys; a transport may start not ready (health() says why).
	virtual void start(const TransportContext& context) = 0;
	/// Stops delivery and releases connections; idempotent. After it returns
	/// no callback runs.
	virtual void stop() = 0;
	/// Sends one message. Throws TransportException (or OverflowException)
	/// when it cannot; never blocks without bound. The bus counts every failure
	/// in eventbus_publish_failures_total (reason "overflow" for an
	/// OverflowException, else "transport"): a transport need not count them.
	virtual void publish(const OutboundMessage& message) = 0;
	/// Sends one message without waiting for the server's confirmation, keeping
	/// the order of the calls; `done` is called exactly once, from any thread,
	/// possibly before this returns. Throws (and does not call `done`) only when
	/// the message cannot even be queued. The default calls publish(), then done.
	/// `message` stays valid and unchanged until `done` is called (or until
	/// this throws): a transport may queue references to its strings instead
	/// of copies, and must not use them once it has called `done`.
	virtual void publishAsync(const OutboundMessage& message, PublishCallback done);
	/// Starts delivering messages of the channel to the callback; returns an id > 0.
	virtual std::uint64_t subscribe(const ChannelSubscription& subscription, DeliveryCallback callback) = 0;
	/// Stops the subscription; idempotent. Once it returns, the callback is not
	/// called again unless called from inside that callback.
	virtual void unsubscribe(std::uint64_t id) = 0;
	/// Readiness, e.g. a PING answered for Redis.
	virtual TransportHealth health() = 0;
};

} // inline namespace abi_v3
} // namespace eventbus
