//
// EventBus.cpp
//
#include "eventbus/EventBus.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/ConfigAudit.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/PluginHost.h"
#include "eventbus/middleware/MiddlewareChain.h"
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

namespace eventbus {

namespace {

const std::size_t MaxCorrelationIdLength = 128;

void validateToken(const char* field, const std::string& value)
{
	if (value.size() > MaxCorrelationIdLength)
		throw ValidationException(std::string(field) + ": longer than 128 characters");
	for (char c : value)
		if (c <= ' ' || c > '~')
			throw ValidationException(std::string(field) + ": only printable ASCII without spaces is allowed");
}

std::string join(const std::vector<std::string>& items)
{
	std::string out;
	for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
	return out;
}

// A subscription as the bus tracks it. `active`, `inflight` and `callers`
// give unsubscribe its guarantee: once it returns, the handler is not
// running and will not run again, unless unsubscribe was called from
// inside the handler itself (then it must not wait for itself).
struct Subscription
{
	SubscriptionToken token = 0;
	std::string topic;
	TenantScope scope = TenantScope::allTenants();
	Handler handler;
	std::string channel;
	bool pattern = false;
	std::uint64_t transportId = 0;

	std::mutex mutex;
	std::condition_variable idle;
	bool active = true;
	int inflight = 0;
	std::vector<std::thread::id> callers;
};

using SubscriptionPtr = std::shared_ptr<Subscription>;

// The event whose handler runs on this thread: what a handler publishes
// inherits its correlation id.
thread_local const Event* currentEvent = nullptr;

class CurrentEventScope
{
public:
	explicit CurrentEventScope(const Event& event): _previous(currentEvent) { currentEvent = &event; }
	~CurrentEventScope() { currentEvent = _previous; }
private:
	const Event* _previous;
};

} // namespace

namespace {

// Unknown keys are known only once the transport has read its own; a strict
// refusal then stops what already started.
void finishAudit(EventBus& bus, const ConfigAudit& audit)
{
	try
	{
		audit.finish();
	}
	catch (...)
	{
		bus.close();
		throw;
	}
}

} // namespace

struct EventBus::Impl: public TransportListener
{
	BusSettings settings;
	Metrics metrics;
	Redactor redactor;
	Poco::Logger& logger;
	std::shared_ptr<Transport> transport;
	std::string transportName;
	std::vector<MiddlewarePtr> chain;
	std::unique_ptr<EnvelopeSigner> signer;
	std::size_t maxEnvelopeBytes;

	std::mutex mutex;
	std::map<SubscriptionToken, SubscriptionPtr> subscriptions;
	GapListener gapListener;
	std::atomic<SubscriptionToken> nextToken{1};
	std::atomic<bool> closed{false};

	Counter& handlerErrors;
	Counter* malformed = nullptr;

	explicit Impl(const BusSettings& s):
		settings(s),
		redactor(s.redactionKeys),
		logger(Poco::Logger::get("eventbus.bus")),
		maxEnvelopeBytes(s.maxPayloadBytes + CloudEventCodec::EnvelopeOverheadBytes),
		handlerErrors(metrics.counter(Metrics::HandlerErrors))
	{
	}

	void start(const Poco::Util::AbstractConfiguration& config, std::shared_ptr<Transport> t)
	{
		transport = std::move(t);
		transportName = transport->name();
		malformed = &metrics.counter(Metrics::Dropped, {{"reason", "malformed"}, {"transport", transportName}});
		if (transport->isInProcess() && !settings.inMemoryAllowed())
			throw PolicyException("transport '" + transportName + "' is in-process and env '" + settings.env
				+ "' is not listed in eventbus.policy.inMemoryEnvs (" + join(settings.inMemoryEnvs) + ")");
		signer = EnvelopeSigner::fromConfig(config, settings.env);
		chain = buildMiddlewareChain(settings, redactor, metrics, logger);
		TransportContext context{config, settings.env, settings.prefix, metrics,
			Poco::Logger::get("eventbus.transport." + transportName), redactor, this};
		transport->start(context);
	}

	void onGap(const std::string& name, const std::string& reason) override
	{
		logger.warning("transport %s reports a possible gap: %s", name, reason);
		GapListener listener;
		{
			std::lock_guard<std::mutex> lock(mutex);
			listener = gapListener;
		}
		if (listener)
		{
			try { listener(name, reason); }
			catch (...) { logger.error("gap listener threw"); }
		}
	}

