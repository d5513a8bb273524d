//
// TlsRedisSocket.cpp
//
// The TLS byte stream: handshake within the connect timeout, then reads and
// writes on a non-blocking socket, every SSL call under one mutex.
//
#include "TlsRedisSocket.h"
#include "TlsRedisContext.h"
#include "eventbus/Exceptions.h"
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <pthread.h>

#include <sys/socket.h>

namespace eventbus {

namespace {

using Clock = std::chrono::steady_clock;
using Poco::Net::SecureStreamSocket;

// Waits in poll(2) are cut into slices of at most this, after which the SSL
// call is tried again: a wake-up that OpenSSL consumed elsewhere (the other
// thread's call) can delay progress by a slice, never by the whole timeout.
constexpr std::chrono::milliseconds PollSlice(50);

/// OpenSSL writes with write(2): to a peer that is gone, that raises SIGPIPE,
/// which kills the host by default. Block it on this thread around the call and
/// discard the one it raised; the error comes back as EPIPE (libpq does the same).
class SigpipeBlock
{
public:
	SigpipeBlock()
	{
		sigemptyset(&_pipe);
		sigaddset(&_pipe, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &_pipe, &_previous);
		_wasBlocked = sigismember(&_previous, SIGPIPE) == 1;
		if (!_wasBlocked)
		{
			sigset_t pending;
			sigpending(&pending);
			_wasPending = sigismember(&pending, SIGPIPE) == 1;
		}
	}
	~SigpipeBlock()
	{
		if (_wasBlocked)
			return;
		if (!_wasPending)
		{
			sigset_t pending;
			sigpending(&pending);
			if (sigismember(&pending, SIGPIPE) == 1)
			{
				const timespec zero{0, 0};
				while (sigtimedwait(&_pipe, nullptr, &zero) < 0 && errno == EINTR)
				{
				}
			}
		}
		pthread_sigmask(SIG_SETMASK, &_previous, nullptr);
	}
	SigpipeBlock(const SigpipeBlock&) = delete;
	SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
	sigset_t _pipe;
	sigset_t _previous;
	bool _wasBlocked = false;
	bool _wasPending = false;
};

// TLS 1.3 completes the client's side of the handshake before the server has
// checked the client's certificate: a refusal shows on the first send or read.
const std::string EarlyEnd = "the session ended before the server's first reply (does the server require a "
	"client certificate, or refuse ours? see eventbus.redis.tls.certFile): ";

long long millisOf(const Poco::Timespan& span)
{
	return span.totalMilliseconds();
}

} // namespace

TlsRedisSocket::TlsRedisSocket(Poco::Net::Context::Ptr context, std::string serverName)
	: _context(std::move(context))
	, _serverName(std::move(serverName))
{
}

TlsRedisSocket::~TlsRedisSocket()
{
	close();
}

Poco::Net::Context::Ptr TlsRedisSocket::createContext(const RedisSettings& settings)
{
	return TlsRedisContext::create(settings);
}

RedisSocketFactory TlsRedisSocket::factory(const RedisSettings& settings)
{
	Poco::Net::Context::Ptr context = TlsRedisContext::create(settings);
	const std::string serverName = settings.tls.serverName;
	return [context, serverName]() { return std::unique_ptr<RedisSocket>(new TlsRedisSocket(context, serverName)); };
}

void TlsRedisSocket::connect(const std::string& host, unsigned short port,
	const Poco::Timespan& connectTimeout, const Poco::Timespan& ioTimeout)
{
	Poco::Net::StreamSocket plain;
	plain.connect(resolveWithin(host, port, connectTimeout), connectTimeout);
	plain.setNoDelay(true);
	plain.setKeepAlive(true);
	// Non-blocking from here: attach() then only prepares the handshake, which
	// handshake() drives within its own deadline.
	plain.setBlocking(false);
	_ioTimeout = ioTimeout;
	{
		std::lock_guard<std::mutex> lock(_ssl);
		ERR_clear_error();
		_socket.reset(new SecureStreamSocket(SecureStreamSocket::attach(plain, _serverName, _context)));
		_fd = _socket->impl()->sockfd();
	}
	handshake(Clock::now() + std::chrono::microseconds(connectTimeout.totalMicroseconds()), millisOf(connectTimeout));
}

void TlsRedisSocket::handshake(const Clock::time_point& deadline, long long timeoutMs)
{
	const std::string with = "TLS handshake (server name '" + _serverName + "') failed: ";
	SigpipeBlock noSigpipe;
	for (;;)
	{
		int rc = 0;
		std::string failure;
		{
			std::lock_guard<std::mutex> lock(_ssl);
			ERR_clear_error();
			TlsRedisContext::verifyFailure().clear();
			try
			{
				rc = _socket->completeHandshake();
			}
			catch (Poco::Exception& exc)
			{
				failure = TlsRedisContext::verifyFailure().empty() ? exc.message() : "certificate verify failed: " + TlsRedisContext::verifyFailure();
				if (TlsRedisContext::verifyFailure().empty() && (failure.find("wrong version number") != std::string::npos
					|| failure.find("packet length") != std::string::npos || failure.find("unexpected") != std::string::npos))
				{
					// Not TLS bytes, or no answer at all: most likely a plain port.
					failure += " (is the port a TLS port?)";
				}
			}
			TlsRedisContext::verifyFailure().clear();
		}
		if (!failure.empty())
			throw Poco::Net::SSLException(with + failure);
		if (rc == 1)
			return;
		if (rc == 0)
			throw Poco::Net::SSLException(with + "the server closed the connection (is the port a TLS port?)");
		if (!waitFor(rc == SecureStreamSocket::ERR_SSL_WANT_WRITE ? Want::Write : Want::Read, deadline))
		{
			throw Poco::Net::SSLException(with + "no answer within " + std::to_string(timeoutMs)
				+ " ms (is the port a TLS port?)");
		}
	}
}

bool TlsRedisSocket::waitFor(Want want, const Clock::time_point& deadline)
{
	for (;;)
	{
		const auto now = Clock::now();
		if (now >= deadline)
			return false;
		// Rounded up to whole milliseconds: never return before the deadline.
		const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
			deadline - now + std::chrono::microseconds(999));
		pollfd fd{};
		fd.fd = _fd;
		fd.events = want == Want::Read ? POLLIN : POLLOUT;
		const int rc = ::poll(&fd, 1, static_cast<int>(std::min(remaining, PollSlice).count()));
		if (rc >= 0)
			return true; // ready, failed or a slice passed: the SSL call tells
		if (errno != EINTR)
			throw Poco::IOException(std::string("poll failed: ") + std::strerror(errno));
	}
}

