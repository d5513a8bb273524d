//
// TenantAccessAdmin.h
//
// The capability "{transport}/tenant-access": the server-side access of one
// tenant on a transport's server (an ACL user for Redis), which only the
// plugin knows how to express, because only it knows the commands its
// transports send and the keys and channels they use. `eventbus tenant`
// prints and applies what it returns.
//
#pragma once

#include "eventbus/Capability.h"
#include <Poco/Util/AbstractConfiguration.h>
#include <string>
#include <vector>

namespace eventbus {
inline namespace abi_v3 {

/// What a tenant's server-side access is made of. The names are validated by
/// the caller (Names::validateTenant, a user name of [A-Za-z0-9._-]).
struct TenantAccess
{
	std::string tenantId;
	std::string user;          ///< the tenant's user on the server
	std::string passwordHash;  ///< SHA-256 of its password, 64 lower-case hex digits (provision only)
	int db = 0;                ///< the database its services select (0: none)
	std::string env;           ///< eventbus.env
	std::string prefix;        ///< eventbus.channel.prefix
};

/// One server command, one argument per element.
using ServerCommand = std::vector<std::string>;

/// What apply() did: where, and the integer reply of each command (0 for
/// any other reply).
struct AppliedCommands
{
	std::string server;              ///< e.g. "redis 127.0.0.1:6379", no credentials
	std::vector<long long> replies;
};

/// Provisions and revokes a tenant's access on a transport's server.
class TenantAccessAdmin : public Capability
{
public:
	/// The capability part of the registration name: "{transport}/tenant-access".
	static const std::string Name;

	~TenantAccessAdmin() override;

	/// What the tenant's user may use, for reports (e.g. "c2pro.production.acme.*").
	virtual std::string scope(const TenantAccess& access) const = 0;

	/// The commands that give the tenant's user exactly its own channels and
	/// keys and the commands the plugin's transports send with a tenant scope,
	/// replacing whatever it had, and end the sessions opened under the old
	/// rules. No argument holds a space, a quote or a secret (only the hash).
	virtual std::vector<ServerCommand> provisionCommands(const TenantAccess& access) const = 0;

	/// The commands that remove the tenant's user (and so its sessions).
	virtual std::vector<ServerCommand> revokeCommands(const TenantAccess& access) const = 0;

	/// Runs `commands` in order on the server `config` names for this
	/// transport, with the admin credentials found there. `verb` starts every
	/// error message (e.g. "tenant provision"). Throws ConfigException for a
	/// bad key, TransportException when the server cannot be reached,
	/// AccessDeniedException when it refuses the credentials or a command.
	virtual AppliedCommands apply(const Poco::Util::AbstractConfiguration& config,
		const std::vector<ServerCommand>& commands, const std::string& verb) const = 0;

	/// One line for the operator after provisionCommands() were applied.
	virtual std::string provisionReport(const TenantAccess& access, const AppliedCommands& applied) const = 0;

	/// One line for the operator after revokeCommands() were applied.
	virtual std::string revokeReport(const TenantAccess& access, const AppliedCommands& applied) const = 0;

	/// The command as one line: arguments joined by single spaces, as
	/// redis-cli and most admin shells read it from stdin.
	static std::string line(const ServerCommand& command);
};

} // inline namespace abi_v3
} // namespace eventbus
