//
// MiddlewareChain.h
//
// The ordered chain every event walks: built from eventbus.middleware, open
// to middleware a host defines, and the only place the walk is written.
//
#pragma once

#include "eventbus/BusSettings.h"
#include "eventbus/Metrics.h"
#include "eventbus/Middleware.h"
#include "eventbus/Redactor.h"
#include <Poco/Logger.h>
#include <functional>
#include <string>
#include <vector>

namespace eventbus {

/// What a middleware factory gets to build its middleware for one bus.
struct MiddlewareSetup
{
	const BusSettings& settings;
	const Redactor& redactor;
	Metrics& metrics;
	Poco::Logger& logger;
};

using MiddlewareFactory = std::function<MiddlewarePtr(const MiddlewareSetup&)>;

class MiddlewareChain
{
public:
	/// Makes `name` usable in eventbus.middleware for every bus created after
	/// this call in the process (a host's own middleware, e.g. "audit").
	/// Throws ConfigException for an invalid name or one already defined
	/// (the built-ins tenant-guard, redaction, idempotency, metrics included).
	static void define(const std::string& name, MiddlewareFactory factory);

	/// The names eventbus.middleware may list: the built-ins, then the defined ones.
	static std::vector<std::string> knownNames();

	/// Builds the chain named by settings.middleware, in that order. Throws
	/// ConfigException for an unknown or repeated name.
	static MiddlewareChain fromSettings(const MiddlewareSetup& setup);

	MiddlewareChain() = default;
	explicit MiddlewareChain(std::vector<MiddlewarePtr> members);

	/// onPublish of each member in order; what a member throws (a refusal)
	/// passes through and stops the walk.
	void onPublish(PublishContext& context) const;
	/// afterPublish of each member in order; what a member throws is ignored.
	void afterPublish(const PublishContext& context, bool ok) const noexcept;
	/// onDeliver of each member in order until one drops the event: then
	/// false, with context.dropReason set (the member's name when it gave
	/// none; "middleware-error" when it threw, which is logged through the
	/// redactor).
	bool onDeliver(DeliveryContext& context, Poco::Logger& logger, const Redactor& redactor) const;
	/// afterDeliver of each member in order; what a member throws is ignored.
	void afterDeliver(const DeliveryContext& context, bool threw) const noexcept;

	std::vector<std::string> names() const;
	std::size_t size() const { return _members.size(); }
	const MiddlewarePtr& operator[](std::size_t i) const { return _members[i]; }

private:
	std::vector<MiddlewarePtr> _members;
};

} // namespace eventbus