void TlsRedisSocket::sendAll(const char* data, std::size_t length)
{
	std::lock_guard<std::mutex> writer(_write);
	SigpipeBlock noSigpipe;
	try
	{
		sendAllLocked(data, length);
	}
	catch (Poco::TimeoutException&)
	{
		throw;
	}
	catch (Poco::Exception& exc)
	{
		std::string cause;
		bool early = false;
		{
			std::lock_guard<std::mutex> lock(_ssl);
			early = !_received;
			if (early)
				cause = pendingAlertLocked();
		}
		if (!early)
			throw;
		throw Poco::Net::SSLException(EarlyEnd + (cause.empty() ? exc.message() : cause));
	}
}

std::string TlsRedisSocket::pendingAlertLocked()
{
	// The reason a server gives for ending the session (a TLS alert such as
	// "certificate required") may be waiting unread: read it, without waiting.
	if (!_socket)
		return std::string();
	try
	{
		ERR_clear_error();
		char buffer[512];
		_socket->receiveBytes(buffer, sizeof(buffer));
	}
	catch (Poco::Net::SSLException& exc)
	{
		return exc.message();
	}
	catch (Poco::Exception&)
	{
	}
	return std::string();
}

void TlsRedisSocket::sendAllLocked(const char* data, std::size_t length)
{
	const auto ioTimeout = std::chrono::microseconds(_ioTimeout.totalMicroseconds());
	auto deadline = Clock::now() + ioTimeout;
	std::size_t sent = 0;
	while (sent < length)
	{
		// The same buffer and length again after WANT_WRITE, as OpenSSL asks.
		const int chunk = static_cast<int>(std::min<std::size_t>(length - sent, INT_MAX));
		int n = 0;
		{
			std::lock_guard<std::mutex> lock(_ssl);
			if (!_socket)
				throw Poco::IOException("TLS connection is closed");
			ERR_clear_error();
			n = _socket->sendBytes(data + sent, chunk);
		}
		if (n > 0)
		{
			sent += static_cast<std::size_t>(n);
			deadline = Clock::now() + ioTimeout; // like SO_SNDTIMEO: per step of progress
			continue;
		}
		if (n == 0)
			throw Poco::Net::ConnectionResetException("TLS session closed by the server");
		if (!waitFor(n == SecureStreamSocket::ERR_SSL_WANT_READ ? Want::Read : Want::Write, deadline))
			throw Poco::TimeoutException("TLS send");
	}
}

