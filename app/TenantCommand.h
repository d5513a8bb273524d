//
// TenantCommand.h
//
// `eventbus tenant provision|revoke`: the Redis ACL user of one tenant,
// allowed its own channels and the few commands the bus sends, nothing else
// (docs/security.md, "ACL provisioning").
//
#pragma once

#include <Poco/Util/AbstractConfiguration.h>
#include <Poco/Util/OptionSet.h>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace eventbus {

/// The Redis ACL user of one tenant.
struct TenantAcl
{
	std::string user;          ///< ACL user name
	std::string channels;      ///< {prefix}.{env}.{tenant}.*: the tenant's channels, no other
	std::string passwordHash;  ///< SHA-256 of the password, 64 lower-case hex digits
	int db = 0;                ///< the database the tenant's services SELECT (0: none)

	/// The commands the redis transport sends with a tenant scope, in the
	/// order of the rules: PUBLISH, SUBSCRIBE, UNSUBSCRIBE, PING (and
	/// SELECT|db when db is not 0). AUTH needs no permission.
	std::vector<std::string> commandRules() const;

	/// `ACL SETUSER user reset on #hash resetchannels &channels -@all +...`,
	/// one argument per element.
	std::vector<std::string> setUser() const;

	/// `CLIENT KILL USER user`: connections opened under the old rules
	/// (or an old password) log in again under the new ones.
	std::vector<std::string> killClients() const;

	/// `ACL DELUSER user`.
	std::vector<std::string> delUser() const;

	/// The command as one line: arguments joined by single spaces (none holds
	/// a space, quote or secret), as redis-cli reads it from stdin.
	static std::string line(const std::vector<std::string>& command);
};

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
	/// and eventbus.redis.url with admin credentials for --apply); `options`:
	/// the command line's, by long name.
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
	TenantAcl acl(bool withPassword, std::ostream& err) const;
	std::string option(const std::string& name) const;
	bool has(const std::string& name) const;
	/// Runs the commands on eventbus.redis.url; returns their integer replies.
	std::vector<long long> apply(const std::vector<std::vector<std::string>>& commands, const std::string& verb,
		std::string& endpoint) const;

	const Poco::Util::AbstractConfiguration& _config;
	const std::map<std::string, std::string> _options;
};

} // namespace eventbus
