//
// UnitSupport.h
//
// Small helpers shared by the unit suites: expecting an exception of one
// type and returning its message, running a call that must not deadlock, and
// a spy transport that records what the bus hands it and delivers by hand.
//
#pragma once

#include "TestSupport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/Transport.h"
#include <Poco/String.h>
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace eventbus {
namespace test {

inline bool startsWith(const std::string& text, const std::string& prefix)
{
	return text.compare(0, prefix.size(), prefix) == 0;
}

inline bool contains(const std::string& text, const std::string& part)
{
	return text.find(part) != std::string::npos;
}

inline bool containsNoCase(const std::string& text, const std::string& part)
{
	return contains(Poco::toLower(text), Poco::toLower(part));
}

/// Lower-case 8-4-4-4-12 hex, as Poco::UUID::toString() writes it.
inline bool isUuid(const std::string& text)
{
	if (text.size() != 36)
		return false;
	for (std::size_t i = 0; i < text.size(); ++i)
	{
		const char c = text[i];
		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (c != '-')
				return false;
		}
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/// Calls `f`, which must throw E; returns the exception's message. Fails the
/// test when nothing or something else is thrown.
template <class E, class F>
std::string expectThrow(F f, const std::string& what = "")
{
	try
	{
		f();
	}
	catch (E& exc)
	{
		return exc.message();
	}
	catch (Poco::Exception& exc)
	{
		CPPUNIT_FAIL(what + ": expected " + typeid(E).name() + ", got " + exc.displayText());
	}
	catch (std::exception& exc)
	{
		CPPUNIT_FAIL(what + ": expected " + typeid(E).name() + ", got std::exception " + exc.what());
	}
	CPPUNIT_FAIL(what + ": expected " + typeid(E).name() + ", nothing was thrown");
	return "";
}

/// Runs `f` on its own thread; if it has not returned within `timeout` the
/// process aborts (a deadlock cannot be recovered from inside a test).
template <class F>
void runOrAbort(const char* what, F f, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000))
{
	std::atomic<bool> done{false};
	std::thread worker([&]() { f(); done = true; });
	if (!waitUntil([&]() { return done.load(); }, timeout))
	{
		std::cerr << "DEADLOCK: " << what << " did not return within " << timeout.count() << " ms" << std::endl;
		std::abort();
	}
	worker.join();
}

/// A transport that records every outbound message and lets the test deliver
/// inbound messages by hand to the callbacks whose channel or pattern matches.
class SpyTransport : public Transport
{
public:
	std::string name() const override { return "spy"; }
	bool isInProcess() const override { return true; }
	void start(const TransportContext&) override { started = true; }
	void stop() override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		stopped = true;
		_subs.clear();
	}
	void publish(const OutboundMessage& message) override
	{
		if (failWith == 1)
			throw TransportException("spy: connection lost");
		if (failWith == 2)
			throw OverflowException("spy: queue full");
		std::lock_guard<std::mutex> lock(_mutex);
		_published.push_back(message);
	}
	std::uint64_t subscribe(const ChannelSubscription& subscription, DeliveryCallback callback) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_subs[++_next] = Sub{subscription, std::move(callback)};
		return _next;
	}
	void unsubscribe(std::uint64_t id) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_subs.erase(id);
	}
	TransportHealth health() override { return {true, "spy"}; }

	std::vector<OutboundMessage> published() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _published;
	}
	std::vector<ChannelSubscription> subscriptions() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		std::vector<ChannelSubscription> result;
		for (const auto& s : _subs)
			result.push_back(s.second.subscription);
		return result;
	}
	/// Hands `message` to every matching callback (outside the lock); returns how many.
	std::size_t deliver(const InboundMessage& message)
	{
		std::vector<DeliveryCallback> targets;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			for (const auto& s : _subs)
			{
				const auto& sub = s.second.subscription;
				if (sub.pattern ? ChannelName::matches(sub.channel, message.channel) : sub.channel == message.channel)
					targets.push_back(s.second.callback);
			}
		}
		for (const auto& cb : targets)
			cb(message);
		return targets.size();
	}

	std::atomic<bool> started{false};
	std::atomic<bool> stopped{false};
	std::atomic<int> failWith{0}; ///< 1: publish throws TransportException, 2: OverflowException

private:
	struct Sub
	{
		ChannelSubscription subscription;
		DeliveryCallback callback;
	};
	mutable std::mutex _mutex;
	std::map<std::uint64_t, Sub> _subs;
	std::uint64_t _next = 0;
	std::vector<OutboundMessage> _published;
};

} // namespace test
} // namespace eventbus
