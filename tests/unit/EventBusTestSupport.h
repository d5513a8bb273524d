//
// EventBusTestSupport.h
//
// The buses of the EventBus*Test suites: on the loopback transport, or on a
// SpyTransport that shows what reached the wire (BusTestSupport.h).
//
#pragma once

#include "BusTestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <cppunit/extensions/HelperMacros.h>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace eventbus {
namespace test {

const std::string Topic = "orders.created";

/// A bus in env test on the loopback transport.
inline std::unique_ptr<EventBus> loopbackBus(const std::map<std::string, std::string>& overrides = {})
{
	return std::unique_ptr<EventBus>(new EventBus(*makeConfig("loopback", overrides)));
}

/// A bus in env test on `spy` (its configuration names loopback).
inline std::unique_ptr<EventBus> spyBus(std::shared_ptr<SpyTransport> spy,
	const std::map<std::string, std::string>& overrides = {})
{
	return std::unique_ptr<EventBus>(new EventBus(*makeConfig("loopback", overrides), spy));
}

/// `publish` must throw ValidationException whose message starts with `field`.
inline void refusedNaming(const std::string& field, const std::function<void()>& publish)
{
	const std::string msg = expectThrow<ValidationException>(publish, field);
	CPPUNIT_ASSERT_MESSAGE("expected '" + field + "' first: " + msg, startsWith(msg, field));
}

} // namespace test
} // namespace eventbus
