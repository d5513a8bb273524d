//
// EventBusImpl.h
//
// The bus's private state, shared by its three paths: publish
// (PublishPath.cpp), delivery (DeliveryPath.cpp) and the subscription
// registry (Subscriptions.cpp); EventBus.cpp starts and closes it.
//
#pragma once

#include "eventbus/CallbackGate.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/EventBus.h"
#include "eventbus/RateLimitedLog.h"
#include "eventbus/middleware/MiddlewareChain.h"
#include <Poco/Logger.h>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace eventbus {

/// A subscription as the bus tracks it. Its gate gives unsubscribe its
/// promise whatever the transport does: once unsubscribe returns, no
/// delivery of it runs and none starts.
struct Subscription
{
	SubscriptionToken token = 0;
	std::string topic;
	TenantScope scope = TenantScope::allTenants();
	Handler handler;
	std::string channel;
	bool pattern = false;
	std::uint64_t transportId = 0;
	CallbackGate gate;
};

using SubscriptionPtr = std::shared_ptr<Subscription>;

/// The event whose handler runs on this thread (null outside handlers): what
/// a handler publishes inherits its correlation id.
const Event* currentlyHandledEvent();

struct EventBus::Impl: public TransportListener
{
	BusSettings settings;
	Metrics metrics;
	Redactor redactor;
	Poco::Logger& logger;
	std::shared_ptr<Transport> transport;
	std::string transportName;
	MiddlewareChain chain;
	/// The redactor the chain's redaction middleware counts with, when the
	/// chain has one: a payload is counted in the walk that checks its text
	/// (published as text) or writes it (published as an object).
	const Redactor* redactionCounter = nullptr;
	std::unique_ptr<EnvelopeSigner> signer;
	std::size_t maxEnvelopeBytes;

	std::mutex mutex;
	std::map<SubscriptionToken, SubscriptionPtr> subscriptions;
	GapListener gapListener;
	std::atomic<SubscriptionToken> nextToken{1};
	std::atomic<bool> closed{false};

	Counter& handlerErrors;
	Counter* malformed = nullptr;
	/// "dropped malformed message": the first few, then counted summaries
	/// (anyone who can publish on a channel could otherwise flood the log).
	RateLimitedLog malformedLog{logger};

	explicit Impl(const BusSettings& s);

	/// Checks the env policy, builds signer and chain, starts the transport.
	void start(const Poco::Util::AbstractConfiguration& config, std::shared_ptr<Transport> t);
	void onGap(const std::string& name, const std::string& reason) override;

	/// Delivery path: decode, verify, chain, scope check, handler.
	DeliveryResult deliver(const SubscriptionPtr& sub, const InboundMessage& message);
	/// Counts a drop by reason and logs it (wire text through the redactor).
	void drop(const std::string& reason, const std::string& channel, const std::string& detail);

	/// Subscription registry.
	SubscriptionToken subscribe(const std::string& topic, Handler handler, const TenantScope& scope,
		const SubscribeOptions& options);
	void unsubscribe(SubscriptionToken token);
};

} // namespace eventbus
