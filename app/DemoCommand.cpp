//
// DemoCommand.cpp
//
// `eventbus demo`: two tenants on one topic, a refused cross-tenant attempt,
// a forged envelope dropped, a duplicate dropped, a secret redacted in the
// log while the handler gets the real value, and the metrics. Every step is
// checked; the exit code says whether all held.
//
#include "EventBusApp.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Exceptions.h"
#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <ostream>
#include <vector>

namespace eventbus {

namespace {

// Keeps the log lines of the bus so the demo can show them.
class CaptureChannel: public Poco::Channel
{
public:
	void log(const Poco::Message& msg) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_lines.push_back(msg.getText());
	}
	std::vector<std::string> lines()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _lines;
	}
private:
	std::mutex _mutex;
	std::vector<std::string> _lines;
};

// What one handler received.
struct Inbox
{
	std::mutex mutex;
	std::condition_variable changed;
	std::vector<Event> events;

	Handler handler()
	{
		return [this](const Event& event) {
			std::lock_guard<std::mutex> lock(mutex);
			events.push_back(event);
			changed.notify_all();
		};
	}
	bool waitFor(std::size_t n)
	{
		std::unique_lock<std::mutex> lock(mutex);
		return changed.wait_for(lock, std::chrono::seconds(5), [&]() { return events.size() >= n; });
	}
	std::vector<Event> snapshot()
	{
		std::lock_guard<std::mutex> lock(mutex);
		return events;
	}
};

bool waitForCounter(Metrics& metrics, const std::string& name, std::uint64_t atLeast)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	while (metrics.counterValue(name) < atLeast)
	{
		if (std::chrono::steady_clock::now() >= deadline) return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
	}
	return true;
}

std::string field(const Event& event, const std::string& key)
{
	return event.data && event.data->has(key) ? event.data->getValue<std::string>(key) : std::string("?");
}

} // namespace

