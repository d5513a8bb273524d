//
// ConfigLoader.cpp
//
// The layered configuration of an env: base file, overlay, defines.
//
#include "eventbus/ConfigLoader.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/String.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <Poco/Util/SystemConfiguration.h>
#include <Poco/Util/XMLConfiguration.h>

namespace eventbus {

Poco::AutoPtr<Poco::Util::AbstractConfiguration> ConfigLoader::open(const std::string& path)
{
	Poco::File file(path);
	if (!file.exists() || !file.isFile())
		throw ConfigException("configuration file '" + path + "' does not exist");
	if (!file.canRead())
		throw ConfigException("configuration file '" + path + "' is not readable");
	std::string extension = Poco::toLower(Poco::Path(path).getExtension());
	try
	{
		if (extension == "properties")
			return new Poco::Util::PropertyFileConfiguration(path);
		if (extension == "ini")
			return new Poco::Util::IniFileConfiguration(path);
		if (extension == "xml")
			return new Poco::Util::XMLConfiguration(path);
	}
	catch (Poco::Exception& exc)
	{
		throw ConfigException("configuration file '" + path + "' cannot be parsed: " + exc.displayText());
	}
	throw ConfigException("configuration file '" + path + "': unknown extension '" + extension
		+ "' (use .properties, .ini or .xml)");
}

std::string ConfigLoader::overlayPath(const std::string& base, const std::string& env)
{
	Poco::Path path(base);
	std::string name = path.getBaseName() + "." + env;
	if (!path.getExtension().empty()) name += "." + path.getExtension();
	path.setFileName(name);
	return path.toString();
}

void ConfigLoader::load(Poco::Util::LayeredConfiguration& config, const std::string& base,
	const std::string& env, const std::map<std::string, std::string>& defines)
{
	if (!Names::isValidEnv(env))
		throw ConfigException("env: '" + env + "' is invalid: 1-32 characters of a-z, 0-9 and '-'");
	// ${system.env.NAME} needs the system layer; an Application has it, a
	// bare LayeredConfiguration does not.
	if (!config.hasProperty("system.osName"))
		config.add(new Poco::Util::SystemConfiguration, "system", SystemPriority, false);
	config.add(open(base), BasePriority);
	std::string overlay = overlayPath(base, env);
	if (Poco::File(overlay).exists())
		config.add(open(overlay), OverlayPriority);
	Poco::AutoPtr<Poco::Util::MapConfiguration> overrides(new Poco::Util::MapConfiguration);
	overrides->setString("eventbus.env", env);
	for (const auto& kv : defines)
		overrides->setString(kv.first, kv.second);
	config.add(overrides, DefinePriority);
}

std::string ConfigLoader::chooseEnv(const std::string& explicitEnv)
{
	if (!explicitEnv.empty()) return explicitEnv;
	std::string fromEnvironment = Poco::Environment::get("EVENTBUS_ENV", "");
	return fromEnvironment.empty() ? std::string("local") : fromEnvironment;
}

} // namespace eventbus