	void drop(const std::string& reason, const std::string& channel, const std::string& detail)
	{
		metrics.counter(Metrics::Dropped, {{"reason", reason}, {"transport", transportName}}).increment();
		// Channel and id come off the wire as they are: printed through redaction.
		if (logger.information())
			logger.information("dropped event on %s: %s %s", redactor.redactText(channel, 512), reason,
				redactor.redactText(detail, 512));
	}

	DeliveryResult deliver(const SubscriptionPtr& sub, const InboundMessage& message)
	{
		if (closed.load(std::memory_order_relaxed)) return DeliveryResult::rejected("closed");
		{
			std::lock_guard<std::mutex> lock(sub->mutex);
			if (!sub->active) return DeliveryResult::rejected("unsubscribed");
		}
		EventPtr event = message.event;
		std::string receivedData; // the data's bytes as they arrived: what a signature covers
		if (!event)
		{
			try
			{
				event = std::make_shared<Event>(CloudEventCodec::decode(message.wire, maxEnvelopeBytes, receivedData));
			}
			catch (ValidationException& exc)
			{
				malformed->increment();
				logger.warning("dropped malformed message on %s: %s; bytes: %s", redactor.redactText(message.channel, 512),
					redactor.redactText(exc.message()), redactor.redactText(message.wire, 256));
				return DeliveryResult::rejected("malformed");
			}
		}
		if (signer)
		{
			std::string problem = signer->verify(*event, receivedData);
			if (!problem.empty())
			{
				drop(problem, message.channel, "id=" + event->id);
				return DeliveryResult::rejected(problem);
			}
		}
		DeliveryContext context{*event, message.channel, sub->topic, sub->scope, sub->token, transportName, {}};
		for (const auto& middleware : chain)
		{
			bool pass = false;
			try
			{
				pass = middleware->onDeliver(context);
			}
			catch (std::exception& exc)
			{
				context.dropReason = "middleware-error";
				logger.error("middleware %s threw on delivery: %s", middleware->name(), redactor.redactText(exc.what()));
			}
			if (!pass)
			{
				std::string reason = context.dropReason.empty() ? middleware->name() : context.dropReason;
				drop(reason, message.channel, "id=" + event->id);
				return DeliveryResult::rejected(reason);
			}
		}
		// Defence in depth: whatever the chain, a handler never sees another
		// tenant's event.
		if (!sub->scope.admits(event->tenantId))
		{
			drop("scope-mismatch", message.channel, "id=" + event->id);
			return DeliveryResult::rejected("scope-mismatch");
		}
		{
			std::lock_guard<std::mutex> lock(sub->mutex);
			if (!sub->active) return DeliveryResult::rejected("unsubscribed");
			++sub->inflight;
			sub->callers.push_back(std::this_thread::get_id());
		}
		bool threw = false;
		std::string error;
		try
		{
			CurrentEventScope scope(*event);
			sub->handler(*event);
		}
		catch (Poco::Exception& exc)
		{
			threw = true;
			error = redactor.redactText(exc.displayText());
			handlerErrors.increment();
			logger.error("handler of subscription %s (%s) threw on event %s: %s", std::to_string(sub->token),
				sub->topic, event->id, error);
		}
		catch (std::exception& exc)
		{
			threw = true;
			error = redactor.redactText(exc.what());
			handlerErrors.increment();
			logger.error("handler of subscription %s (%s) threw on event %s: %s", std::to_string(sub->token),
				sub->topic, event->id, error);
		}
		catch (...)
		{
			threw = true;
			error = "unknown exception";
			handlerErrors.increment();
			logger.error("handler of subscription %s (%s) threw an unknown exception on event %s",
				std::to_string(sub->token), sub->topic, event->id);
		}
		{
			std::lock_guard<std::mutex> lock(sub->mutex);
			--sub->inflight;
			auto it = std::find(sub->callers.begin(), sub->callers.end(), std::this_thread::get_id());
			if (it != sub->callers.end()) sub->callers.erase(it);
		}
		sub->idle.notify_all();
		for (const auto& middleware : chain)
		{
			try { middleware->afterDeliver(context, threw); }
			catch (...) {}
		}
		return threw ? DeliveryResult::failed(error) : DeliveryResult::handled();
	}

