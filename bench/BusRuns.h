//
// BusRuns.h
//
// The bus side of the rows: a bus built from a configuration, publishing the
// workload's payload through the whole chain, with or without a subscriber.
//
#pragma once

#include <functional>

#include "Workload.h"
#include <Poco/Util/AbstractConfiguration.h>

namespace eventbus {

class EventBus;

namespace bench {

class BusRuns
{
public:
	explicit BusRuns(const Workload& workload);

	/// `events` x publish(), each confirmed by the transport; records each
	/// call's latency. No subscriber.
	Measurement publishSync(const Poco::Util::AbstractConfiguration& config, std::size_t events) const;

	/// The same into a transport that accepts and drops every message (and
	/// is not in-process, like redis): the bus's own cost per publish.
	Measurement publishDiscarded(const Poco::Util::AbstractConfiguration& config, std::size_t events) const;

	/// `events` x the callback form of publishAsync() (no future), at most
	/// `window` outstanding, every completion counted.
	Measurement publishAsyncCallback(const Poco::Util::AbstractConfiguration& config, std::size_t events,
		std::size_t window) const;

	/// `events` x publishAsync(), at most `window` futures outstanding, every
	/// future collected. No subscriber.
	Measurement publishAsync(const Poco::Util::AbstractConfiguration& config, std::size_t events,
		std::size_t window) const;

	/// Publish -> handler throughput with one subscriber in this process: the
	/// time from the first publish to the last delivery. The publisher keeps at
	/// most `maxInFlight` events ahead of the handler (Pub/Sub has no flow
	/// control; a subscriber too far behind is disconnected by the server).
	/// `text`: publish the payload's JSON text instead of the parsed object.
	Measurement endToEnd(const Poco::Util::AbstractConfiguration& config, std::size_t events, bool async,
		std::size_t window, std::size_t maxInFlight, bool text = false) const;

	/// What the bus does with a received envelope before the chain, in this
	/// thread: CloudEventCodec::decode of the signed envelope and
	/// EnvelopeSigner::verify, as the delivery path calls them; records each
	/// pair's latency.
	Measurement decodeVerify(std::size_t events) const;

	/// Publish -> `subscribers` handlers of the workload's topic and tenant,
	/// while `unrelated` subscriptions (one per other tenant) exist on the
	/// same bus: events/s of publishes, each delivered `subscribers` times; at
	/// most `maxInFlight` publishes ahead of the slowest count. Prints (to
	/// stderr) what making the unrelated subscriptions cost: time and resident
	/// memory per subscription.
	Measurement fanOut(const Poco::Util::AbstractConfiguration& config, std::size_t events, std::size_t subscribers,
		std::size_t unrelated, std::size_t maxInFlight) const;

	/// `tenants` x `topics` subscriptions, one per channel, and publishes
	/// that go round-robin over every channel (tenant after tenant, then the
	/// next topic), each delivered once to its channel's subscription: events/s
	/// of publishes; a delivery to a subscription of another channel counts
	/// as an error. At most `maxInFlight` publishes ahead of the deliveries.
	/// Prints (to stderr) what making the subscriptions cost.
	Measurement roundRobin(const Poco::Util::AbstractConfiguration& config, std::size_t events, std::size_t tenants,
		std::size_t topics, std::size_t maxInFlight) const;

	/// `channels` subscriptions (one per tenant) on a bus over redis; then
	/// `restart` restarts the server, and the time until the server counts every
	/// channel subscribed again (polled through `channelCount`) and the bus is
	/// ready again is measured: events = channels, seconds = that time.
	Measurement resubscribe(const Poco::Util::AbstractConfiguration& config, std::size_t channels,
		const std::function<void()>& restart, const std::function<std::size_t()>& channelCount) const;

	/// Publish -> handler latency at `rate` events/s, each publish confirmed.
	Measurement roundTrip(const Poco::Util::AbstractConfiguration& config, std::size_t events, int rate) const;

private:
	Measurement publishSync(EventBus& bus, std::size_t events) const;
	const Workload& _workload;
};

} // namespace bench
} // namespace eventbus
