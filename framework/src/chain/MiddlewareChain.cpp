//
// MiddlewareChain.cpp
//
// The factory table (built-ins and host-defined middleware) and the four
// walks of the chain.
//
#include "eventbus/middleware/MiddlewareChain.h"
#include "eventbus/Exceptions.h"
#include "eventbus/middleware/Idempotency.h"
#include "eventbus/middleware/MetricsRecorder.h"
#include "eventbus/middleware/Redaction.h"
#include "eventbus/middleware/TenantGuard.h"
#include <Poco/String.h>
#include <map>
#include <mutex>
#include <set>

namespace eventbus {

namespace {

struct Factories
{
	std::mutex mutex;
	std::vector<std::pair<std::string, MiddlewareFactory>> entries; // in definition order

	Factories()
	{
		entries.emplace_back("tenant-guard", [](const MiddlewareSetup& s) -> MiddlewarePtr {
			return std::make_shared<TenantGuard>(s.settings.prefix, s.settings.env);
		});
		entries.emplace_back("redaction", [](const MiddlewareSetup& s) -> MiddlewarePtr {
			return std::make_shared<Redaction>(s.redactor, s.settings.redactionMode, s.metrics, s.logger);
		});
		entries.emplace_back("idempotency", [](const MiddlewareSetup& s) -> MiddlewarePtr {
			return std::make_shared<Idempotency>(s.settings.idempotencyMaxEntries, s.settings.idempotencyWindowSeconds,
				s.settings.maxEventAgeSeconds, s.settings.maxClockSkewSeconds, s.metrics);
		});
		entries.emplace_back("metrics", [](const MiddlewareSetup& s) -> MiddlewarePtr {
			return std::make_shared<MetricsRecorder>(s.metrics, s.settings.metricsTenantLabel);
		});
	}

	static Factories& instance()
	{
		static Factories factories;
		return factories;
	}
};

bool validName(const std::string& name)
{
	if (name.empty() || name.size() > 64) return false;
	for (char c : name)
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
	return true;
}

} // namespace

void MiddlewareChain::define(const std::string& name, MiddlewareFactory factory)
{
	if (!validName(name))
		throw ConfigException("middleware name must match [a-z0-9_-]{1,64}");
	if (!factory) throw ConfigException("middleware '" + name + "': the factory must not be empty");
	Factories& factories = Factories::instance();
	std::lock_guard<std::mutex> lock(factories.mutex);
	for (const auto& entry : factories.entries)
		if (entry.first == name) throw ConfigException("middleware '" + name + "' is already defined");
	factories.entries.emplace_back(name, std::move(factory));
}

std::vector<std::string> MiddlewareChain::knownNames()
{
	Factories& factories = Factories::instance();
	std::lock_guard<std::mutex> lock(factories.mutex);
	std::vector<std::string> names;
	for (const auto& entry : factories.entries) names.push_back(entry.first);
	return names;
}

MiddlewareChain MiddlewareChain::fromSettings(const MiddlewareSetup& setup)
{
	std::vector<std::pair<std::string, MiddlewareFactory>> table;
	{
		Factories& factories = Factories::instance();
		std::lock_guard<std::mutex> lock(factories.mutex);
		table = factories.entries;
	}
	std::vector<MiddlewarePtr> members;
	std::set<std::string> seen;
	for (const auto& name : setup.settings.middleware)
	{
		if (!seen.insert(name).second)
			throw ConfigException("eventbus.middleware: '" + name + "' is listed twice");
		const MiddlewareFactory* factory = nullptr;
		for (const auto& entry : table)
			if (entry.first == name) factory = &entry.second;
		if (!factory)
		{
			std::vector<std::string> known;
			for (const auto& entry : table) known.push_back(entry.first);
			throw ConfigException("eventbus.middleware: unknown middleware '" + name + "' (known: "
				+ Poco::cat(std::string(", "), known.begin(), known.end()) + ")");
		}
		MiddlewarePtr member = (*factory)(setup);
		if (!member) throw ConfigException("eventbus.middleware: the factory of '" + name + "' made nothing");
		members.push_back(std::move(member));
	}
	return MiddlewareChain(std::move(members));
}

MiddlewareChain::MiddlewareChain(std::vector<MiddlewarePtr> members): _members(std::move(members))
{
}

void MiddlewareChain::onPublish(PublishContext& context) const
{
	for (const auto& member : _members) member->onPublish(context);
}

void MiddlewareChain::afterPublish(const PublishContext& context, bool ok) const noexcept
{
	for (const auto& member : _members)
	{
		try { member->afterPublish(context, ok); }
		catch (...) {}
	}
}

bool MiddlewareChain::onDeliver(DeliveryContext& context, Poco::Logger& logger, const Redactor& redactor) const
{
	for (const auto& member : _members)
	{
		bool pass = false;
		try
		{
			pass = member->onDeliver(context);
		}
		catch (std::exception& exc)
		{
			context.dropReason = "middleware-error";
			logger.error("middleware %s threw on delivery: %s", member->name(), redactor.redactText(exc.what()));
		}
		catch (...)
		{
			context.dropReason = "middleware-error";
			logger.error("middleware %s threw an unknown exception on delivery", member->name());
		}
		if (!pass)
		{
			if (context.dropReason.empty()) context.dropReason = member->name();
			return false;
		}
	}
	return true;
}

void MiddlewareChain::afterDeliver(const DeliveryContext& context, bool threw) const noexcept
{
	for (const auto& member : _members)
	{
		try { member->afterDeliver(context, threw); }
		catch (...) {}
	}
}

std::vector<std::string> MiddlewareChain::names() const
{
	std::vector<std::string> names;
	for (const auto& member : _members) names.push_back(member->name());
	return names;
}

} // namespace eventbus
