//
// SubscribeVerb.cpp
//
// `eventbus subscribe`: waits for the transport, prints each event as one
// CloudEvents JSON line until --count, --timeout, a termination signal or a
// closed standard output, and maps each ending to its exit code.
//
#include "EventBusApp.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Exceptions.h"
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <pthread.h>

namespace eventbus {

namespace {

// How often `subscribe` repeats "waiting for transport".
const std::chrono::seconds WaitingNoticeInterval(5);

// Blocks SIGINT/SIGTERM in every thread (call before any thread starts) and
// lets one thread wait for them.
class TerminationSignals
{
public:
	TerminationSignals()
	{
		sigemptyset(&_set);
		sigaddset(&_set, SIGINT);
		sigaddset(&_set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &_set, nullptr);
	}
	/// Waits up to `timeout` for a termination signal.
	bool wait(std::chrono::milliseconds timeout)
	{
		timespec ts{static_cast<time_t>(timeout.count() / 1000), static_cast<long>((timeout.count() % 1000) * 1000000)};
		return sigtimedwait(&_set, nullptr, &ts) > 0;
	}
private:
	sigset_t _set;
};

// Returned by the waits below when a termination signal ended them.
const int ExitInterrupted = -1;

// What the subscribe handler shares with the waiting thread.
struct SubscriberState
{
	std::mutex mutex;
	std::condition_variable arrived;
	int received = 0;
	bool outputClosed = false;
};

// Until the transport reports ready (for Redis: connected, and every
// subscription confirmed by the server). EXIT_OK then; EXIT_UNAVAILABLE when
// `deadline` passed first (with a timeout), ExitInterrupted on a signal.
int waitForTransport(EventBus& bus, int timeoutSeconds, std::chrono::steady_clock::time_point deadline,
	TerminationSignals& signals)
{
	auto nextNotice = std::chrono::steady_clock::now();
	for (;;)
	{
		TransportHealth health = bus.health();
		if (health.ready) return Poco::Util::Application::EXIT_OK;
		const std::string reason = bus.redactor().redactText(health.reason, 1000);
		const auto now = std::chrono::steady_clock::now();
		if (timeoutSeconds > 0 && now >= deadline)
		{
			std::cerr << "eventbus: subscribe: transport unavailable: not ready after " << timeoutSeconds << " s: "
			          << reason << std::endl;
			return Poco::Util::Application::EXIT_UNAVAILABLE;
		}
		if (now >= nextNotice)
		{
			std::cerr << "eventbus: subscribe: waiting for transport: " << reason << std::endl;
			nextNotice = now + WaitingNoticeInterval;
		}
		if (signals.wait(std::chrono::milliseconds(50))) return ExitInterrupted;
	}
}

// Until `count` events arrived (0: until a signal), the deadline passed, or
// stdout was closed.
int waitForEvents(SubscriberState& state, int count, int timeoutSeconds,
	std::chrono::steady_clock::time_point deadline, TerminationSignals& signals)
{
	for (;;)
	{
		{
			std::unique_lock<std::mutex> lock(state.mutex);
			if (state.outputClosed)
			{
				std::cerr << "eventbus: subscribe: standard output is closed after " << state.received
				          << " events; stopping" << std::endl;
				return Poco::Util::Application::EXIT_IOERR;
			}
			if (count > 0 && state.received >= count) return Poco::Util::Application::EXIT_OK;
		}
		if (timeoutSeconds > 0 && std::chrono::steady_clock::now() >= deadline)
		{
			std::lock_guard<std::mutex> lock(state.mutex);
			std::cerr << "eventbus: subscribe: timed out after " << timeoutSeconds << " s with " << state.received
			          << (count > 0 ? " of " + std::to_string(count) : std::string()) << " events" << std::endl;
			return Poco::Util::Application::EXIT_TEMPFAIL;
		}
		// Wake on an event, a closed output, a signal, or every 50 ms for the deadline.
		{
			std::unique_lock<std::mutex> lock(state.mutex);
			state.arrived.wait_for(lock, std::chrono::milliseconds(25),
				[&]() { return state.outputClosed || (count > 0 && state.received >= count); });
		}
		if (signals.wait(std::chrono::milliseconds(25))) return Poco::Util::Application::EXIT_OK;
	}
}

} // namespace

int EventBusApp::runSubscribe()
{
	std::string topic = requireOption("topic");
	const bool allTenants = _options.count("all-tenants") > 0;
	std::string tenant = allTenants ? std::string() : requireOption("tenant");
	const int count = intOption("count", 0);
	const int timeoutSeconds = intOption("timeout", 0);
	const SubscribeOptions subscribeOptions{option("group")};

	TerminationSignals signals; // before the bus starts any thread
	std::unique_ptr<EventBus> bus = openBus();
	SubscriberState state;
	SubscriptionToken token = bus->subscribe(topic,
		[&](const Event& event) {
			std::string line = CloudEventCodec::encode(event);
			std::lock_guard<std::mutex> lock(state.mutex);
			// In a group, an event past --count (or after stdout closed) is not
			// acknowledged: it stays pending and another consumer of the group gets it.
			if ((count > 0 && state.received >= count) || state.outputClosed)
			{
				if (subscribeOptions.group.empty()) return;
				throw EventBusException("subscribe: " + std::string(state.outputClosed ? "stdout closed" :
					"--count " + std::to_string(count) + " reached") + "; left to group " + subscribeOptions.group);
			}
			// SIGPIPE is ignored: a reader that went away (`| head -n 1`)
			// shows only as a failed write.
			std::cout << line << std::endl;
			if (!std::cout)
			{
				state.outputClosed = true;
				state.arrived.notify_all();
				if (!subscribeOptions.group.empty())
					throw EventBusException("subscribe: stdout closed; left to group " + subscribeOptions.group);
				return;
			}
			++state.received;
			state.arrived.notify_all();
		},
		allTenants ? TenantScope::allTenants() : TenantScope::tenant(tenant), subscribeOptions);

	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
	int code = waitForTransport(*bus, timeoutSeconds, deadline, signals);
	if (code == EXIT_OK)
	{
		// Only now is the subscription active: a script may publish once it reads this.
		std::cerr << "subscribed " << (allTenants ? "all tenants of " + topic : bus->channelFor(tenant, topic)) << std::endl;
		code = waitForEvents(state, count, timeoutSeconds, deadline, signals);
	}
	else if (code == ExitInterrupted) code = EXIT_OK;
	bus->unsubscribe(token);
	bus->close();
	return code;
}

} // namespace eventbus
