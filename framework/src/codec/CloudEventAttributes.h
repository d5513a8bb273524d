//
// CloudEventAttributes.h
//
// The codec's rules for attribute names, shared by its encoder and decoder.
//
#pragma once

#include <cstddef>
#include <string>

namespace eventbus {
namespace codec {

/// Nesting Poco's parser is allowed on decode (the fast reader takes less).
const std::size_t MaxJsonDepth = 64;

// The attributes the codec owns; anything else is an extension.
inline bool isCoreAttribute(const std::string& name)
{
	return name == "specversion" || name == "id" || name == "source" || name == "type" || name == "time"
		|| name == "datacontenttype" || name == "data" || name == "tenantid" || name == "correlationid";
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