bool TlsRedisSocket::waitReadable(const Poco::Timespan& timeout)
{
	{
		// Records already decrypted are in OpenSSL, not in the socket: poll(2)
		// would not see them.
		std::lock_guard<std::mutex> lock(_ssl);
		if (_socket && _socket->available() > 0)
			return true;
	}
	const auto deadline = Clock::now() + std::chrono::microseconds(timeout.totalMicroseconds());
	for (;;)
	{
		const auto now = Clock::now();
		if (now >= deadline)
			return false;
		const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
			deadline - now + std::chrono::microseconds(999));
		pollfd fd{};
		fd.fd = _fd;
		fd.events = POLLIN;
		const int rc = ::poll(&fd, 1, static_cast<int>(remaining.count()));
		if (rc > 0)
			return true;
		if (rc == 0)
			return false;
		if (errno != EINTR)
			throw Poco::IOException(std::string("poll failed: ") + std::strerror(errno));
	}
}

std::size_t TlsRedisSocket::receive(char* buffer, std::size_t length)
{
	std::size_t received = 0;
	if (!receiveWithin(buffer, length, _ioTimeout, received))
		throw Poco::TimeoutException("TLS receive");
	return received;
}

bool TlsRedisSocket::receiveWithin(char* buffer, std::size_t length, const Poco::Timespan& timeout, std::size_t& received)
{
	// SSL_read first, poll(2) only when OpenSSL wants bytes from the socket: a
	// reply already decrypted (or a record that came with the last one) is
	// returned without waiting. A readable socket may still hold no
	// application data (a session ticket, half a record): then poll again.
	const auto deadline = Clock::now() + std::chrono::microseconds(timeout.totalMicroseconds());
	const int chunk = static_cast<int>(std::min<std::size_t>(length, INT_MAX));
	for (;;)
	{
		int n = 0;
		{
			std::lock_guard<std::mutex> lock(_ssl);
			if (!_socket)
				throw Poco::IOException("TLS connection is closed");
			ERR_clear_error();
			try
			{
				n = _socket->receiveBytes(buffer, chunk);
				if (n > 0)
					_received = true;
			}
			catch (Poco::Net::SSLException& exc)
			{
				if (_received)
					throw;
				throw Poco::Net::SSLException(EarlyEnd + exc.message());
			}
			catch (Poco::TimeoutException&)
			{
				throw;
			}
			catch (Poco::Exception& exc)
			{
				if (_received)
					throw;
				const std::string alert = pendingAlertLocked();
				throw Poco::Net::SSLException(EarlyEnd + (alert.empty() ? exc.message() : alert));
			}
		}
		if (n == 0 && !_received)
			throw Poco::Net::SSLException(EarlyEnd + "the server closed the connection");
		if (n >= 0)
		{
			received = static_cast<std::size_t>(n);
			return true;
		}
		if (!waitFor(n == SecureStreamSocket::ERR_SSL_WANT_WRITE ? Want::Write : Want::Read, deadline))
			return false;
	}
}

void TlsRedisSocket::close() noexcept
{
	std::lock_guard<std::mutex> lock(_ssl);
	if (!_socket)
		return;
	try
	{
		SigpipeBlock noSigpipe; // close_notify is a write
		_socket->close();
	}
	catch (...)
	{
		// Closing a session the peer already dropped has nothing left to report.
	}
	_socket.reset();
	_fd = -1;
}

void TlsRedisSocket::abort() noexcept
{
	// The descriptor only: the TLS session stays the owner's, whose next
	// read or write fails.
	if (_fd >= 0)
		::shutdown(_fd, SHUT_RDWR);
}

} // namespace eventbus
