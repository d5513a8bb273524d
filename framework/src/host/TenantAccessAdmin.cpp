//
// TenantAccessAdmin.cpp
//
// The key function of the tenant-access capability, in libeventbus (see
// Capability.cpp), and its name.
//
#include "eventbus/TenantAccessAdmin.h"

namespace eventbus {
inline namespace abi_v3 {

const std::string TenantAccessAdmin::Name = "tenant-access";

TenantAccessAdmin::~TenantAccessAdmin() = default;

std::string TenantAccessAdmin::line(const ServerCommand& command)
{
	std::string text;
	for (const auto& arg : command)
		text += (text.empty() ? "" : " ") + arg;
	return text;
}

} // inline namespace abi_v3
} // namespace eventbus
