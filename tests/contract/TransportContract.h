//
// TransportContract.h
//
// The transport contract suite: the Transport interface (eventbus/Transport.h)
// driven directly, without EventBus and its own gates in between, for any
// transport plugin. A runner links TransportContractTest.cpp, ContractSession.cpp,
// ContractRecorder.cpp, a main, and one definition of
// eventbus::contract::contractTarget() that says how to make the transport and
// what it promises (its TransportFeatures). The features decide which
// behaviours run; a skipped behaviour prints one line with the reason.
//
#pragma once

#include "eventbus/Transport.h"
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace eventbus {
namespace contract {

/// What a transport promises beyond the interface's minimum. Every field
/// decides whether a behaviour runs (or which variant of it).
struct TransportFeatures
{
	/// Messages of one channel from one publisher arrive in publish order.
	bool guaranteedOrder = false;
	/// Messages survive a broker restart (no gap is reported for them).
	bool persistent = false;
	/// A callback answering DeliveryResult::failed() gets the message again,
	/// with the same id and deliveryCount 2.
	bool redelivery = false;
	/// publishAsync() is the transport's own: `done` may come later, from
	/// another thread. Without it the default runs: `done` before it returns.
	bool asyncPublish = false;
	/// ContractTarget::restartBroker restarts the broker; delivery resumes on
	/// the live subscriptions and (unless persistent) a gap is reported.
	bool restartable = false;
	/// ChannelSubscription::pattern (the framework's {prefix}.{env}.*.{topic}) is supported.
	bool patterns = true;
	/// isInProcess() answers true (memory, loopback).
	bool inProcess = false;
};

/// How to make the transport under test.
struct ContractTarget
{
	/// Transport::name(), the name its manifest exports.
	std::string transport;
	/// A fresh, not yet started transport per call (e.g. PluginHost::create).
	std::function<std::shared_ptr<Transport>()> create;
	/// Configuration keys handed to start() (full names, e.g. eventbus.redis.url).
	std::map<std::string, std::string> keys;
	TransportFeatures features;
	/// Restarts the broker (features.restartable): returns once it serves again.
	/// Called from the test's thread.
	std::function<void()> restartBroker;
	/// How long an asynchronous delivery, readiness or recovery may take.
	std::chrono::milliseconds timeout{5000};
};

/// Defined by the runner; called once per test.
ContractTarget contractTarget();

} // namespace contract
} // namespace eventbus
