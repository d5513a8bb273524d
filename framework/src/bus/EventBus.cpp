//
// EventBus.cpp
//
// The bus's lifecycle: find and start the transport (env policy, signer,
// chain), report gaps and health, close. The publish path, the delivery path
// and the subscription registry live beside it.
//
#include "EventBusImpl.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/ConfigAudit.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/PluginHost.h"
#include <Poco/String.h>

namespace eventbus {

EventBus::Impl::Impl(const BusSettings& s):
	settings(s),
	redactor(s.redactionKeys),
	logger(Poco::Logger::get("eventbus.bus")),
	maxEnvelopeBytes(s.maxPayloadBytes + CloudEventCodec::EnvelopeOverheadBytes),
	handlerErrors(metrics.counter(Metrics::HandlerErrors))
{
}

void EventBus::Impl::start(const Poco::Util::AbstractConfiguration& config, std::shared_ptr<Transport> t)
{
	transport = std::move(t);
	transportName = transport->name();
	malformed = &metrics.counter(Metrics::Dropped, {{"reason", "malformed"}, {"transport", transportName}});
	if (transport->isInProcess() && !settings.inMemoryAllowed())
		throw PolicyException("transport '" + transportName + "' is in-process and env '" + settings.env
			+ "' is not listed in eventbus.policy.inMemoryEnvs ("
			+ Poco::cat(std::string(","), settings.inMemoryEnvs.begin(), settings.inMemoryEnvs.end()) + ")");
	signer = EnvelopeSigner::fromConfig(config, settings.env);
	chain = MiddlewareChain::fromSettings(MiddlewareSetup{settings, redactor, metrics, logger});
	for (const std::string& name : chain.names())
		if (name == "redaction") redactionCounter = &redactor; // the built-in counts with the bus's redactor
	TransportContext context{config, settings.env, settings.prefix, metrics,
		Poco::Logger::get("eventbus.transport." + transportName), redactor, this};
	transport->start(context);
}

void EventBus::Impl::onGap(const std::string& name, const std::string& reason)
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
	return _impl->chain.names();
}

std::string EventBus::channelFor(const std::string& tenantId, const std::string& topic) const
{
	return ChannelName::build(_impl->settings.prefix, _impl->settings.env, tenantId, topic);
}

} // namespace eventbus
