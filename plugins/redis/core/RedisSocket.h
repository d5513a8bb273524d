//
// RedisSocket.h
//
// The byte stream a RedisConnection talks over: plain TCP here, TLS
// (rediss://, Poco NetSSL) in TlsRedisSocket.
//
#pragma once

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace eventbus {

/// A connected byte stream. send() may run in one thread while another waits
/// and receives; close() only when neither does. Failures are Poco exceptions
/// (RedisConnection maps them).
class RedisSocket
{
public:
	virtual ~RedisSocket();

	/// Connects within `connectTimeout`; sends and receives then time out after `ioTimeout`.
	virtual void connect(const std::string& host, unsigned short port,
		const Poco::Timespan& connectTimeout, const Poco::Timespan& ioTimeout) = 0;

	/// Sends every byte or throws; a closed peer never raises SIGPIPE.
	virtual void sendAll(const char* data, std::size_t length) = 0;

	/// Waits up to `timeout` for bytes (or the end of the stream) to read.
	virtual bool waitReadable(const Poco::Timespan& timeout) = 0;

	/// Reads what is available, at most `length` bytes; 0 means the peer closed.
	virtual std::size_t receive(char* buffer, std::size_t length) = 0;

	/// Waits up to `timeout` for bytes and reads what is available (at most
	/// `length`): false when nothing came in time, else true with the count in
	/// `received` (0: the peer closed). By default waitReadable(), then receive().
	virtual bool receiveWithin(char* buffer, std::size_t length, const Poco::Timespan& timeout, std::size_t& received);

	virtual void close() noexcept = 0;

	/// From any thread, while the owner may be blocked in a send or a read:
	/// shuts the connection down (shutdown(2)) so that the owner's I/O fails
	/// at once; the owner then closes it. Never after close().
	virtual void abort() noexcept = 0;
};

using RedisSocketFactory = std::function<std::unique_ptr<RedisSocket>()>;

/// Resolves `host` (a name or an IP literal) within `timeout`: the system
/// resolver has no deadline of its own, so a name lookup runs on a helper
/// thread and a slow DNS server throws Poco::TimeoutException instead of
/// holding connect() past eventbus.redis.connectTimeoutMs.
Poco::Net::SocketAddress resolveWithin(const std::string& host, unsigned short port, const Poco::Timespan& timeout);

/// TCP through Poco::Net::StreamSocket with TCP_NODELAY and keepalive.
class PlainRedisSocket : public RedisSocket
{
public:
	void connect(const std::string& host, unsigned short port,
		const Poco::Timespan& connectTimeout, const Poco::Timespan& ioTimeout) override;
	void sendAll(const char* data, std::size_t length) override;
	bool waitReadable(const Poco::Timespan& timeout) override;
	std::size_t receive(char* buffer, std::size_t length) override;
	bool receiveWithin(char* buffer, std::size_t length, const Poco::Timespan& timeout, std::size_t& received) override;
	void close() noexcept override;
	void abort() noexcept override;

private:
	Poco::Net::StreamSocket _socket;
	Poco::Timespan _ioTimeout; // SO_RCVTIMEO / SO_SNDTIMEO
	int _fd = -1;              // for abort(): set once connected
};

} // namespace eventbus