	void unsubscribe(SubscriptionToken token)
	{
		SubscriptionPtr sub;
		{
			std::lock_guard<std::mutex> lock(mutex);
			auto it = subscriptions.find(token);
			if (it == subscriptions.end()) return;
			sub = it->second;
			subscriptions.erase(it);
		}
		{
			std::unique_lock<std::mutex> lock(sub->mutex);
			sub->active = false;
			const std::thread::id self = std::this_thread::get_id();
			sub->idle.wait(lock, [&]() {
				return sub->inflight == 0
					|| std::find(sub->callers.begin(), sub->callers.end(), self) != sub->callers.end();
			});
		}
		try
		{
			transport->unsubscribe(sub->transportId);
		}
		catch (std::exception& exc)
		{
			// The bus-side flag already guarantees the handler is not called again.
			logger.warning("transport %s failed to unsubscribe %s: %s", transportName, sub->channel, std::string(exc.what()));
		}
	}
};

EventBus::EventBus(const Poco::Util::AbstractConfiguration& rawConfig)
{
	ConfigAudit audit(rawConfig); // records what the bus and its transport read
	const Poco::Util::AbstractConfiguration& config = audit.config();
	BusSettings settings = BusSettings::fromConfig(config);
	std::shared_ptr<Transport> transport = PluginHost::instance().create(settings.pluginsPath, settings.transport,
		settings.pluginsStrictModes);
	_impl = std::make_shared<Impl>(settings);
	_impl->start(config, std::move(transport));
	finishAudit(*this, audit);
}

EventBus::EventBus(const Poco::Util::AbstractConfiguration& rawConfig, std::shared_ptr<Transport> transport)
{
	if (!transport) throw Poco::InvalidArgumentException("transport must not be null");
	ConfigAudit audit(rawConfig);
	const Poco::Util::AbstractConfiguration& config = audit.config();
	_impl = std::make_shared<Impl>(BusSettings::fromConfig(config));
	_impl->start(config, std::move(transport));
	finishAudit(*this, audit);
}

EventBus::~EventBus()
{
	try
	{
		close();
	}
	catch (...)
	{
	}
}

namespace {

Poco::JSON::Object::Ptr parsePayload(const std::string& payloadJson, std::size_t maxPayloadBytes)
{
	if (payloadJson.size() > maxPayloadBytes)
		throw ValidationException("payload: " + std::to_string(payloadJson.size()) + " bytes exceeds eventbus.maxPayloadBytes ("
			+ std::to_string(maxPayloadBytes) + ")");
	Poco::Dynamic::Var parsed;
	try
	{
		Poco::JSON::Parser parser;
		parser.setDepth(64);
		parsed = parser.parse(payloadJson);
	}
	catch (Poco::Exception&)
	{
		throw ValidationException("payload: not valid JSON");
	}
	if (parsed.type() != typeid(Poco::JSON::Object::Ptr))
		throw ValidationException("payload: must be a JSON object");
	return parsed.extract<Poco::JSON::Object::Ptr>();
}

Poco::Dynamic::Var deepCopy(const Poco::Dynamic::Var& value)
{
	if (value.type() == typeid(Poco::JSON::Object::Ptr))
	{
		Poco::JSON::Object::Ptr object = value.extract<Poco::JSON::Object::Ptr>();
		if (object.isNull()) return value;
		Poco::JSON::Object::Ptr copy(new Poco::JSON::Object);
		for (const auto& member : *object) copy->set(member.first, deepCopy(member.second));
		return copy;
	}
	if (value.type() == typeid(Poco::JSON::Array::Ptr))
	{
		Poco::JSON::Array::Ptr array = value.extract<Poco::JSON::Array::Ptr>();
		if (array.isNull()) return value;
		Poco::JSON::Array::Ptr copy(new Poco::JSON::Array);
		for (const auto& element : *array) copy->add(deepCopy(element));
		return copy;
	}
	return value;
}

std::string stringify(const Poco::JSON::Object::Ptr& data)
{
	return CloudEventCodec::encodeData(*data);
}

} // namespace

// One publish between the chain and the transport's answer.
struct EventBus::PendingPublish
{
	std::shared_ptr<Event> event;
	PublishContext context;
	OutboundMessage message;

