//
// RedisError.cpp
//
// The classification of socket errors and error replies into RedisFailure,
// and the message of each failure.
//
#include "RedisError.h"
#include "eventbus/Names.h"
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/String.h>
#include <exception>
#include <typeinfo>

namespace eventbus {

RedisError::RedisError(RedisFailure failure, const std::string& message)
	: TransportException(message)
	, _failure(failure)
{
}

const char* RedisError::name() const noexcept { return "Redis transport error"; }
const char* RedisError::className() const noexcept { return typeid(*this).name(); }
Poco::Exception* RedisError::clone() const { return new RedisError(*this); }
void RedisError::rethrow() const { throw *this; }

void throwRedisError(const std::string& endpoint, RedisFailure failure,
	const std::string& operation, const std::string& cause)
{
	const std::string where = "redis " + endpoint;
	std::string message;
	switch (failure)
	{
	case RedisFailure::Refused:
	case RedisFailure::Unreachable:
		message = where + " unreachable: " + cause;
		break;
	case RedisFailure::Timeout:
		message = where + " timed out (" + operation + "): " + cause;
		break;
	case RedisFailure::Closed:
		message = where + " closed the connection (" + operation + "): " + cause;
		break;
	case RedisFailure::Protocol:
		message = where + " protocol error (" + operation + "): " + cause;
		break;
	case RedisFailure::Auth:
		message = where + " refused authentication: " + cause;
		break;
	case RedisFailure::Server:
		message = where + " refused " + operation + ": " + cause;
		break;
	case RedisFailure::Permission:
		message = where + " refused " + operation + " (ACL): " + cause;
		break;
	case RedisFailure::Tls:
		message = where + " TLS failed (" + operation + "): " + cause;
		break;
	}
	throw RedisError(failure, message);
}

void throwRedisError(const std::string& endpoint, const std::string& operation)
{
	try
	{
		throw;
	}
	catch (RedisError&)
	{
		throw;
	}
	catch (Poco::Net::ConnectionRefusedException&)
	{
		throwRedisError(endpoint, RedisFailure::Refused, operation, "Connection refused");
	}
	catch (Poco::TimeoutException&)
	{
		throwRedisError(endpoint, RedisFailure::Timeout, operation, "no answer in time");
	}
	catch (Poco::Net::ConnectionResetException&)
	{
		throwRedisError(endpoint, operation == "connect" ? RedisFailure::Unreachable : RedisFailure::Closed,
			operation, "Connection reset by peer");
	}
	catch (Poco::Net::ConnectionAbortedException&)
	{
		throwRedisError(endpoint, RedisFailure::Closed, operation, "Connection aborted");
	}
	catch (Poco::Net::SSLException& exc)
	{
		// On connect: the handshake (an untrusted or misnamed certificate, a
		// plain port). Later: a broken TLS stream, which is a lost connection.
		if (operation == "connect")
			throwRedisError(endpoint, RedisFailure::Tls, operation, exc.message());
		throwRedisError(endpoint, RedisFailure::Closed, operation, "TLS: " + exc.message());
	}
	catch (Poco::Net::HostNotFoundException&)
	{
		throwRedisError(endpoint, RedisFailure::Unreachable, operation, "host not found");
	}
	catch (Poco::Net::NoAddressFoundException&)
	{
		throwRedisError(endpoint, RedisFailure::Unreachable, operation, "no address found");
	}
	catch (Poco::Exception& exc)
	{
		// Poco's text names the errno (e.g. "Broken pipe", "Network is unreachable").
		const RedisFailure failure = operation == "connect" ? RedisFailure::Unreachable : RedisFailure::Closed;
		std::string cause = exc.message().empty() ? exc.displayText() : exc.message();
		throwRedisError(endpoint, failure, operation, Poco::trim(cause));
	}
	catch (std::exception& exc)
	{
		throwRedisError(endpoint, RedisFailure::Closed, operation, exc.what());
	}
}

namespace {

// The error replies that mean more than "the server refused this command".
struct ReplyClass
{
	const char* prefix;
	RedisFailure atLogin;   // after AUTH (SELECT)
	RedisFailure atCommand; // after login
};

const ReplyClass ReplyTable[] = {
	{"NOPERM", RedisFailure::Auth, RedisFailure::Permission}, // ACL: command, key or channel not allowed
	{"NOAUTH", RedisFailure::Auth, RedisFailure::Auth},       // no AUTH yet, or a password is required
	{"WRONGPASS", RedisFailure::Auth, RedisFailure::Auth},    // user or password wrong, or user disabled
};

bool startsWith(const std::string& text, const char* prefix)
{
	return text.compare(0, std::char_traits<char>::length(prefix), prefix) == 0;
}

} // namespace

RedisFailure classifyReply(const std::string& serverError, ReplyStage stage)
{
	if (stage == ReplyStage::Auth)
		return RedisFailure::Auth;
	for (const ReplyClass& entry : ReplyTable)
	{
		if (startsWith(serverError, entry.prefix))
			return stage == ReplyStage::Login ? entry.atLogin : entry.atCommand;
	}
	return RedisFailure::Server;
}

void throwReplyError(const std::string& endpoint, const std::string& serverError,
	const std::string& operation, ReplyStage stage)
{
	throwRedisError(endpoint, classifyReply(serverError, stage), operation, serverError);
}

std::string outcomeUnknownMessage(const std::string& cause, const std::string& operation)
{
	return cause + "; the " + operation + " was written, its outcome is unknown (it may still take effect)";
}

bool isPermissionError(const std::string& serverError)
{
	return classifyReply(serverError, ReplyStage::Command) == RedisFailure::Permission;
}

bool isReadOnlyError(const std::string& serverError)
{
	return serverError.compare(0, 9, "READONLY ") == 0 || serverError == "READONLY";
}

std::string accessDeniedMessage(const std::string& endpoint, const std::string& user,
	const std::string& operation, const std::string& channel, const std::string& serverError)
{
	ChannelParts parts;
	std::string whose;
	if (ChannelName::parse(channel, parts))
		whose = " (tenant " + parts.tenantId + ")";
	else if (operation == "PSUBSCRIBE")
		whose = " (a cross-tenant pattern)";
	return "redis " + endpoint + ": ACL user '" + (user.empty() ? std::string("default") : user)
		+ "' is not permitted to " + operation + (operation == "PUBLISH" ? " to " : " on ") + channel + whose
		+ "; grant it with 'eventbus tenant provision' or use that tenant's credentials (" + serverError + ")";
}

} // namespace eventbus
