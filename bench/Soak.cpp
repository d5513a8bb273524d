//
// Soak.cpp
//
#include "Soak.h"
#include "eventbus/EventBus.h"
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <atomic>
#include <iomanip>
#include <thread>

namespace eventbus {
namespace bench {

namespace {

double mib(std::size_t bytes)
{
	return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

} // namespace

bool SoakResult::flat() const
{
	const std::size_t allowance = std::max<std::size_t>(8u * 1024 * 1024, rssWarm / 20);
	return rssEnd <= rssWarm + allowance;
}

SoakResult runSoak(const BenchOptions& options, std::ostream& progress)
{
	SoakResult r;
	auto config = busConfig(options, "memory", "test");
	EventBus bus(*config);
	std::atomic<std::uint64_t> delivered{0};
	std::atomic<std::uint64_t> outOfOrder{0};
	std::int64_t expected = 0; // only the delivery thread touches it
	bus.subscribe(Workload::Topic, [&](const Event& event) {
		Poco::Int64 seq = event.data->getValue<Poco::Int64>("seq");
		if (seq != expected) outOfOrder.fetch_add(1);
		expected = seq + 1;
		delivered.fetch_add(1, std::memory_order_release);
	}, TenantScope::tenant(Workload::Tenant));

	const std::string note(std::max<std::size_t>(16, options.payloadBytes / 2), 'x');
	Poco::JSON::Object::Ptr customer(new Poco::JSON::Object);
	customer->set("id", "cust-000042");
	customer->set("name", "Ada Lovelace");

	r.rssStart = residentBytes();
	r.rssMax = r.rssStart;
	const double duration = options.durationSeconds;
	r.warmAtSeconds = std::min(30.0, std::max(5.0, duration / 10.0));
	if (r.warmAtSeconds > duration / 2) r.warmAtSeconds = duration / 2;
	const std::int64_t start = nowNanos();
	double nextSample = 0, nextProgress = duration / 10.0;
	bool warmTaken = false;
	for (std::uint64_t seq = 0;; ++seq)
	{
		if ((seq & 1023) == 0)
		{
			const double elapsed = static_cast<double>(nowNanos() - start) / 1e9;
			if (elapsed >= nextSample)
			{
				std::size_t rss = residentBytes();
				r.rssSamples.emplace_back(elapsed, rss);
				r.rssMax = std::max(r.rssMax, rss);
				nextSample += 1.0;
				if (!warmTaken && elapsed >= r.warmAtSeconds)
				{
					r.rssWarm = rss;
					warmTaken = true;
				}
			}
			if (elapsed >= nextProgress)
			{
				progress << "soak: " << std::fixed << std::setprecision(0) << elapsed << " s, " << r.published
				         << " published, " << delivered.load() << " delivered, RSS " << std::setprecision(1)
				         << mib(residentBytes()) << " MiB" << std::endl;
				nextProgress += duration / 10.0;
			}
			if (elapsed >= duration) break;
		}
		Poco::JSON::Object::Ptr payload(new Poco::JSON::Object);
		payload->set("seq", static_cast<Poco::Int64>(seq));
		payload->set("orderId", "ord-" + std::to_string(seq));
		payload->set("customer", customer);
		payload->set("note", note);
		try
		{
			bus.publish(Workload::Topic, payload, Workload::Tenant);
			++r.published;
		}
		catch (std::exception& exc)
		{
			if (++r.publishErrors == 1) progress << "soak: publish failed: " << exc.what() << std::endl;
		}
	}
	r.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	// Nothing lost: every published event reaches the handler.
	const auto deadline = Clock::now() + std::chrono::seconds(30);
	while (delivered.load() < r.published && Clock::now() < deadline)
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	r.delivered = delivered.load();
	r.lost = r.published > r.delivered ? r.published - r.delivered : 0;
	r.outOfOrder = outOfOrder.load();
	r.dropped = bus.metrics().counterValue(Metrics::Dropped);
	r.handlerErrors = bus.metrics().counterValue(Metrics::HandlerErrors);
	r.rssEnd = residentBytes();
	r.rssMax = std::max(r.rssMax, r.rssEnd);
	if (!warmTaken) r.rssWarm = r.rssStart;
	return r;
}

void printSoak(const SoakResult& r, const BenchOptions& options, bool json, std::ostream& out)
{
	if (json)
	{
		Poco::JSON::Object root(Poco::JSON_PRESERVE_KEY_ORDER);
		root.set("mode", "soak");
		root.set("transport", "memory");
		root.set("middleware", "tenant-guard,redaction,idempotency,metrics");
		root.set("durationSeconds", options.durationSeconds);
		root.set("seconds", r.seconds);
		root.set("published", r.published);
		root.set("delivered", r.delivered);
		root.set("eventsPerSecond", r.seconds > 0 ? static_cast<double>(r.published) / r.seconds : 0.0);
		root.set("lost", r.lost);
		root.set("outOfOrder", r.outOfOrder);
		root.set("dropped", r.dropped);
		root.set("handlerErrors", r.handlerErrors);
		root.set("publishErrors", r.publishErrors);
		root.set("rssStartBytes", static_cast<Poco::UInt64>(r.rssStart));
		root.set("rssWarmBytes", static_cast<Poco::UInt64>(r.rssWarm));
		root.set("rssWarmAtSeconds", r.warmAtSeconds);
		root.set("rssEndBytes", static_cast<Poco::UInt64>(r.rssEnd));
		root.set("rssMaxBytes", static_cast<Poco::UInt64>(r.rssMax));
		root.set("flat", r.flat());
		root.set("ok", r.ok());
		Poco::JSON::Array::Ptr samples(new Poco::JSON::Array);
		for (const auto& s : r.rssSamples)
		{
			Poco::JSON::Array::Ptr pair(new Poco::JSON::Array);
			pair->add(s.first);
			pair->add(static_cast<Poco::UInt64>(s.second));
			samples->add(pair);
		}
		root.set("rssSamples", samples);
		root.stringify(out, 2);
		out << "\n";
		return;
	}
	out << std::fixed << std::setprecision(1);
	out << "soak: memory transport, full chain, one subscriber, " << options.durationSeconds << " s\n";
	out << "  published      " << r.published << " (" << std::setprecision(0)
	    << (r.seconds > 0 ? static_cast<double>(r.published) / r.seconds : 0.0) << " events/s)\n";
	out << "  delivered      " << r.delivered << "\n";
	out << "  lost           " << r.lost << "  out of order " << r.outOfOrder << "  dropped " << r.dropped
	    << "  handler errors " << r.handlerErrors << "  publish errors " << r.publishErrors << "\n";
	out << std::setprecision(1);
	out << "  RSS start      " << mib(r.rssStart) << " MiB (before the first publish)\n";
	out << "  RSS warm       " << mib(r.rssWarm) << " MiB (at " << std::setprecision(0) << r.warmAtSeconds
	    << " s: idempotency window and queues full)\n" << std::setprecision(1);
	out << "  RSS end        " << mib(r.rssEnd) << " MiB (max " << mib(r.rssMax) << " MiB)\n";
	out << "  memory         " << (r.flat() ? "flat" : "GROWS") << " (end - warm = " << std::setprecision(2)
	    << (static_cast<double>(r.rssEnd) - static_cast<double>(r.rssWarm)) / (1024.0 * 1024.0)
	    << " MiB; allowed max(8 MiB, 5 %))\n";
	out << "  result         " << (r.ok() ? "ok" : "FAILED") << "\n";
}

} // namespace bench
} // namespace eventbus