	explicit PendingPublish(std::shared_ptr<Event> e):
		event(std::move(e)),
		context{*event, std::string(), std::string(), Poco::Timestamp()}
	{
	}
	Receipt receipt() const { return Receipt{event->id, context.channel, event->correlationId}; }
};

std::shared_ptr<EventBus::PendingPublish> EventBus::prepare(const std::string& topic,
	const Poco::JSON::Object::Ptr& payload, const std::string& tenantId, const PublishOptions& options)
{
	const std::string& correlationId = options.correlationId;
	Impl& impl = *_impl;
	if (impl.closed.load()) throw EventBusException("publish: the bus is closed");
	Names::validateTopic(topic);
	Names::validateTenant(tenantId);
	validateToken("correlationId", correlationId);
	validateToken("idempotencyKey", options.idempotencyKey);
	if (!payload) throw ValidationException("payload: must be a JSON object, got null");

	auto event = std::make_shared<Event>();
	event->id = CloudEventCodec::newId();
	event->source = impl.settings.source;
	event->type = topic;
	event->tenantId = tenantId;
	if (!correlationId.empty())
		event->correlationId = correlationId;
	else if (currentEvent && !currentEvent->correlationId.empty())
		event->correlationId = currentEvent->correlationId; // published from inside a handler
	else
		event->correlationId = CloudEventCodec::newId();
	event->data = payload;
	if (!options.idempotencyKey.empty()) event->extensions["idempotencykey"] = options.idempotencyKey;

	std::string dataJson = stringify(payload);
	if (dataJson.size() > impl.settings.maxPayloadBytes)
		throw ValidationException("payload: " + std::to_string(dataJson.size()) + " bytes exceeds eventbus.maxPayloadBytes ("
			+ std::to_string(impl.settings.maxPayloadBytes) + ")");

	auto pending = std::make_shared<PendingPublish>(event);
	PublishContext& context = pending->context;
	context.channel = ChannelName::build(impl.settings.prefix, impl.settings.env, tenantId, topic);
	context.transport = impl.transportName;
	for (const auto& middleware : impl.chain)
	{
		try
		{
			middleware->onPublish(context);
		}
		catch (...)
		{
			impl.metrics.counter(Metrics::PublishFailed, {{"reason", "refused"}, {"transport", impl.transportName}}).increment();
			throw;
		}
	}
	if (event->data != payload) dataJson = stringify(event->data); // a middleware replaced the data
	else if (impl.transport->isInProcess())
		// An in-process transport hands this very object to handlers, later:
		// the caller may still change its own object after publish returns.
		event->data = deepCopy(Poco::Dynamic::Var(payload)).extract<Poco::JSON::Object::Ptr>();
	if (impl.signer) impl.signer->sign(*event, dataJson);
	pending->message = OutboundMessage{context.channel, event, CloudEventCodec::encode(*event, dataJson)};
	return pending;
}

void EventBus::complete(PendingPublish& pending, const std::exception_ptr& error)
{
	Impl& impl = *_impl;
	if (error)
	{
		bool overflow = false;
		try { std::rethrow_exception(error); }
		catch (OverflowException&) { overflow = true; }
		catch (...) {}
		impl.metrics.counter(Metrics::PublishFailed,
			{{"reason", overflow ? "overflow" : "transport"}, {"transport", impl.transportName}}).increment();
	}
	for (const auto& middleware : impl.chain)
	{
		try { middleware->afterPublish(pending.context, !error); }
		catch (...) {}
	}
}

Receipt EventBus::publish(const std::string& topic, const std::string& payloadJson,
	const std::string& tenantId, const std::string& correlationId)
{
	Names::validateTopic(topic);
	Names::validateTenant(tenantId);
	return publish(topic, parsePayload(payloadJson, _impl->settings.maxPayloadBytes), tenantId, correlationId);
}

Receipt EventBus::publish(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
	const std::string& tenantId, const std::string& correlationId)
{
	return publish(topic, payload, tenantId, PublishOptions{correlationId, std::string()});
}

Receipt EventBus::publish(const std::string& topic, const std::string& payloadJson,
	const std::string& tenantId, const PublishOptions& options)
{
	Names::validateTopic(topic);
	Names::validateTenant(tenantId);
	return publish(topic, parsePayload(payloadJson, _impl->settings.maxPayloadBytes), tenantId, options);
}

Receipt EventBus::publish(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
	const std::string& tenantId, const PublishOptions& options)
{
	std::shared_ptr<PendingPublish> pending = prepare(topic, payload, tenantId, options);
	try
	{
		_impl->transport->publish(pending->message);
	}
	catch (...)
	{
		complete(*pending, std::current_exception());
		throw;
	}
	complete(*pending, nullptr);
	return pending->receipt();
}

std::future<Receipt> EventBus::publishAsync(const std::string& topic, const std::string& payloadJson,
	const std::string& tenantId, const std::string& correlationId)
{
	Names::validateTopic(topic);
	Names::validateTenant(tenantId);
	return publishAsync(topic, parsePayload(payloadJson, _impl->settings.maxPayloadBytes), tenantId, correlationId);
}

std::future<Receipt> EventBus::publishAsync(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
	const std::string& tenantId, const std::string& correlationId)
{
	std::shared_ptr<PendingPublish> pending = prepare(topic, payload, tenantId, PublishOptions{correlationId, std::string()});
	auto promise = std::make_shared<std::promise<Receipt>>();
	std::future<Receipt> future = promise->get_future();
	// The bus outlives every completion: close() stops the transport, which
	// completes or fails what it still holds before it returns.
	EventBus* self = this;
	try
	{
		_impl->transport->publishAsync(pending->message, [self, pending, promise](std::exception_ptr error) {
			self->complete(*pending, error);
			if (error) promise->set_exception(error);
			else promise->set_value(pending->receipt());
		});
	}
	catch (...)
	{
		// Not even queued (a full buffer): counted, and thrown like publish().
		complete(*pending, std::current_exception());
		throw;
	}
	return future;
}

SubscriptionToken EventBus::subscribe(const std::string& topic, Handler handler, const TenantScope& scope)
{
	Impl& impl = *_impl;
	if (impl.closed.load()) throw EventBusException("subscribe: the bus is closed");
	Names::validateTopic(topic);
	if (!handler) throw ValidationException("handler: must not be empty");
	auto sub = std::make_shared<Subscription>();
	sub->topic = topic;
	sub->scope = scope;
	sub->handler = std::move(handler);
	if (scope.isCrossTenant())
	{
		if (!impl.settings.allowCrossTenant)
			throw PolicyException("cross-tenant subscription to '" + topic
				+ "' refused: eventbus.security.allowCrossTenant is false");
		sub->channel = ChannelName::crossTenantPattern(impl.settings.prefix, impl.settings.env, topic);
		sub->pattern = true;
	}
	else
	{
		Names::validateTenant(scope.tenantId());
		sub->channel = ChannelName::build(impl.settings.prefix, impl.settings.env, scope.tenantId(), topic);
	}
	sub->token = impl.nextToken.fetch_add(1);
	Impl* self = &impl;
	std::weak_ptr<Subscription> weak(sub);
	sub->transportId = impl.transport->subscribe(ChannelSubscription{sub->channel, sub->pattern, std::string()},
		[self, weak](const InboundMessage& message) {
			if (SubscriptionPtr s = weak.lock()) return self->deliver(s, message);
			return DeliveryResult::rejected("unsubscribed");
		});
	{
		std::lock_guard<std::mutex> lock(impl.mutex);
		impl.subscriptions[sub->token] = sub;
	}
	impl.logger.debug("subscribed %s (%s) as %s", sub->channel, scope.toString(), std::to_string(sub->token));
	return sub->token;
}

void EventBus::unsubscribe(SubscriptionToken token)
{
	_impl->unsubscribe(token);
}

TransportHealth EventBus::health()
{
	if (_impl->closed.load()) return TransportHealth{false, "the bus is closed"};
	try
	{
		return _impl->transport->health();
	}
	catch (std::exception& exc)
	{
		return TransportHealth{false, std::string("health check failed: ") + exc.what()};
	}
}

void EventBus::close()
{
	if (_impl->closed.exchange(true)) return;
	std::vector<SubscriptionToken> tokens;
	{
		std::lock_guard<std::mutex> lock(_impl->mutex);
		for (const auto& entry : _impl->subscriptions) tokens.push_back(entry.first);
	}
	for (SubscriptionToken token : tokens) _impl->unsubscribe(token);
	_impl->transport->stop();
}

void EventBus::setGapListener(GapListener listener)
{
	std::lock_guard<std::mutex> lock(_impl->mutex);
	_impl->gapListener = std::move(listener);
}

const BusSettings& EventBus::settings() const { return _impl->settings; }
Metrics& EventBus::metrics() { return _impl->metrics; }
const Redactor& EventBus::redactor() const { return _impl->redactor; }
Transport& EventBus::transport() { return *_impl->transport; }

std::vector<std::string> EventBus::middlewareNames() const
{
	std::vector<std::string> names;
	for (const auto& middleware : _impl->chain) names.push_back(middleware->name());
	return names;
}

std::string EventBus::channelFor(const std::string& tenantId, const std::string& topic) const
{
	return ChannelName::build(_impl->settings.prefix, _impl->settings.env, tenantId, topic);
}

} // namespace eventbus
