//
// Capability.cpp
//
// The key function of Capability lives here, in libeventbus,
// so its vtable and type_info are the framework's own and the host's
// dynamic_cast to a concrete capability works across the plugin boundary.
//
#include "eventbus/Capability.h"

namespace eventbus {
inline namespace abi_v3 {

Capability::~Capability() = default;

std::string Capability::fullName(const std::string& transport, const std::string& capability)
{
	return transport + "/" + capability;
}

} // inline namespace abi_v3
} // namespace eventbus
