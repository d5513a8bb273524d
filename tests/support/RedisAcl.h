//
// RedisAcl.h
//
// Redis ACL users for the suites. Redis 7 always enforces ACLs: a RedisServer
// started with a password makes that the `default` user's (`user default on
// >password ~* &* +@all`, the admin); tenant users are added with --user
// arguments at start or with ACL SETUSER / `eventbus tenant provision --apply` later.
//
#pragma once

#include "RedisServer.h"
#include <string>
#include <vector>

namespace eventbus {
namespace test {

/// `--user NAME rule...` arguments for RedisServer's extraArgs: the user
/// exists from the server's start (each rule one argument, as redis-server
/// wants them).
std::vector<std::string> aclUserArgs(const std::string& user, const std::vector<std::string>& rules);

/// redis://user:password@127.0.0.1:N/0 of `server`, user and password
/// percent-encoded.
std::string aclUrl(const RedisServer& server, const std::string& user, const std::string& password);

/// ACL SETUSER user rules... as the admin; throws std::runtime_error with the
/// server's error.
void aclSetUser(const RedisServer& server, const std::string& user, const std::vector<std::string>& rules);

/// Sum of the `count` of the ACL LOG entries of `user` with this `reason`
/// ("channel", "command", "auth") and, unless empty, this `object` (the
/// channel or command refused).
long long aclLogCount(const RedisServer& server, const std::string& user, const std::string& reason,
	const std::string& object = "");

/// Connections authenticated as `user` (CLIENT LIST).
long long clientsOf(const RedisServer& server, const std::string& user);

/// The ids of those connections, ascending: unchanged over a while means no
/// connection of the user was closed or opened meanwhile (the server's
/// total_connections_received also counts the suites' own checks).
std::vector<long long> clientIdsOf(const RedisServer& server, const std::string& user);

/// PUBLISH channel payload as the admin: a raw message no bus signed or checked.
long long publishRaw(const RedisServer& server, const std::string& channel, const std::string& payload);

} // namespace test
} // namespace eventbus
