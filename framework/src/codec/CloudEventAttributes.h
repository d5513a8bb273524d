//
// CloudEventAttributes.h
//
// The codec's rules for attribute names, shared by its encoder and decoder.
//
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace eventbus {
namespace codec {

/// Nesting Poco's parser is allowed on decode (the fast reader takes less).
const std::size_t MaxJsonDepth = 64;

// The attributes the codec owns; anything else is an extension.
inline bool isCoreAttribute(std::string_view name)
{
	// By length first: one comparison of the bytes at most.
	switch (name.size())
	{
	case 2: return name == "id";
	case 4: return name == "type" || name == "time" || name == "data";
	case 6: return name == "source";
	case 8: return name == "tenantid";
	case 11: return name == "specversion";
	case 13: return name == "correlationid";
	case 15: return name == "datacontenttype";
	default: return false;
	}
}

// CloudEvents extension names: lower-case letters and digits, at most 20.
inline bool isValidExtensionName(const std::string& name)
{
	if (name.empty() || name.size() > 20) return false;
	for (char c : name)
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
	return true;
}

} // namespace codec
} // namespace eventbus
