//
// Fuzzconfig.cpp
//
// The configuration loader: properties, INI or XML text (chosen by the first
// byte) is either refused with an exception or yields settings that pass
// their own validation.
//
#include "eventbus/BusSettings.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include <Poco/AutoPtr.h>
#include <Poco/Util/IniFileConfiguration.h>
#include <Poco/Util/PropertyFileConfiguration.h>
#include <Poco/Util/XMLConfiguration.h>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
	if (size == 0) return 0;
	std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
	Poco::AutoPtr<Poco::Util::AbstractConfiguration> config;
	try
	{
		switch (data[0] % 3)
		{
		case 0: config = new Poco::Util::PropertyFileConfiguration(in); break;
		case 1: config = new Poco::Util::IniFileConfiguration(in); break;
		default: config = new Poco::Util::XMLConfiguration(in); break;
		}
	}
	catch (Poco::Exception&)
	{
		return 0;
	}
	try
	{
		eventbus::BusSettings settings = eventbus::BusSettings::fromConfig(*config);
		if (!eventbus::Names::isValidEnv(settings.env) || !eventbus::Names::isValidEnv(settings.prefix)) std::abort();
		if (settings.maxPayloadBytes == 0 || settings.idempotencyMaxEntries == 0) std::abort();
		eventbus::EnvelopeSigner::fromConfig(*config, settings.env);
	}
	catch (Poco::Exception&)
	{
		// ConfigException for bad values; Poco's own for unresolvable ${...} loops.
	}
	return 0;
}
