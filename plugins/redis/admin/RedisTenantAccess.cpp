//
// RedisTenantAccess.cpp
//
// The redis/tenant-access capability: a tenant's ACL user rules, and --apply.
//
#include "RedisTenantAccess.h"
#include "RedisConnection.h"
#include "RedisTransportSocket.h"
#include "RedisError.h"
#include "RedisSettings.h"
#include "TlsRedisSocket.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include <memory>

namespace eventbus {

std::string RedisTenantAccess::scope(const TenantAccess& access) const
{
	// The bus's own channel builder, for a topic "x" replaced by the glob: the
	// pattern is exactly the prefix every channel of this tenant starts with.
	// A tenant id has no dot and no glob character (Names::validateTenant).
	std::string channels = ChannelName::build(access.prefix, access.env, access.tenantId, "x");
	channels.back() = '*';
	return channels;
}

std::vector<std::string> RedisTenantAccess::commandRules(const TenantAccess& access)
{
	// What the plugin sends under a tenant's user: RedisConnection::open sends
	// AUTH (allowed to every user) and SELECT when the URL names a db;
	// RedisPublisher sends PUBLISH and PING (health); RedisSubscriber sends
	// SUBSCRIBE, UNSUBSCRIBE and PING (heartbeat). PSUBSCRIBE/PUNSUBSCRIBE
	// serve only a cross-tenant scope, which a tenant user never has. No
	// HELLO, CLIENT SETNAME or keys.
	std::vector<std::string> rules{"+publish", "+subscribe", "+unsubscribe", "+ping"};
	if (access.db != 0)
		rules.push_back("+select|" + std::to_string(access.db));
	return rules;
}

std::vector<ServerCommand> RedisTenantAccess::provisionCommands(const TenantAccess& access) const
{
	// reset: no password, no keys, no commands, off; whatever the user had
	// before is gone. resetchannels again because reset grants allchannels
	// when the server runs with acl-pubsub-default allchannels.
	ServerCommand setUser{"ACL", "SETUSER", access.user, "reset", "on", "#" + access.passwordHash, "resetchannels",
		"&" + scope(access), "-@all"};
	for (const auto& rule : commandRules(access))
		setUser.push_back(rule);
	return {setUser, {"CLIENT", "KILL", "USER", access.user}};
}

std::vector<ServerCommand> RedisTenantAccess::revokeCommands(const TenantAccess& access) const
{
	return {{"ACL", "DELUSER", access.user}};
}

AppliedCommands RedisTenantAccess::apply(const Poco::Util::AbstractConfiguration& config,
	const std::vector<ServerCommand>& commands, const std::string& verb) const
{
	const RedisSettings settings = RedisSettings::fromConfig(config);
	// ACL users live on each node of a cluster: one node's ACL SETUSER would not do.
	RedisTransportSocket::refuseCluster(settings, "tenant access (ACL users)");
	AppliedCommands applied;
	applied.server = "redis " + settings.endpoint.describe();
	const std::string user = settings.endpoint.user.empty() ? "default" : settings.endpoint.user;
	// rediss:// admin URLs go over TLS with the same eventbus.redis.tls.* keys as the transport.
	std::unique_ptr<RedisSocket> socket = settings.endpoint.tls ? TlsRedisSocket::factory(settings)()
		: std::unique_ptr<RedisSocket>(new PlainRedisSocket);
	RedisConnection connection(settings, std::move(socket), 1024 * 1024);
	try
	{
		connection.open();
	}
	catch (RedisError& exc)
	{
		if (exc.failure() != RedisFailure::Auth)
			throw;
		throw AccessDeniedException(verb + " --apply: the admin credentials in " + RedisSettings::UrlKey + " (user '"
			+ user + "') were refused: " + exc.message());
	}
	for (const auto& command : commands)
	{
		try
		{
			ReplyPtr reply = connection.command(command);
			applied.replies.push_back(reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0);
		}
		catch (RedisError& exc)
		{
			if (exc.failure() != RedisFailure::Permission && exc.failure() != RedisFailure::Auth)
				throw;
			throw AccessDeniedException(verb + " --apply: user '" + user + "' of " + RedisSettings::UrlKey
				+ " may not run " + command[0] + " " + command[1] + " (an admin user is needed): " + exc.message());
		}
	}
	connection.close();
	return applied;
}

std::string RedisTenantAccess::provisionReport(const TenantAccess& access, const AppliedCommands& applied) const
{
	return "applied on " + applied.server + ": ACL user " + access.user + " may use " + scope(access) + "; "
		+ std::to_string(applied.replies.size() > 1 ? applied.replies[1] : 0) + " connection(s) of it closed";
}

std::string RedisTenantAccess::revokeReport(const TenantAccess& access, const AppliedCommands& applied) const
{
	if (applied.replies.empty() || applied.replies[0] == 0)
		return applied.server + " has no ACL user " + access.user + "; nothing to revoke";
	return "ACL user " + access.user + " deleted on " + applied.server + "; its connections are closed";
}

} // namespace eventbus
