//
// ContractSession.h
//
// One transport of the contract suite, started with a TransportContext the
// session owns (configuration, env "test", prefix "c2pro", Metrics, Logger,
// Redactor, a gap listener), and the messages the tests publish on it: real
// CloudEvents wires made by CloudEventCodec::encode.
//
#pragma once

#include "GapRecorder.h"
#include "TransportContract.h"
#include "eventbus/Metrics.h"
#include "eventbus/Redactor.h"
#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <memory>
#include <string>

namespace eventbus {
namespace contract {

class ContractSession
{
public:
	static constexpr const char* Env = "test";
	static constexpr const char* Prefix = "c2pro";

	/// Creates the transport of `target` and starts it.
	explicit ContractSession(const ContractTarget& target);
	/// Stops the transport and releases it before the context it was given.
	~ContractSession();

	ContractSession(const ContractSession&) = delete;
	ContractSession& operator=(const ContractSession&) = delete;

	Transport& transport() { return *_transport; }
	std::shared_ptr<Transport> shared() { return _transport; }
	const GapRecorder& gaps() const { return _gaps; }
	Metrics& metrics() { return _metrics; }

	/// {prefix}.{env}.{tenant}.{topic}.
	static std::string channel(const std::string& tenant, const std::string& topic);
	/// The framework's cross-tenant pattern {prefix}.{env}.*.{topic}.
	static std::string pattern(const std::string& topic);
	/// A topic no other test uses (one server may serve the whole run).
	static std::string uniqueTopic(const std::string& name);

	/// A message to `tenant`/`topic` whose data is {"seq": seq}, with a fresh
	/// id; `wire` is CloudEventCodec::encode of `event`.
	static OutboundMessage message(const std::string& tenant, const std::string& topic, int seq);

	/// Waits until health().ready (after subscribing: the subscriptions are
	/// active); false after `timeout`.
	bool waitReady(std::chrono::milliseconds timeout);

private:
	Poco::AutoPtr<Poco::Util::MapConfiguration> _config;
	Metrics _metrics;
	Redactor _redactor;
	GapRecorder _gaps;
	std::shared_ptr<Transport> _transport;
};

/// Polls `condition` every few milliseconds until it holds or `timeout`
/// passes; returns its last value.
bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

} // namespace contract
} // namespace eventbus
