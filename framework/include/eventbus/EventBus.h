//
// EventBus.h
//
// The bus: publish / subscribe / unsubscribe through the middleware chain and
// the transport selected by configuration.
//
#pragma once

#include "eventbus/BusSettings.h"
#include "eventbus/EventPublisher.h"
#include "eventbus/Metrics.h"
#include "eventbus/Middleware.h"
#include "eventbus/Redactor.h"
#include "eventbus/TenantScope.h"
#include "eventbus/Transport.h"
#include <Poco/Util/AbstractConfiguration.h>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

namespace eventbus {

/// A handler gets each event of its subscription. If it throws, the error
/// is counted and logged (redacted) and delivery goes on.
using Handler = std::function<void(const Event&)>;

/// Identifies a subscription; 0 is never a valid token.
using SubscriptionToken = std::uint64_t;

/// Optional attributes of a publish.
struct PublishOptions
{
	/// Empty: inherited from the event being handled on this thread, else a fresh UUID.
	std::string correlationId;
	/// A retried publish with the same key is delivered at most once per
	/// subscription within the idempotency window (extension `idempotencykey`),
	/// although each retry gets a fresh message id. Printable ASCII, at most 128.
	std::string idempotencyKey;
};

/// Optional attributes of a subscription.
struct SubscribeOptions
{
	/// The consumer group, on a transport with groups (redis-streams): every
	/// group gets each event once, the subscriptions of one group (in any
	/// process) share its events. Empty: the transport's configured default.
	/// 1-64 of A-Z a-z 0-9 . _ -; transports without groups ignore it.
	std::string group;
};

/// Called when the transport reports that messages may have been lost.
using GapListener = std::function<void(const std::string& transport, const std::string& reason)>;

class EventBus : public EventPublisher
{
public:
	/// Reads the settings, loads the transport plugin named by eventbus.transport
	/// from eventbus.plugins.path, enforces the env policy and starts the
	/// transport. Throws ConfigException, PluginException or PolicyException.
	explicit EventBus(const Poco::Util::AbstractConfiguration& config);

	/// The same with a transport the caller made (tests, custom hosts).
	EventBus(const Poco::Util::AbstractConfiguration& config, std::shared_ptr<Transport> transport);

	/// Closes the bus.
	~EventBus() override;

	EventBus(const EventBus&) = delete;
	EventBus& operator=(const EventBus&) = delete;

	using EventPublisher::publish;
	Receipt publish(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
		const std::string& tenantId, const std::string& correlationId = "") override;
	Receipt publish(const std::string& topic, const std::string& payloadJson,
		const std::string& tenantId, const std::string& correlationId = "") override;

	/// Publishes with options (idempotency key, correlation id).
	Receipt publish(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
		const std::string& tenantId, const PublishOptions& options);
	Receipt publish(const std::string& topic, const std::string& payloadJson,
		const std::string& tenantId, const PublishOptions& options);

	/// Publishes without waiting for the transport's confirmation (Redis
	/// pipelines these). Invalid input is refused here, with the same
	/// exceptions as publish(), before anything is sent; the future holds the
	/// receipt, or the transport's error. Calls from one thread keep their order.
	std::future<Receipt> publishAsync(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
		const std::string& tenantId, const std::string& correlationId = "");
	std::future<Receipt> publishAsync(const std::string& topic, const std::string& payloadJson,
		const std::string& tenantId, const std::string& correlationId = "");

	/// Called once per publishAsync with the receipt, or with the transport's
	/// error (and an empty receipt). It runs on the transport's thread (or
	/// the caller's, for an in-process transport): keep it short, never block
	/// in it on the bus.
	using PublishDone = std::function<void(const Receipt& receipt, std::exception_ptr error)>;

	/// The same without a future: `done` gets the outcome, so a caller
	/// pipelining many events pays no promise and no wake-up per event.
	/// Invalid input and a full buffer throw here, as above, and then `done`
	/// is not called.
	void publishAsync(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
		const std::string& tenantId, PublishDone done, const std::string& correlationId = "");
	void publishAsync(const std::string& topic, const std::string& payloadJson,
		const std::string& tenantId, PublishDone done, const std::string& correlationId = "");

	/// Subscribes the handler to the topic within the scope. A cross-tenant
	/// scope is refused (PolicyException naming eventbus.security.allowCrossTenant)
	/// unless allowed. Returns a token > 0.
	SubscriptionToken subscribe(const std::string& topic, Handler handler, const TenantScope& scope);

	/// The same with options (a consumer group); a bad group name is refused
	/// with a ValidationException naming the field "group".
	SubscriptionToken subscribe(const std::string& topic, Handler handler, const TenantScope& scope,
		const SubscribeOptions& options);

	/// Idempotent. Once it returns, the handler is not called again; called
	/// from inside the handler it does not wait for that handler to return.
	void unsubscribe(SubscriptionToken token);

	/// Readiness of the transport.
	TransportHealth health();

	/// Unsubscribes everything and stops the transport; idempotent. A
	/// transport that buffers during an outage (Redis, onOutage=buffer)
	/// flushes within its command timeout here; events it still had to
	/// discard are counted in metrics() as Metrics::Dropped with labels
	/// {transport=<name>, reason="buffer-discarded"}: a caller that must know
	/// whether its events were sent compares that counter before and after.
	void close();

	void setGapListener(GapListener listener);

	const BusSettings& settings() const;
	Metrics& metrics();
	const Redactor& redactor() const;
	/// The transport, for diagnostics and tests.
	Transport& transport();
	/// Names of the middleware in chain order.
	std::vector<std::string> middlewareNames() const;

	/// The channel an event of this tenant and topic travels on.
	std::string channelFor(const std::string& tenantId, const std::string& topic) const;

private:
	struct Impl;
	struct PendingPublish;
	/// `owned`: the bus made the data itself from the caller's text, no caller
	/// holds it (an in-process transport may hand it to handlers as it is).
	/// `namesChecked`: the caller validated topic and tenant already.
	std::shared_ptr<PendingPublish> prepare(const std::string& topic, const EventData& payload,
		const std::string& tenantId, const PublishOptions& options, bool owned = false, bool namesChecked = false);
	/// prepare() of a payload published as text: names, then the payload.
	std::shared_ptr<PendingPublish> prepareText(const std::string& topic, const std::string& payloadJson,
		const std::string& tenantId, const PublishOptions& options);
	Receipt send(PendingPublish& pending);
	void sendAsync(const std::shared_ptr<PendingPublish>& pending, PublishDone done);
	void complete(PendingPublish& pending, const std::exception_ptr& error);
	std::shared_ptr<Impl> _impl;
};

} // namespace eventbus
