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

// The attributes the codec owns, numbered; anything else is an extension.
constexpr int CoreAttributeCount = 9;

/// The number of a core attribute (0-8), or -1 for any other name. By length
/// first: one comparison of the bytes at most.
inline int coreAttributeIndex(std::string_view name)
{
	switch (name.size())
	{
	case 2: return name == "id" ? 0 : -1;
	case 4: return name == "type" ? 1 : name == "time" ? 2 : name == "data" ? 3 : -1;
	case 6: return name == "source" ? 4 : -1;
	case 8: return name == "tenantid" ? 5 : -1;
	case 11: return name == "specversion" ? 6 : -1;
	case 13: return name == "correlationid" ? 7 : -1;
	case 15: return name == "datacontenttype" ? 8 : -1;
	default: return -1;
	}
}

inline bool isCoreAttribute(std::string_view name)
{
	return coreAttributeIndex(name) >= 0;
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