int runDemo(EventBus& bus, std::ostream& out)
{
	int checks = 0, failures = 0;
	auto check = [&](bool ok, const std::string& what) {
		++checks;
		if (!ok) ++failures;
		out << "   " << (ok ? "[ok]   " : "[FAIL] ") << what << "\n";
	};
	std::string chain;
	for (const auto& name : bus.middlewareNames()) chain += (chain.empty() ? "" : " -> ") + name;
	out << "eventbus demo: transport '" << bus.settings().transport << "', env '" << bus.settings().env
	    << "', chain " << chain << "\n\n";

	// 1. Two tenants, one topic, each sees only its own.
	out << "1. Two tenants subscribe to orders.created\n";
	Inbox acme, globex;
	SubscriptionToken acmeToken = bus.subscribe("orders.created", acme.handler(), TenantScope::tenant("acme"));
	SubscriptionToken globexToken = bus.subscribe("orders.created", globex.handler(), TenantScope::tenant("globex"));
	Receipt acmeReceipt = bus.publish("orders.created", std::string(R"({"orderId":"A-1","amount":42})"), "acme");
	bus.publish("orders.created", std::string(R"({"orderId":"G-1","amount":7})"), "globex");
	out << "   published A-1 for acme on " << acmeReceipt.channel << " (id " << acmeReceipt.messageId << ")\n";
	out << "   published G-1 for globex on " << bus.channelFor("globex", "orders.created") << "\n";
	bool both = acme.waitFor(1) && globex.waitFor(1);
	auto acmeEvents = acme.snapshot();
	auto globexEvents = globex.snapshot();
	check(both && acmeEvents.size() == 1 && field(acmeEvents[0], "orderId") == "A-1",
		"acme received only A-1");
	check(both && globexEvents.size() == 1 && field(globexEvents[0], "orderId") == "G-1",
		"globex received only G-1");

	// 2. Cross-tenant attempts.
	out << "\n2. Cross-tenant attempts\n";
	try
	{
		bus.subscribe("orders.created", [](const Event&) {}, TenantScope::allTenants());
		check(bus.settings().allowCrossTenant, "cross-tenant subscription allowed (eventbus.security.allowCrossTenant=true)");
	}
	catch (PolicyException& exc)
	{
		out << "   subscribe(all tenants) -> " << exc.message() << "\n";
		check(true, "cross-tenant subscription refused");
	}
	Event forged;
	forged.id = "forged-1";
	forged.source = "/attacker";
	forged.type = "orders.created";
	forged.tenantId = "globex"; // claims globex, sent on acme's channel
	forged.correlationId = "forged";
	forged.data = new Poco::JSON::Object;
	forged.data->set("orderId", "X-1");
	std::uint64_t droppedBefore = bus.metrics().counterValue(Metrics::Dropped);
	bus.transport().publish(OutboundMessage{acmeReceipt.channel, std::make_shared<Event>(forged),
		CloudEventCodec::encode(forged)});
	bool droppedForged = waitForCounter(bus.metrics(), Metrics::Dropped, droppedBefore + 1);
	out << "   an envelope claiming tenant globex, injected on acme's channel\n";
	check(droppedForged && acme.snapshot().size() == 1, "forged envelope dropped before any handler");

	// 3. A duplicate delivery.
	out << "\n3. At-least-once redelivery of the same envelope\n";
	bus.publish("orders.created", std::string(R"({"orderId":"A-2","amount":5})"), "acme");
	bool second = acme.waitFor(2);
	std::uint64_t duplicatesBefore = bus.metrics().counterValue(Metrics::Duplicates);
	if (second)
	{
		Event again = acme.snapshot()[1];
		bus.transport().publish(OutboundMessage{acmeReceipt.channel, std::make_shared<Event>(again),
			CloudEventCodec::encode(again)});
		out << "   handed event " << again.id << " to the transport a second time\n";
	}
	bool duplicateDropped = waitForCounter(bus.metrics(), Metrics::Duplicates, duplicatesBefore + 1);
	check(second && duplicateDropped && acme.snapshot().size() == 2, "duplicate dropped by idempotency, handler called once");

	// 4. Redaction.
	out << "\n4. A payload with secrets\n";
	Poco::AutoPtr<CaptureChannel> capture(new CaptureChannel);
	Poco::Logger& busLogger = Poco::Logger::get("eventbus.bus");
	Poco::AutoPtr<Poco::Channel> oldChannel(busLogger.getChannel(), true);
	int oldLevel = busLogger.getLevel();
	busLogger.setChannel(capture);
	busLogger.setLevel(Poco::Message::PRIO_DEBUG);
	Inbox users;
	SubscriptionToken usersToken = bus.subscribe("users.registered", users.handler(), TenantScope::tenant("acme"));
	bus.publish("users.registered",
		std::string(R"({"user":"alice","password":"hunter2","profile":{"API_KEY":"k-123","tags":["a"]}})"), "acme");
	bool gotUser = users.waitFor(1);
	busLogger.setChannel(oldChannel);
	busLogger.setLevel(oldLevel);
	bool leaked = false, logged = false;
	for (const auto& line : capture->lines())
	{
		if (line.find("users.registered") == std::string::npos) continue;
		logged = true;
		out << "   log| " << line << "\n";
		if (line.find("hunter2") != std::string::npos || line.find("k-123") != std::string::npos) leaked = true;
	}
	check(logged && !leaked, "password and API_KEY masked in the log line");
	std::string seen = gotUser ? field(users.snapshot()[0], "password") : "";
	out << "   handler received password = \"" << seen << "\"\n";
	if (bus.settings().redactionMode == RedactionMode::Log)
		check(seen == "hunter2", "handler still gets the real payload (eventbus.redaction.mode=log)");
	else
		check(seen == "***", "payload masked on the wire too (eventbus.redaction.mode=payload)");

	// 5. Metrics.
	bus.unsubscribe(acmeToken);
	bus.unsubscribe(globexToken);
	bus.unsubscribe(usersToken);
	out << "\n5. Metrics\n" << bus.metrics().summary();
	out << "\n" << (checks - failures) << " passed, " << failures << " failed" << std::endl;
	return failures == 0 ? 0 : 1;
}

} // namespace eventbus
