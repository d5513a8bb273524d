//
// RedisTenantAccess.h
//
// The redis plugin's "redis/tenant-access" capability: the Redis ACL user of
// one tenant, allowed its own channels and the commands the plugin's
// transports send with a tenant scope, nothing else (docs/security.md, "ACL
// provisioning"). The rules live here, beside the transports whose commands
// they allow, so a transport that sends more (Streams: XADD, XREADGROUP,
// XACK, XAUTOCLAIM on its own keys) extends them in the same place.
//
#pragma once

#include "eventbus/TenantAccessAdmin.h"

namespace eventbus {

/// TenantAccessAdmin for Redis: ACL SETUSER / CLIENT KILL USER / ACL DELUSER,
/// applied on eventbus.redis.url (redis:// or rediss://, eventbus.redis.tls.*)
/// with the credentials found there.
class RedisTenantAccess : public TenantAccessAdmin
{
public:
	/// The channel glob of the tenant: {prefix}.{env}.{tenant}.*
	std::string scope(const TenantAccess& access) const override;

	/// `ACL SETUSER user reset on #hash resetchannels &{scope} -@all +...`
	/// then `CLIENT KILL USER user`: connections opened under the old rules
	/// (or an old password) log in again under the new ones.
	std::vector<ServerCommand> provisionCommands(const TenantAccess& access) const override;

	/// `ACL DELUSER user` (which also closes its connections).
	std::vector<ServerCommand> revokeCommands(const TenantAccess& access) const override;

	AppliedCommands apply(const Poco::Util::AbstractConfiguration& config, const std::vector<ServerCommand>& commands,
		const std::string& verb) const override;

	std::string provisionReport(const TenantAccess& access, const AppliedCommands& applied) const override;
	std::string revokeReport(const TenantAccess& access, const AppliedCommands& applied) const override;

	/// The command rules of a tenant user, in order: what the redis transport
	/// sends with a tenant scope (PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PING, and
	/// SELECT|db when db is not 0). AUTH needs no permission.
	static std::vector<std::string> commandRules(const TenantAccess& access);
};

} // namespace eventbus
