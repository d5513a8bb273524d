//
// RedisCommands.h
//
// The catalogue of the commands the Redis transports send, as named
// builders: no call site spells out a command word or its arguments.
//
#pragma once

#include <string>
#include <vector>

namespace eventbus {

/// A command and its binary-safe arguments.
using Command = std::vector<std::string>;

/// Named builders, in two forms: a Command (for RedisConnection::command and
/// send), or appended in RESP form to a buffer (the pipelined paths, which
/// format every event without copying its payload into a Command first).
class RedisCommands
{
public:
	static constexpr const char* Publish = "PUBLISH";
	static constexpr const char* Subscribe = "SUBSCRIBE";
	static constexpr const char* PSubscribe = "PSUBSCRIBE";
	static constexpr const char* SPublish = "SPUBLISH";     ///< sharded Pub/Sub (Redis 7, a cluster)
	static constexpr const char* SSubscribe = "SSUBSCRIBE";

	/// AUTH [user] password (no user: the default user).
	static Command auth(const std::string& user, const std::string& password);
	/// SELECT db.
	static Command select(int db);
	/// PING.
	static Command ping();
	/// PUBLISH channel payload.
	static Command publish(const std::string& channel, const std::string& payload);
	/// SUBSCRIBE channel, or PSUBSCRIBE pattern; SSUBSCRIBE channel when `sharded`.
	static Command subscribe(const std::string& name, bool pattern, bool sharded = false);
	/// UNSUBSCRIBE channel, or PUNSUBSCRIBE pattern; SUNSUBSCRIBE channel when `sharded`.
	static Command unsubscribe(const std::string& name, bool pattern, bool sharded = false);

	/// Appends PUBLISH channel payload (SPUBLISH when `sharded`) in RESP form to `out`.
	static void appendPublish(std::string& out, const std::string& channel, const std::string& payload,
		bool sharded = false);
	/// Appends SUBSCRIBE channel (PSUBSCRIBE pattern, SSUBSCRIBE channel when
	/// `sharded`) in RESP form to `out`.
	static void appendSubscribe(std::string& out, const std::string& name, bool pattern, bool sharded = false);

	/// The command word of subscribe() ("SUBSCRIBE" or "PSUBSCRIBE"), for messages.
	static const char* subscribeWord(bool pattern, bool sharded = false)
	{
		return sharded ? SSubscribe : pattern ? PSubscribe : Subscribe;
	}
	/// "PUBLISH" or "SPUBLISH", for messages.
	static const char* publishWord(bool sharded) { return sharded ? SPublish : Publish; }
};

} // namespace eventbus
