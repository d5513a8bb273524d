//
// ConfigAudit.cpp
//
// Unexpandable values and unknown keys of the eventbus.* configuration.
//
#include "eventbus/ConfigAudit.h"
#include "eventbus/BusSettings.h"
#include "eventbus/Exceptions.h"
#include "eventbus/PluginHost.h"
#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/String.h>
#include <algorithm>
#include <mutex>
#include <set>

namespace eventbus {

namespace {

const std::string EnvReference = "${system.env.";

// Keys the framework reads outside a bus (EventBusSubsystem).
const std::vector<std::string> FrameworkKeys{"eventbus.config.file"};

void collectKeys(const Poco::Util::AbstractConfiguration& config, const std::string& prefix,
	std::vector<std::string>& out)
{
	Poco::Util::AbstractConfiguration::Keys children;
	config.keys(prefix, children);
	for (const auto& child : children)
	{
		const std::string key = prefix + "." + child;
		if (config.hasProperty(key)) out.push_back(key);
		collectKeys(config, key, out);
	}
}

std::size_t editDistance(const std::string& a, const std::string& b)
{
	std::vector<std::size_t> row(b.size() + 1);
	for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
	for (std::size_t i = 1; i <= a.size(); ++i)
	{
		std::size_t diagonal = row[0];
		row[0] = i;
		for (std::size_t j = 1; j <= b.size(); ++j)
		{
			const std::size_t above = row[j];
			row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
			diagonal = above;
		}
	}
	return row[b.size()];
}

// The namespaces eventbus.NAME. of the transports in the plugins folder other
// than the selected one: their keys are for processes that run them.
// The key namespaces of a transport: eventbus.NAME. and, for a name with
// dashes, the dotted form too (redis-streams: eventbus.redis.streams.).
std::vector<std::string> transportNamespaces(const std::string& name)
{
	std::vector<std::string> namespaces{"eventbus." + name + "."};
	if (name.find('-') != std::string::npos)
	{
		std::string dotted = name;
		std::replace(dotted.begin(), dotted.end(), '-', '.');
		namespaces.push_back("eventbus." + dotted + ".");
	}
	return namespaces;
}

bool startsWith(const std::string& text, const std::string& prefix);

std::vector<std::string> otherTransportNamespaces(const Poco::Util::AbstractConfiguration& config)
{
	std::vector<std::string> namespaces;
	try
	{
		const BusSettings settings = BusSettings::fromConfig(config);
		const std::vector<std::string> own = transportNamespaces(settings.transport);
		for (const auto& file : PluginHost::pluginFiles(settings.pluginsPath))
		{
			for (const auto& name : PluginHost::instance().inspect(file, settings.pluginsStrictModes).names)
			{
				if (name == settings.transport) continue;
				// eventbus.redis. holds keys redis-streams reads too: not set aside.
				for (const auto& ns : transportNamespaces(name))
					if (std::none_of(own.begin(), own.end(), [&](const std::string& mine) { return startsWith(mine, ns); }))
						namespaces.push_back(ns);
			}
		}
	}
	catch (Poco::Exception&)
	{
		// No readable plugins folder: no other transport to set aside.
	}
	return namespaces;
}

bool startsWith(const std::string& text, const std::string& prefix)
{
	return text.compare(0, prefix.size(), prefix) == 0;
}

std::mutex warnedMutex;
std::set<std::string> warned; // keys already warned about in this process

} // namespace

const std::string ConfigAudit::StrictKey = "eventbus.config.strict";

ConfigAudit::ConfigAudit(const Poco::Util::AbstractConfiguration& config)
{
	const auto* hosts = dynamic_cast<const RecordingConfiguration*>(&config);
	_hostReports = hosts != nullptr;
	// Checked past the recording: checking reads every key.
	checkValues(hosts ? hosts->inner() : config);
	if (hosts)
		_recorded = RecordingConfiguration::Ptr(const_cast<RecordingConfiguration*>(hosts), true);
	else
		_recorded = new RecordingConfiguration(config);
}

const Poco::Util::AbstractConfiguration& ConfigAudit::config() const
{
	return *_recorded;
}

void ConfigAudit::finish() const
{
	if (!_hostReports) reportUnknownKeys(*_recorded);
}

void ConfigAudit::checkValues(const Poco::Util::AbstractConfiguration& config)
{
	std::vector<std::string> keys;
	collectKeys(config, "eventbus", keys);
	for (const auto& key : keys)
	{
		std::string value;
		try
		{
			value = config.getString(key);
		}
		catch (Poco::CircularReferenceException&)
		{
			throw ConfigException(key + ": its ${...} references form a loop (value '" + config.getRawString(key, "")
				+ "')");
		}
		const std::size_t at = value.find(EnvReference);
		if (at == std::string::npos) continue;
		const std::size_t start = at + EnvReference.size();
		const std::size_t end = value.find('}', start);
		throw ConfigException(key + ": environment variable " + value.substr(start, end == std::string::npos
			? std::string::npos : end - start) + " is not set");
	}
}

std::vector<std::string> ConfigAudit::unknownKeys(const RecordingConfiguration& used)
{
	std::vector<std::string> keys;
	collectKeys(used.inner(), "eventbus", keys);
	std::vector<std::string> unread;
	for (const auto& key : keys)
	{
		if (used.isKnown(key)) continue;
		if (std::find(FrameworkKeys.begin(), FrameworkKeys.end(), key) != FrameworkKeys.end()) continue;
		unread.push_back(key);
	}
	if (unread.empty()) return unread; // the usual case: no need to look at the plugins
	const std::vector<std::string> ignored = otherTransportNamespaces(used.inner());
	std::vector<std::string> unknown;
	for (const auto& key : unread)
	{
		if (std::none_of(ignored.begin(), ignored.end(), [&](const std::string& ns) { return startsWith(key, ns); }))
			unknown.push_back(key);
	}
	std::sort(unknown.begin(), unknown.end());
	return unknown;
}

std::string ConfigAudit::nearestKey(const std::string& key, const std::vector<std::string>& candidates)
{
	const std::string lower = Poco::toLower(key);
	std::string best;
	std::size_t bestDistance = std::string::npos;
	for (const auto& candidate : candidates)
	{
		const std::size_t distance = editDistance(lower, Poco::toLower(candidate));
		if (distance < bestDistance)
		{
			bestDistance = distance;
			best = candidate;
		}
	}
	// Close enough to be a typo: a few edits, fewer for short keys.
	const std::size_t tolerance = std::max<std::size_t>(2, key.size() / 6);
	return bestDistance <= tolerance ? best : std::string();
}

void ConfigAudit::reportUnknownKeys(const RecordingConfiguration& used)
{
	// Read through `used` first, so that the key itself is a known one.
	const std::string strictText = Poco::toLower(Poco::trim(used.getString(StrictKey, "false")));
	if (strictText != "true" && strictText != "false")
		throw ConfigException(StrictKey + ": '" + strictText + "' is not a boolean (true or false)");
	const bool strict = strictText == "true";
	const std::vector<std::string> unknown = unknownKeys(used);
	if (unknown.empty()) return;

	std::vector<std::string> candidates;
	for (const auto& key : used.readKeys())
		if (startsWith(key, "eventbus.")) candidates.push_back(key);
	std::string lines;
	Poco::Logger& logger = Poco::Logger::get("eventbus.config");
	for (const auto& key : unknown)
	{
		const std::string nearest = nearestKey(key, candidates);
		const std::string line = "unknown configuration key " + key
			+ (nearest.empty() ? std::string(" (nothing in this process reads it)") : " (did you mean " + nearest + "?)");
		lines += (lines.empty() ? "" : "; ") + line;
		if (strict) continue;
		std::lock_guard<std::mutex> lock(warnedMutex);
		if (warned.insert(key).second) logger.warning(line);
	}
	if (strict) throw ConfigException(lines + " (" + StrictKey + "=true refuses unknown keys)");
}

} // namespace eventbus
