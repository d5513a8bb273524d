//
// Capability.h
//
// The base of the optional capabilities a transport plugin exports beside
// its transports (eventbus/Plugin.h, EVENTBUS_CAPABILITY): administrative
// services that belong to one transport but not to the bus's hot path, such
// as provisioning a tenant's access on the transport's server. The host
// finds them through PluginHost::capability(). Its identity carries the ABI
// version (inline namespace abi_v3) like Transport's, so Poco's manifest
// check rejects a capability manifest built against another plugin API.
//
#pragma once

#include "eventbus/Transport.h"
#include <string>

/// The name of the Poco manifest that holds a plugin's capabilities, beside
/// the unnamed one of its transports: EVENTBUS_PLUGIN_END exports it as
/// pocoBuildManifestEventbusCapabilities.
#define EVENTBUS_CAPABILITY_MANIFEST "EventbusCapabilities"

namespace eventbus {
inline namespace abi_v3 {

/// An optional service of a plugin, registered under "{transport}/{capability}"
/// (e.g. "redis/tenant-access"). Concrete interfaces (TenantAccessAdmin, ...)
/// derive from it; the host hands them out by that interface's type.
/// Implementations must be default-constructible, cheap to construct (no I/O
/// in the constructor) and safe to use from one thread at a time.
class Capability
{
public:
	virtual ~Capability();

	/// The full registration name of a capability of `transport`.
	static std::string fullName(const std::string& transport, const std::string& capability);
};

} // inline namespace abi_v3
} // namespace eventbus
