//
// TlsRedisSocket.h
//
// rediss://: the RedisSocket over TLS, through Poco NetSSL (a Context per
// transport, a SecureStreamSocket per connection) and OpenSSL underneath.
//
#pragma once

#include "RedisSettings.h"
#include "RedisSocket.h"
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace eventbus {

/// A TLS connection to Redis. The handshake runs within the connect timeout
/// and checks the server's certificate chain against the configured CAs and
/// its name against eventbus.redis.tls.serverName before connect() returns,
/// so nothing (no AUTH password) is sent to an unverified server.
///
/// One SSL object must never be entered by two threads at once, yet the
/// subscriber sends (SUBSCRIBE, PING) while its reader thread waits for
/// replies: the socket is non-blocking after the handshake, every call into
/// OpenSSL holds a mutex, and waiting happens in poll(2) without it.
/// Decrypted bytes OpenSSL already holds count as readable.
///
/// Failures are Poco exceptions: Poco::Net::SSLException (with the reason:
/// the certificate error, the name expected, or "not a TLS port") during the
/// handshake, which RedisError reports as a TLS failure naming host:port.
class TlsRedisSocket : public RedisSocket
{
public:
	/// `context` from createContext(); `serverName` is sent as SNI.
	TlsRedisSocket(Poco::Net::Context::Ptr context, std::string serverName);
	~TlsRedisSocket() override;

	void connect(const std::string& host, unsigned short port,
		const Poco::Timespan& connectTimeout, const Poco::Timespan& ioTimeout) override;
	void sendAll(const char* data, std::size_t length) override;
	bool waitReadable(const Poco::Timespan& timeout) override;
	std::size_t receive(char* buffer, std::size_t length) override;
	bool receiveWithin(char* buffer, std::size_t length, const Poco::Timespan& timeout, std::size_t& received) override;
	void close() noexcept override;
	void abort() noexcept override;

	/// A client Context for settings.tls: TLS 1.2 or later, the CA file (or
	/// the system's CAs), the client certificate and key, the server name to
	/// check (unless verify is false). Throws ConfigException naming the key
	/// of a file that does not load. Independent of Poco's SSLManager: no
	/// global default context, certificate handler or passphrase prompt.
	static Poco::Net::Context::Ptr createContext(const RedisSettings& settings);

	/// Sockets sharing one context made from `settings`.
	static RedisSocketFactory factory(const RedisSettings& settings);

private:
	enum class Want
	{
		Read,
		Write
	};
	void sendAllLocked(const char* data, std::size_t length);
	std::string pendingAlertLocked();
	bool waitFor(Want want, const std::chrono::steady_clock::time_point& deadline);
	void handshake(const std::chrono::steady_clock::time_point& deadline, long long timeoutMs);

	Poco::Net::Context::Ptr _context;
	std::string _serverName;
	// Never default-constructed: that would create Poco's global default
	// client context (SSLManager) as a side effect.
	std::unique_ptr<Poco::Net::SecureStreamSocket> _socket;
	int _fd = -1;
	Poco::Timespan _ioTimeout;
	std::mutex _ssl;   // every call into the SSL object
	std::mutex _write; // one sendAll() at a time, so records never interleave
	bool _received = false; // application data came in (reader thread)
};

} // namespace eventbus
