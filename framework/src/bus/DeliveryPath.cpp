//
// DeliveryPath.cpp
//
// What happens to a message a transport hands the bus: decode (unless the
// transport brought the event), verify the signature, walk the chain, check
// the scope once more, run the handler; the answer tells a durable transport
// whether to acknowledge or redeliver.
//
#include "EventBusImpl.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Exceptions.h"

namespace eventbus {

namespace {

thread_local const Event* currentEvent = nullptr;

class CurrentEventScope
{
public:
	explicit CurrentEventScope(const Event& event): _previous(currentEvent) { currentEvent = &event; }
	~CurrentEventScope() { currentEvent = _previous; }
	CurrentEventScope(const CurrentEventScope&) = delete;
	CurrentEventScope& operator=(const CurrentEventScope&) = delete;

private:
	const Event* _previous;
};

} // namespace

const Event* currentlyHandledEvent()
{
	return currentEvent;
}

void EventBus::Impl::drop(const std::string& reason, const std::string& channel, const std::string& detail)
{
	metrics.counter(Metrics::Dropped, {{"reason", reason}, {"transport", transportName}}).increment();
	// Channel and id come off the wire as they are: printed through redaction.
	if (logger.information())
		logger.information("dropped event on %s: %s %s", redactor.redactText(channel, 512), reason,
			redactor.redactText(detail, 512));
}

DeliveryResult EventBus::Impl::deliver(const SubscriptionPtr& sub, const InboundMessage& message)
{
	if (closed.load(std::memory_order_relaxed)) return DeliveryResult::rejected("closed");
	DeliveryResult result = DeliveryResult::rejected("unsubscribed");
	sub->gate.pass([&]() {
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
				malformedLog.warning("dropped malformed message on " + redactor.redactText(message.channel, 512) + ": "
					+ redactor.redactText(exc.message()) + "; bytes: " + redactor.redactText(message.wire, 256));
				result = DeliveryResult::rejected("malformed");
				return;
			}
		}
		if (signer)
		{
			std::string problem = signer->verify(*event, receivedData);
			if (!problem.empty())
			{
				drop(problem, message.channel, "id=" + event->id);
				result = DeliveryResult::rejected(problem);
				return;
			}
		}
		DeliveryContext context{*event, message.channel, sub->topic, sub->scope, sub->token, transportName, {}};
		if (!chain.onDeliver(context, logger, redactor))
		{
			drop(context.dropReason, message.channel, "id=" + event->id);
			result = DeliveryResult::rejected(context.dropReason);
			return;
		}
		// Defence in depth: whatever the chain, a handler never sees another
		// tenant's event.
		if (!sub->scope.admits(event->tenantId))
		{
			drop("scope-mismatch", message.channel, "id=" + event->id);
			result = DeliveryResult::rejected("scope-mismatch");
			return;
		}
		bool threw = true;
		std::string error;
		try
		{
			CurrentEventScope scope(*event);
			sub->handler(*event);
			threw = false;
		}
		catch (Poco::Exception& exc)
		{
			error = redactor.redactText(exc.displayText());
		}
		catch (std::exception& exc)
		{
			error = redactor.redactText(exc.what());
		}
		catch (...)
		{
		}
		if (threw)
		{
			handlerErrors.increment();
			if (error.empty())
			{
				error = "unknown exception";
				logger.error("handler of subscription %s (%s) threw an unknown exception on event %s",
					std::to_string(sub->token), sub->topic, event->id);
			}
			else
			{
				logger.error("handler of subscription %s (%s) threw on event %s: %s", std::to_string(sub->token),
					sub->topic, event->id, error);
			}
		}
		chain.afterDeliver(context, threw);
		result = threw ? DeliveryResult::failed(error) : DeliveryResult::handled();
	});
	return result;
}

} // namespace eventbus
