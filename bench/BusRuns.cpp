//
// BusRuns.cpp
//
#include "BusRuns.h"
#include "eventbus/Exceptions.h"
#include <malloc.h>
#include <iostream>
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/EventBus.h"
#include <Poco/NumberParser.h>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <deque>
#include <functional>
#include <future>
#include <stdexcept>
#include <thread>

namespace eventbus {
namespace bench {

namespace {

const std::size_t MaxErrors = 100;

std::size_t warmupOf(std::size_t events)
{
	return std::min<std::size_t>(2000, std::max<std::size_t>(100, events / 10));
}

// A subscription that counts deliveries and remembers when the last came.
struct Counter
{
	std::atomic<std::uint64_t> delivered{0};
	std::atomic<std::int64_t> last{0};
};

// Publishes probes until the subscription delivers one: Pub/Sub drops what
// is published before the server confirmed the subscription.
void awaitSubscription(EventBus& bus, const Workload& workload, const std::atomic<std::uint64_t>& delivered)
{
	const auto deadline = Clock::now() + std::chrono::seconds(10);
	while (delivered.load() == 0)
	{
		if (Clock::now() > deadline) throw std::runtime_error("the subscription delivered nothing within 10 s");
		bus.publish(Workload::Topic, workload.payload, Workload::Tenant, "probe");
		for (int i = 0; i < 20 && delivered.load() == 0; ++i)
			std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
}

// Waits until `target` deliveries, or until none came for `idle`.
bool awaitDeliveries(const std::atomic<std::uint64_t>& delivered, std::uint64_t target,
	std::chrono::milliseconds idle = std::chrono::milliseconds(5000))
{
	std::uint64_t seen = delivered.load();
	auto lastProgress = Clock::now();
	while (seen < target)
	{
		std::this_thread::sleep_for(std::chrono::microseconds(200));
		std::uint64_t now = delivered.load();
		if (now != seen)
		{
			seen = now;
			lastProgress = Clock::now();
		}
		else if (Clock::now() - lastProgress > idle)
			return false;
	}
	return true;
}

// The measured part of a publish -> handler row: a warm-up through
// `publishMany(count, base)` (errors reset after it), then `events`
// publishes timed from the first publish to the last delivery seen; events =
// the deliveries counted (at most `events`), lost = the rest.
void warmUpAndMeasure(Counter& counter, std::size_t events, Measurement& m,
	const std::function<void(std::size_t count, std::uint64_t base)>& publishMany)
{
	std::uint64_t base = counter.delivered.load();
	publishMany(warmupOf(events), base);
	awaitDeliveries(counter.delivered, base + warmupOf(events));
	m.errors = 0;
	base = counter.delivered.load();
	const std::int64_t start = nowNanos();
	publishMany(events, base);
	const bool complete = awaitDeliveries(counter.delivered, base + events);
	const std::uint64_t got = counter.delivered.load() - base;
	m.seconds = static_cast<double>((complete ? counter.last.load() : nowNanos()) - start) / 1e9;
	m.events = static_cast<std::size_t>(std::min<std::uint64_t>(got, events));
	m.lost = events - m.events;
}

void collect(std::deque<std::future<Receipt>>& futures, std::size_t keep, Measurement& m)
{
	while (futures.size() > keep)
	{
		try
		{
			futures.front().get();
		}
		catch (std::exception&)
		{
			if (++m.errors > MaxErrors) throw;
		}
		futures.pop_front();
	}
}

// Accepts every message and keeps none: what is left of a publish is the bus.
class DiscardTransport: public Transport
{
public:
	std::string name() const override { return "discard"; }
	bool isInProcess() const override { return false; }
	void start(const TransportContext&) override {}
	void stop() override {}
	void publish(const OutboundMessage&) override {}
	std::uint64_t subscribe(const ChannelSubscription&, DeliveryCallback) override { return 1; }
	void unsubscribe(std::uint64_t) override {}
	TransportHealth health() override { return TransportHealth{true, "discards everything"}; }
};

} // namespace

BusRuns::BusRuns(const Workload& workload):
	_workload(workload)
{
}

Measurement BusRuns::publishSync(const Poco::Util::AbstractConfiguration& config, std::size_t events) const
{
	EventBus bus(config);
	return publishSync(bus, events);
}

Measurement BusRuns::publishDiscarded(const Poco::Util::AbstractConfiguration& config, std::size_t events) const
{
	EventBus bus(config, std::make_shared<DiscardTransport>());
	return publishSync(bus, events);
}

Measurement BusRuns::publishSync(EventBus& bus, std::size_t events) const
{
	for (std::size_t i = 0; i < warmupOf(events); ++i)
		bus.publish(Workload::Topic, _workload.payload, Workload::Tenant);
	Measurement m;
	m.latencyUs.reserve(events);
	const std::int64_t start = nowNanos();
	for (std::size_t i = 0; i < events; ++i)
	{
		const std::int64_t t0 = nowNanos();
		try
		{
			bus.publish(Workload::Topic, _workload.payload, Workload::Tenant);
		}
		catch (std::exception&)
		{
			if (++m.errors > MaxErrors) throw;
		}
		m.latencyUs.push_back(static_cast<double>(nowNanos() - t0) / 1e3);
	}
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = events;
	return m;
}

Measurement BusRuns::publishAsync(const Poco::Util::AbstractConfiguration& config, std::size_t events,
	std::size_t window) const
{
	EventBus bus(config);
	Measurement m;
	std::deque<std::future<Receipt>> futures;
	for (std::size_t i = 0; i < warmupOf(events); ++i)
	{
		futures.push_back(bus.publishAsync(Workload::Topic, _workload.payload, Workload::Tenant));
		collect(futures, window, m);
	}
	collect(futures, 0, m);
	m.errors = 0;
	const std::int64_t start = nowNanos();
	for (std::size_t i = 0; i < events; ++i)
	{
		futures.push_back(bus.publishAsync(Workload::Topic, _workload.payload, Workload::Tenant));
		collect(futures, window, m);
	}
	collect(futures, 0, m);
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = events;
	return m;
}

Measurement BusRuns::publishAsyncCallback(const Poco::Util::AbstractConfiguration& config, std::size_t events,
	std::size_t window) const
{
	EventBus bus(config);
	Measurement m;
	std::atomic<std::size_t> completed{0};
	std::atomic<std::uint64_t> failed{0};
	// The publisher sleeps only when `window` events are outstanding, and the
	// callback wakes it only then: no wake-up per event (2 cores: no spinning).
	std::mutex mutex;
	std::condition_variable room;
	std::atomic<bool> waiting{false};
	const EventBus::PublishDone done = [&](const Receipt&, std::exception_ptr error) {
		if (error) failed.fetch_add(1);
		completed.fetch_add(1);
		if (waiting.load())
		{
			std::lock_guard<std::mutex> lock(mutex);
			room.notify_one();
		}
	};
	auto awaitCompleted = [&](std::size_t target) {
		if (completed.load() >= target) return;
		std::unique_lock<std::mutex> lock(mutex);
		waiting = true;
		room.wait(lock, [&]() { return completed.load() >= target; });
		waiting = false;
	};
	auto run = [&](std::size_t count) {
		const std::size_t base = completed.load();
		for (std::size_t i = 0; i < count; ++i)
		{
			if (i >= window) awaitCompleted(base + i - window + 1);
			bus.publishAsync(Workload::Topic, _workload.payload, Workload::Tenant, done);
		}
		awaitCompleted(base + count);
	};
	run(warmupOf(events));
	failed = 0;
	const std::int64_t start = nowNanos();
	run(events);
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = events;
	m.errors = failed.load();
	return m;
}

Measurement BusRuns::endToEnd(const Poco::Util::AbstractConfiguration& config, std::size_t events, bool async,
	std::size_t window, std::size_t maxInFlight, bool text) const
{
	EventBus bus(config);
	Counter counter;
	bus.subscribe(Workload::Topic, [&counter](const Event&) {
		counter.last.store(nowNanos(), std::memory_order_relaxed);
		counter.delivered.fetch_add(1, std::memory_order_release);
	}, TenantScope::tenant(Workload::Tenant));
	awaitSubscription(bus, _workload, counter.delivered);

	Measurement m;
	std::deque<std::future<Receipt>> futures;
	auto publishMany = [&](std::size_t count, std::uint64_t base) {
		for (std::size_t i = 0; i < count; ++i)
		{
			for (;;)
			{
				const std::uint64_t done = counter.delivered.load(std::memory_order_acquire) - base;
				if (done >= i || i - done < maxInFlight) break;
				// Keep the pipeline moving while waiting for the subscriber.
				if (async && !futures.empty()) collect(futures, 0, m);
				else std::this_thread::sleep_for(std::chrono::microseconds(50));
			}
			if (async)
			{
				for (;;)
				{
					try
					{
						futures.push_back(text ? bus.publishAsync(Workload::Topic, _workload.payloadJson, Workload::Tenant)
											   : bus.publishAsync(Workload::Topic, _workload.payload, Workload::Tenant));
						break;
					}
					catch (OverflowException&)
					{
						// The transport's queue is bounded in bytes too: with large
						// payloads, wait for what is outstanding, then go on.
						if (futures.empty()) throw;
						collect(futures, 0, m);
					}
				}
				collect(futures, window, m);
			}
			else
			{
				try
				{
					if (text) bus.publish(Workload::Topic, _workload.payloadJson, Workload::Tenant);
					else bus.publish(Workload::Topic, _workload.payload, Workload::Tenant);
				}
				catch (std::exception&)
				{
					if (++m.errors > MaxErrors) throw;
				}
			}
		}
		collect(futures, 0, m);
	};

	// Warm-up: connections, allocator, caches; probes still in flight land here too.
	awaitDeliveries(counter.delivered, counter.delivered.load() + 1, std::chrono::milliseconds(200));
	warmUpAndMeasure(counter, events, m, publishMany);
	return m;
}

Measurement BusRuns::fanOut(const Poco::Util::AbstractConfiguration& config, std::size_t events, std::size_t subscribers,
	std::size_t unrelated, std::size_t maxInFlight) const
{
	EventBus bus(config);
	Counter counter;
	for (std::size_t i = 0; i < subscribers; ++i)
	{
		bus.subscribe(Workload::Topic, [&counter](const Event&) {
			counter.last.store(nowNanos(), std::memory_order_relaxed);
			counter.delivered.fetch_add(1, std::memory_order_release);
		}, TenantScope::tenant(Workload::Tenant));
	}
	if (unrelated > 0)
	{
		// Heap bytes in use (malloc's own count: the resident size does not
		// move once earlier rows grew the heap).
		const std::size_t heapBefore = mallinfo2().uordblks;
		const std::int64_t start = nowNanos();
		for (std::size_t i = 0; i < unrelated; ++i)
			bus.subscribe(Workload::Topic, [](const Event&) {}, TenantScope::tenant("other-" + std::to_string(i)));
		const double seconds = static_cast<double>(nowNanos() - start) / 1e9;
		const std::size_t heapAfter = mallinfo2().uordblks;
		const std::size_t grown = heapAfter > heapBefore ? heapAfter - heapBefore : 0;
		std::cerr << "  " << unrelated << " unrelated subscriptions made in " << static_cast<long long>(seconds * 1000)
				  << " ms (" << static_cast<long long>(seconds * 1e6 / static_cast<double>(unrelated)) << " us each), heap in use +"
				  << grown / 1024 << " KiB (" << grown / unrelated << " B each)" << std::endl;
	}
	awaitSubscription(bus, _workload, counter.delivered);
	Measurement m;
	auto publishMany = [&](std::size_t count, std::uint64_t base) {
		for (std::size_t i = 0; i < count; ++i)
		{
			while (i - std::min<std::uint64_t>(i, (counter.delivered.load(std::memory_order_acquire) - base) / subscribers)
				>= maxInFlight)
				std::this_thread::sleep_for(std::chrono::microseconds(50));
			try
			{
				bus.publish(Workload::Topic, _workload.payload, Workload::Tenant);
			}
			catch (std::exception&)
			{
				if (++m.errors > MaxErrors) throw;
			}
		}
	};
	awaitDeliveries(counter.delivered, counter.delivered.load() + subscribers, std::chrono::milliseconds(200));
	std::uint64_t base = counter.delivered.load();
	publishMany(warmupOf(events), base);
	awaitDeliveries(counter.delivered, base + warmupOf(events) * subscribers);
	m.errors = 0;
	base = counter.delivered.load();
	const std::int64_t start = nowNanos();
	publishMany(events, base);
	const bool complete = awaitDeliveries(counter.delivered, base + events * subscribers);
	const std::uint64_t got = (counter.delivered.load() - base) / subscribers;
	m.seconds = static_cast<double>((complete ? counter.last.load() : nowNanos()) - start) / 1e9;
	m.events = static_cast<std::size_t>(std::min<std::uint64_t>(got, events));
	m.lost = events - m.events;
	return m;
}

Measurement BusRuns::roundRobin(const Poco::Util::AbstractConfiguration& config, std::size_t events, std::size_t tenants,
	std::size_t topics, std::size_t maxInFlight) const
{
	EventBus bus(config);
	std::vector<std::string> tenantNames;
	std::vector<std::string> topicNames;
	for (std::size_t i = 0; i < tenants; ++i) tenantNames.push_back("rr-" + std::to_string(i));
	for (std::size_t j = 0; j < topics; ++j) topicNames.push_back(std::string(Workload::Topic) + "-" + std::to_string(j));
	Counter counter;
	std::atomic<std::uint64_t> misrouted{0};
	const std::size_t heapBefore = mallinfo2().uordblks;
	const std::int64_t subscribeStart = nowNanos();
	for (const std::string& topic : topicNames)
	{
		for (const std::string& tenant : tenantNames)
		{
			bus.subscribe(topic, [&counter, &misrouted, &topic, &tenant](const Event& event) {
				if (event.type != topic || event.tenantId != tenant) misrouted.fetch_add(1, std::memory_order_relaxed);
				counter.last.store(nowNanos(), std::memory_order_relaxed);
				counter.delivered.fetch_add(1, std::memory_order_release);
			}, TenantScope::tenant(tenant));
		}
	}
	const double subscribeSeconds = static_cast<double>(nowNanos() - subscribeStart) / 1e9;
	const std::size_t channels = tenants * topics;
	const std::size_t heapAfter = mallinfo2().uordblks;
	const std::size_t grown = heapAfter > heapBefore ? heapAfter - heapBefore : 0;
	std::cerr << "  " << channels << " subscriptions (" << tenants << " tenants x " << topics << " topics) made in "
			  << static_cast<long long>(subscribeSeconds * 1000) << " ms, heap in use +" << grown / 1024 << " KiB ("
			  << grown / channels << " B each)" << std::endl;
	Measurement m;
	std::size_t next = 0; // the channel of the next publish, round-robin
	auto publishMany = [&](std::size_t count, std::uint64_t base) {
		for (std::size_t i = 0; i < count; ++i)
		{
			while (i - std::min<std::uint64_t>(i, counter.delivered.load(std::memory_order_acquire) - base) >= maxInFlight)
				std::this_thread::sleep_for(std::chrono::microseconds(50));
			const std::size_t channel = next++ % channels;
			try
			{
				bus.publish(topicNames[channel / tenants], _workload.payload, tenantNames[channel % tenants]);
			}
			catch (std::exception&)
			{
				if (++m.errors > MaxErrors) throw;
			}
		}
	};
	warmUpAndMeasure(counter, events, m, publishMany);
	m.errors += misrouted.load();
	return m;
}

Measurement BusRuns::resubscribe(const Poco::Util::AbstractConfiguration& config, std::size_t channels,
	const std::function<void()>& restart, const std::function<std::size_t()>& channelCount) const
{
	EventBus bus(config);
	for (std::size_t i = 0; i < channels; ++i)
		bus.subscribe(Workload::Topic, [](const Event&) {}, TenantScope::tenant("resub-" + std::to_string(i)));
	// The server counts them all (so the subscriber reconnected: the restart
	// wiped them) and the bus says ready (the subscriber saw every confirmation).
	auto awaitAll = [&](std::chrono::seconds limit) {
		const auto deadline = Clock::now() + limit;
		while (channelCount() < channels || !bus.health().ready)
		{
			if (Clock::now() > deadline) return false;
			std::this_thread::sleep_for(std::chrono::milliseconds(5)); // polling the server, not a synchronisation
		}
		return true;
	};
	if (!awaitAll(std::chrono::seconds(60))) throw std::runtime_error("the first subscriptions did not all arrive within 60 s");
	const std::int64_t start = nowNanos();
	restart();
	Measurement m;
	const bool all = awaitAll(std::chrono::seconds(60));
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = all ? channels : channelCount();
	m.lost = channels - m.events;
	std::cerr << "  " << m.events << " of " << channels << " channels subscribed again "
			  << static_cast<long long>(m.seconds * 1000) << " ms after the restart began" << std::endl;
	return m;
}

Measurement BusRuns::decodeVerify(std::size_t events) const
{
	const std::string wire = _workload.wire(true);
	const EnvelopeSigner signer("k1", Workload::SigningKey, {});
	const std::size_t maxBytes = 1024 * 1024;
	auto once = [&]() {
		std::string receivedData;
		const Event event = CloudEventCodec::decode(wire, maxBytes, receivedData);
		if (!signer.verify(event, receivedData).empty()) throw std::runtime_error("the bench envelope does not verify");
	};
	for (std::size_t i = 0; i < warmupOf(events); ++i) once();
	Measurement m;
	m.latencyUs.reserve(events);
	const std::int64_t start = nowNanos();
	for (std::size_t i = 0; i < events; ++i)
	{
		const std::int64_t t0 = nowNanos();
		once();
		m.latencyUs.push_back(static_cast<double>(nowNanos() - t0) / 1e3);
	}
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = events;
	return m;
}

Measurement BusRuns::roundTrip(const Poco::Util::AbstractConfiguration& config, std::size_t events, int rate) const
{
	const std::size_t warmup = 200;
	const std::size_t total = warmup + events;
	std::vector<std::int64_t> sent(total, 0), received(total, 0);
	std::vector<std::string> correlation(total);
	for (std::size_t i = 0; i < total; ++i) correlation[i] = "lat-" + std::to_string(i);
	std::atomic<std::uint64_t> delivered{0};
	std::atomic<std::uint64_t> timed{0};

	EventBus bus(config);
	bus.subscribe(Workload::Topic, [&](const Event& event) {
		const std::int64_t now = nowNanos();
		delivered.fetch_add(1);
		unsigned index = 0;
		if (event.correlationId.compare(0, 4, "lat-") == 0
			&& Poco::NumberParser::tryParseUnsigned(event.correlationId.substr(4), index) && index < total)
		{
			received[index] = now;
			timed.fetch_add(1, std::memory_order_release);
		}
	}, TenantScope::tenant(Workload::Tenant));
	awaitSubscription(bus, _workload, delivered);

	Measurement m;
	const auto interval = std::chrono::nanoseconds(1000000000LL / rate);
	auto next = Clock::now();
	std::int64_t firstTimed = nowNanos();
	for (std::size_t i = 0; i < total; ++i)
	{
		std::this_thread::sleep_until(next);
		next += interval;
		if (i == warmup) firstTimed = nowNanos();
		sent[i] = nowNanos();
		try
		{
			bus.publish(Workload::Topic, _workload.payload, Workload::Tenant, correlation[i]);
		}
		catch (std::exception&)
		{
			if (++m.errors > MaxErrors) throw;
		}
	}
	m.seconds = static_cast<double>(nowNanos() - firstTimed) / 1e9;
	awaitDeliveries(timed, total, std::chrono::milliseconds(3000));
	bus.close();
	m.events = events;
	for (std::size_t i = warmup; i < total; ++i)
	{
		if (received[i] == 0) ++m.lost;
		else m.latencyUs.push_back(static_cast<double>(received[i] - sent[i]) / 1e3);
	}
	return m;
}

} // namespace bench
} // namespace eventbus
