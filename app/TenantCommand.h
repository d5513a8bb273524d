//
// TenantCommand.h
//
// `eventbus tenant provision|revoke`: the server-side user of one tenant,
// allowed its own channels and the few commands the bus sends, nothing else
// (docs/security.md, "ACL provisioning"). The commands come from the
// "{transport}/tenant-access" capability of the plugin of eventbus.transport
// (for redis: its ACL rules); this verb parses options, prints and applies.
//
#pragma once

#include "eventbus/TenantAccessAdmin.h"
#include <Poco/Util/AbstractConfiguration.h>
#include <Poco/Util/OptionSet.h>
#include <map>
#include <memory>
#include <ostream>
#include <string>

namespace eventbus {

/// The `tenant` verb. Options (all long, no short form): --tenant ID,
/// --user NAME (default {prefix}.{env}.{tenant}), exactly one of
/// --password-env VAR | --password-hash HEX | --generate-password (provision),
/// --db N, --apply.
///
/// stdout carries exactly the command lines, whether or not --apply runs them,
/// so they can be reviewed or piped into redis-cli; they hold the password's
/// SHA-256, never the password. Notes (and a password generated on request,
/// once) go to stderr.
class TenantCommand
{
public:
	/// Adds the options of this verb to the executable's.
	static void defineOptions(Poco::Util::OptionSet& options);

	/// `config`: the loaded configuration (eventbus.env, eventbus.channel.prefix,
	/// eventbus.transport and eventbus.plugins.*, and the transport's keys with
	/// admin credentials for --apply, e.g. eventbus.redis.url); `options`: the
	/// command line's, by long name.
	TenantCommand(const Poco::Util::AbstractConfiguration& config, const std::map<std::string, std::string>& options);

	/// Runs `action` (provision or revoke). Throws ValidationException for a
	/// bad tenant id, Poco::InvalidArgumentException / MissingOptionException
	/// for bad options, ConfigException, TransportException when Redis cannot
	/// be reached, AccessDeniedException when it refuses the admin credentials
	/// or the ACL commands.
	int run(const std::string& action, std::ostream& out, std::ostream& err);

	/// SHA-256 of `password` as 64 lower-case hex digits (Redis' #hash form).
	static std::string sha256Hex(const std::string& password);

private:
	int provision(std::ostream& out, std::ostream& err);
	int revoke(std::ostream& out, std::ostream& err);
	/// The tenant, user and db of the options (the names validated).
	TenantAccess access() const;
	/// Sets access.passwordHash from the one password option.
	void readPassword(TenantAccess& access, std::ostream& err) const;
	/// The tenant-access capability of eventbus.transport's plugin; throws
	/// ConfigException naming the transport when it has none.
	std::shared_ptr<TenantAccessAdmin> admin() const;
	std::string option(const std::string& name) const;
	bool has(const std::string& name) const;

	const Poco::Util::AbstractConfiguration& _config;
	const std::map<std::string, std::string> _options;
};

} // namespace eventbus
