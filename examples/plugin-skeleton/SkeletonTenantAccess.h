//
// SkeletonTenantAccess.h
//
// The skeleton's optional capability "skeleton/tenant-access": what
// `eventbus tenant provision|revoke` prints and applies for a tenant of this
// transport. The skeleton has no server, so its commands are those of an
// imaginary broker's admin shell and apply() refuses; a real plugin returns
// its broker's commands (for Redis: ACL SETUSER ...) and runs them there.
//
#pragma once

#include "eventbus/TenantAccessAdmin.h"

namespace skeleton {

/// Grants a tenant's user its own channels ({prefix}.{env}.{tenant}.*) and
/// the operations the skeleton transport performs, nothing else.
class SkeletonTenantAccess: public eventbus::TenantAccessAdmin
{
public:
	std::string scope(const eventbus::TenantAccess& access) const override;
	std::vector<eventbus::ServerCommand> provisionCommands(const eventbus::TenantAccess& access) const override;
	std::vector<eventbus::ServerCommand> revokeCommands(const eventbus::TenantAccess& access) const override;
	/// Throws ConfigException: the skeleton has no server to run them on.
	eventbus::AppliedCommands apply(const Poco::Util::AbstractConfiguration& config,
		const std::vector<eventbus::ServerCommand>& commands, const std::string& verb) const override;
	std::string provisionReport(const eventbus::TenantAccess& access, const eventbus::AppliedCommands& applied) const override;
	std::string revokeReport(const eventbus::TenantAccess& access, const eventbus::AppliedCommands& applied) const override;
};

} // namespace skeleton
