//
// SkeletonTenantAccess.cpp
//
#include "SkeletonTenantAccess.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"

namespace skeleton {

std::string SkeletonTenantAccess::scope(const eventbus::TenantAccess& access) const
{
	// The bus's channel builder with the topic replaced by a glob: exactly
	// the prefix of every channel of this tenant (a tenant id has no dot).
	std::string channels = eventbus::ChannelName::build(access.prefix, access.env, access.tenantId, "x");
	channels.back() = '*';
	return channels;
}

std::vector<eventbus::ServerCommand> SkeletonTenantAccess::provisionCommands(const eventbus::TenantAccess& access) const
{
	// Only what the transport does with a tenant scope: publish, subscribe.
	return {{"USER", "SET", access.user, "sha256:" + access.passwordHash, "channels", scope(access), "allow",
		"publish,subscribe"}};
}

std::vector<eventbus::ServerCommand> SkeletonTenantAccess::revokeCommands(const eventbus::TenantAccess& access) const
{
	return {{"USER", "DELETE", access.user}};
}

eventbus::AppliedCommands SkeletonTenantAccess::apply(const Poco::Util::AbstractConfiguration&,
	const std::vector<eventbus::ServerCommand>&, const std::string& verb) const
{
	throw eventbus::ConfigException(verb + " --apply: the skeleton transport has no server; "
		"a real plugin connects with the admin credentials of its keys here");
}

std::string SkeletonTenantAccess::provisionReport(const eventbus::TenantAccess& access,
	const eventbus::AppliedCommands& applied) const
{
	return "applied on " + applied.server + ": user " + access.user + " may use " + scope(access);
}

std::string SkeletonTenantAccess::revokeReport(const eventbus::TenantAccess& access,
	const eventbus::AppliedCommands& applied) const
{
	return "user " + access.user + " deleted on " + applied.server;
}

} // namespace skeleton
