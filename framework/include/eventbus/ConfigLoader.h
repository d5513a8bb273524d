//
// ConfigLoader.h
//
// Builds the layered configuration for an env: a base file, its env overlay,
// then --define overrides.
//
#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <map>
#include <string>

namespace eventbus {

class ConfigLoader
{
public:
	/// Priorities used in a LayeredConfiguration (lower wins).
	static constexpr int DefinePriority = -200;
	static constexpr int OverlayPriority = -50;
	static constexpr int BasePriority = -40;
	static constexpr int SystemPriority = 100;

	/// Opens one file by its extension: .properties, .ini or .xml. Throws
	/// ConfigException naming the file when it is missing, unreadable or of
	/// another extension.
	static Poco::AutoPtr<Poco::Util::AbstractConfiguration> open(const std::string& path);

	/// The overlay file of `base` for `env`: eventbus.properties ->
	/// eventbus.production.properties, beside it (same extension).
	static std::string overlayPath(const std::string& base, const std::string& env);

	/// Adds `base` and, when present, its overlay for `env` to `config`, then
	/// the defines (which win), and sets eventbus.env. Validates the env name;
	/// the values are checked when a bus starts (ConfigAudit::checkValues),
	/// or earlier by a host that calls it.
	static void load(Poco::Util::LayeredConfiguration& config, const std::string& base,
		const std::string& env, const std::map<std::string, std::string>& defines = {});

	/// The env to use: the explicit one if not empty, else EVENTBUS_ENV, else "local".
	static std::string chooseEnv(const std::string& explicitEnv);
};

} // namespace eventbus
