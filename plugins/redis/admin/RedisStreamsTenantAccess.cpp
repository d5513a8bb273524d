//
// RedisStreamsTenantAccess.cpp
//
#include "RedisStreamsTenantAccess.h"

namespace eventbus {

std::vector<std::string> RedisStreamsTenantAccess::streamCommandRules(const TenantAccess& access)
{
	std::vector<std::string> rules{"+xadd", "+xreadgroup", "+xack", "+xautoclaim", "+xclaim", "+xgroup|create",
		"+xpending", "+xrange", "+xrevrange", "+xdel", "+xinfo|groups", "+xinfo|stream", "+xtrim", "+wait", "+ping",
		"+client|id", "+client|unblock"};
	if (access.db != 0)
		rules.push_back("+select|" + std::to_string(access.db));
	return rules;
}

std::vector<ServerCommand> RedisStreamsTenantAccess::provisionCommands(const TenantAccess& access) const
{
	// The stream key is the channel name, so one glob covers the tenant's
	// streams, their dead-letter streams ({channel}:dlq) and its channels.
	const std::string glob = scope(access);
	ServerCommand setUser{"ACL", "SETUSER", access.user, "reset", "on", "#" + access.passwordHash, "resetchannels",
		"&" + glob, "~" + glob, "-@all"};
	for (const auto& rule : streamCommandRules(access))
		setUser.push_back(rule);
	return {setUser, {"CLIENT", "KILL", "USER", access.user}};
}

} // namespace eventbus
