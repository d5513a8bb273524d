//
// RedisError.h
//
// Every failure talking to Redis becomes a RedisError (a TransportException)
// in one place: socket errors in throwRedisError(), error replies through the
// one table of classifyReply(). Callers catch the type and read failure();
// outside the plugin they see a TransportException whose message names
// host:port and the cause, never a credential.
//
#pragma once

#include "eventbus/Exceptions.h"
#include <string>

namespace eventbus {

enum class RedisFailure
{
	Refused,      ///< connection refused
	Unreachable,  ///< no route, unknown host, reset during connect
	Timeout,      ///< connect, send or reply deadline passed
	Closed,       ///< the server closed the connection (EOF, reset, broken pipe)
	Protocol,     ///< the bytes are not RESP, or a reply is larger than allowed
	Auth,         ///< AUTH refused (WRONGPASS, NOAUTH), or NOPERM while logging in (SELECT)
	Server,       ///< any other error reply (-ERR ...)
	Permission,   ///< NOPERM after login: the ACL user may not run the command or use the channel
	Tls           ///< TLS handshake failed: certificate not trusted, wrong name, not a TLS port, ...
};

class RedisError : public TransportException
{
public:
	RedisError(RedisFailure failure, const std::string& message);
	RedisFailure failure() const { return _failure; }

	const char* name() const noexcept override;
	const char* className() const noexcept override;
	Poco::Exception* clone() const override;
	void rethrow() const override;

private:
	RedisFailure _failure;
};

/// Throws the RedisError describing `failure` of `operation` (e.g. "connect",
/// "PUBLISH") against `endpoint` ("host:port"); `cause` is the socket error,
/// the hiredis reader error or the server's error reply.
[[noreturn]] void throwRedisError(const std::string& endpoint, RedisFailure failure,
	const std::string& operation, const std::string& cause);

/// The same for the exception being handled: call it from a catch block around
/// socket I/O. It classifies Poco's socket exceptions (refused, timeout, reset,
/// host not found) and rethrows a RedisError unchanged.
[[noreturn]] void throwRedisError(const std::string& endpoint, const std::string& operation);

/// Where an error reply came: what it means depends on it.
enum class ReplyStage
{
	Auth,    ///< the reply to AUTH: every error is a refused login
	Login,   ///< the other login steps (SELECT): an ACL refusal is a login failure
	Command  ///< after login: an ACL refusal is a Permission failure
};

/// The failure an error reply is (the one table: NOPERM, NOAUTH, WRONGPASS,
/// anything else a Server refusal).
RedisFailure classifyReply(const std::string& serverError, ReplyStage stage);

/// Throws the RedisError for the error reply `serverError` to `operation`.
[[noreturn]] void throwReplyError(const std::string& endpoint, const std::string& serverError,
	const std::string& operation, ReplyStage stage = ReplyStage::Command);

/// The message of an OutcomeUnknownException: `cause` (a RedisError's
/// message), and that `operation` was written and may have taken effect.
std::string outcomeUnknownMessage(const std::string& cause, const std::string& operation);

/// True for an ACL refusal ("NOPERM ..."), the error Redis 7 replies when the
/// user may not run a command or use a channel.
bool isPermissionError(const std::string& serverError);

/// True for "READONLY ...", the refusal of a write by a replica: on
/// Sentinel, a demoted master.
bool isReadOnlyError(const std::string& serverError);

/// The message of the AccessDeniedException for a NOPERM reply to `operation`
/// (PUBLISH, SUBSCRIBE, PSUBSCRIBE) on `channel`: names the endpoint, the ACL
/// user ("default" when the URL has none), the channel and the tenant it
/// belongs to. Never a password.
std::string accessDeniedMessage(const std::string& endpoint, const std::string& user,
	const std::string& operation, const std::string& channel, const std::string& serverError);

} // namespace eventbus
