//
// TlsRedisContext.h
//
// The TLS client Context of rediss:// connections, made once per transport
// from eventbus.redis.tls.*.
//
#pragma once

#include "RedisSettings.h"
#include <Poco/Net/Context.h>
#include <string>

namespace eventbus {

class TlsRedisContext
{
public:
	/// A client Context for settings.tls: TLS 1.2 or later, the CA file (or
	/// the system's CAs), the client certificate and key, the server name to
	/// check (unless verify is false). Throws ConfigException naming the key
	/// of a file that does not load. Independent of Poco's SSLManager: no
	/// global default context, certificate handler or passphrase prompt.
	static Poco::Net::Context::Ptr create(const RedisSettings& settings);

	/// The first certificate error of the handshake running on this thread
	/// (OpenSSL itself only says "certificate verify failed"); the socket
	/// clears it before and after each handshake step.
	static std::string& verifyFailure();
};

} // namespace eventbus
