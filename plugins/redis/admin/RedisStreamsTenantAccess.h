//
// RedisStreamsTenantAccess.h
//
// The redis plugin's "redis-streams/tenant-access" capability: the Redis ACL
// user of one tenant for the redis-streams transport, allowed the tenant's
// own keys (its streams and their {channel}:dlq), its own channels and the
// stream commands the transport and `eventbus dlq` send with a tenant scope
// (docs/security.md, "ACL rules for Redis Streams").
//
#pragma once

#include "RedisTenantAccess.h"

namespace eventbus {

/// RedisTenantAccess with the key pattern and stream commands of redis-streams.
class RedisStreamsTenantAccess : public RedisTenantAccess
{
public:
	/// `ACL SETUSER user reset on #hash resetchannels &{scope} ~{scope} -@all +...`
	/// then `CLIENT KILL USER user`.
	std::vector<ServerCommand> provisionCommands(const TenantAccess& access) const override;

	/// The command rules of a tenant user of redis-streams, in order: XADD
	/// (publish, dlq replay, dead-lettering), XREADGROUP, XACK, XAUTOCLAIM,
	/// XCLAIM, XGROUP CREATE, XPENDING, XRANGE, XREVRANGE, XDEL, XINFO GROUPS,
	/// XINFO STREAM, XTRIM (retention by age), WAIT (waitReplicas), PING,
	/// CLIENT ID and CLIENT UNBLOCK (ending its own blocked read at shutdown),
	/// and SELECT|db when db is not 0. No SCAN: only a cross-tenant scope
	/// discovers streams.
	static std::vector<std::string> streamCommandRules(const TenantAccess& access);
};

} // namespace eventbus
