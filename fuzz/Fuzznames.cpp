//
// Fuzznames.cpp
//
// Channel parsing and name validation: a channel that parses rebuilds to the
// same bytes; a valid tenant never contains a dot or a glob character; the
// glob matcher terminates and a literal pattern matches only itself; a
// refusal is one escaped line, whatever the name holds.
//
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/SafeText.h"
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
	std::string input(reinterpret_cast<const char*>(data), size);
	eventbus::ChannelParts parts;
	if (eventbus::ChannelName::parse(input, parts))
	{
		if (eventbus::ChannelName::build(parts.prefix, parts.env, parts.tenantId, parts.topic) != input) std::abort();
	}
	if (eventbus::Names::isValidTenant(input) && input.find_first_of(".*?[]\\") != std::string::npos) std::abort();
	if (eventbus::Names::isValidTopic(input) && input.find_first_of("*?[]\\") != std::string::npos) std::abort();
	try
	{
		eventbus::Names::validateTenant(input);
	}
	catch (eventbus::ValidationException& exc)
	{
		if (exc.message().compare(0, 9, "tenantId:") != 0) std::abort();
		if (!eventbus::SafeText::isSafe(exc.message()) || exc.message().size() > 400) std::abort();
	}
	std::size_t split = input.find('\n');
	if (split != std::string::npos)
	{
		std::string pattern = input.substr(0, split);
		std::string channel = input.substr(split + 1);
		bool matched = eventbus::ChannelName::matches(pattern, channel);
		if (pattern.find_first_of("*?") == std::string::npos && matched != (pattern == channel)) std::abort();
	}
	return 0;
}
