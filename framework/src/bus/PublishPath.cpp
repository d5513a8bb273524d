//
// PublishPath.cpp
//
// What happens between publish() and the transport: validate names and
// payload, build the event, walk the chain, sign, encode, hand over, count.
//
#include "EventBusImpl.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include <Poco/JSON/Parser.h>

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
	const EventData& payload, const std::string& tenantId, const PublishOptions& options, bool owned, bool namesChecked)
{
	const std::string& correlationId = options.correlationId;
	Impl& impl = *_impl;
	if (impl.closed.load()) throw EventBusException("publish: the bus is closed");
	if (!namesChecked)
	{
		Names::validateTopic(topic);
		Names::validateTenant(tenantId);
	}
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
	else if (currentlyHandledEvent() && !currentlyHandledEvent()->correlationId.empty())
		event->correlationId = currentlyHandledEvent()->correlationId; // published from inside a handler
	else
		event->correlationId = CloudEventCodec::newId();
	event->data = payload;
	if (!options.idempotencyKey.empty()) event->extensions["idempotencykey"] = options.idempotencyKey;

	// The data as it will be sent: the caller's text as it came when it was
	// compact, else written once now (and counted for the redaction
	// middleware as it is written).
	const std::string* dataJson = impl.redactionCounter ? &impl.redactionCounter->writeAndCount(payload) : &payload.json();
	if (dataJson->size() > impl.settings.maxPayloadBytes)
		throw ValidationException("payload: " + std::to_string(dataJson->size()) + " bytes exceeds eventbus.maxPayloadBytes ("
			+ std::to_string(impl.settings.maxPayloadBytes) + ")");

	auto pending = std::make_shared<PendingPublish>(event);
	PublishContext& context = pending->context;
	// Every part is valid by now (prefix and env since the settings were read).
	context.channel = ChannelName::join(impl.settings.prefix, impl.settings.env, tenantId, topic);
	context.transport = impl.transportName;
	try
	{
		impl.chain.onPublish(context);
	}
	catch (...)
	{
		impl.metrics.counter(Metrics::PublishFailed, {{"reason", "refused"}, {"transport", impl.transportName}}).increment();
		throw;
	}
	const bool replaced = !event->data.sameAs(payload); // a middleware replaced the data
	if (replaced) dataJson = &event->data.json();
	if (impl.transport->isInProcess() && !owned && !replaced)
	{
		// An in-process transport hands this event to handlers, later: the
		// caller may still change its own object after publish returns, so
		// they get the text, which each event parses once, on first access
		// (a handler that does not read the data never pays for it). Data
		// the bus made (from the caller's text, or a middleware's copy) is
		// nobody else's and goes along as it is.
		event->data = EventData::fromJson(*dataJson);
		dataJson = &event->data.json();
	}
	if (impl.signer) impl.signer->sign(*event, *dataJson);
	pending->message = OutboundMessage{context.channel, event,
		impl.transport->needsWire() ? CloudEventCodec::encode(*event, *dataJson) : std::string()};
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
	impl.chain.afterPublish(pending.context, !error);
}

Receipt EventBus::publish(const std::string& topic, const std::string& payloadJson,
	const std::string& tenantId, const std::string& correlationId)
{
	return publish(topic, payloadJson, tenantId, PublishOptions{correlationId, std::string()});
}

Receipt EventBus::publish(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
	const std::string& tenantId, const std::string& correlationId)
{
	return publish(topic, payload, tenantId, PublishOptions{correlationId, std::string()});
}

std::shared_ptr<EventBus::PendingPublish> EventBus::prepareText(const std::string& topic, const std::string& payloadJson,
	const std::string& tenantId, const PublishOptions& options)
{
	// A bad name is reported before a bad payload. The data made of the text
	// is the bus's own, counted for the redaction middleware as it is
	// checked when the chain has one.
	Names::validateTopic(topic);
	Names::validateTenant(tenantId);
	return prepare(topic, CloudEventCodec::payloadData(payloadJson, _impl->settings.maxPayloadBytes, _impl->redactionCounter),
		tenantId, options, true, true);
}

Receipt EventBus::publish(const std::string& topic, const std::string& payloadJson,
	const std::string& tenantId, const PublishOptions& options)
{
	return send(*prepareText(topic, payloadJson, tenantId, options));
}

Receipt EventBus::publish(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
	const std::string& tenantId, const PublishOptions& options)
{
	return send(*prepare(topic, EventData(payload), tenantId, options));
}

Receipt EventBus::send(PendingPublish& pending)
{
	try
	{
		_impl->transport->publish(pending.message);
	}
	catch (...)
	{
		complete(pending, std::current_exception());
		throw;
	}
	complete(pending, nullptr);
	return pending.receipt();
}

namespace {

std::pair<std::future<Receipt>, EventBus::PublishDone> promised()
{
	auto promise = std::make_shared<std::promise<Receipt>>();
	std::future<Receipt> future = promise->get_future();
	return {std::move(future), [promise](const Receipt& receipt, std::exception_ptr error) {
		if (error) promise->set_exception(error);
		else promise->set_value(receipt);
	}};
}

} // namespace

std::future<Receipt> EventBus::publishAsync(const std::string& topic, const std::string& payloadJson,
	const std::string& tenantId, const std::string& correlationId)
{
	auto future = promised();
	sendAsync(prepareText(topic, payloadJson, tenantId, PublishOptions{correlationId, std::string()}), std::move(future.second));
	return std::move(future.first);
}

std::future<Receipt> EventBus::publishAsync(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
	const std::string& tenantId, const std::string& correlationId)
{
	auto future = promised();
	sendAsync(prepare(topic, EventData(payload), tenantId, PublishOptions{correlationId, std::string()}), std::move(future.second));
	return std::move(future.first);
}

void EventBus::publishAsync(const std::string& topic, const std::string& payloadJson,
	const std::string& tenantId, PublishDone done, const std::string& correlationId)
{
	sendAsync(prepareText(topic, payloadJson, tenantId, PublishOptions{correlationId, std::string()}), std::move(done));
}

void EventBus::publishAsync(const std::string& topic, const Poco::JSON::Object::Ptr& payload,
	const std::string& tenantId, PublishDone done, const std::string& correlationId)
{
	sendAsync(prepare(topic, EventData(payload), tenantId, PublishOptions{correlationId, std::string()}), std::move(done));
}

void EventBus::sendAsync(const std::shared_ptr<PendingPublish>& pending, PublishDone done)
{
	// The bus outlives every completion: close() stops the transport, which
	// completes or fails what it still holds before it returns.
	EventBus* self = this;
	try
	{
		// The callback holds `pending`: the message stays valid until it runs
		// (Transport::publishAsync's promise to a transport).
		_impl->transport->publishAsync(pending->message, [self, pending, done = std::move(done)](std::exception_ptr error) {
			self->complete(*pending, error);
			// A throwing callback must not take the transport's thread down.
			try
			{
				done(error ? Receipt() : pending->receipt(), error);
			}
			catch (...)
			{
			}
		});
	}
	catch (...)
	{
		// Not even queued (a full buffer): counted, and thrown like publish().
		complete(*pending, std::current_exception());
		throw;
	}
}

} // namespace eventbus
