//
// TlsRedisSocket.cpp
//
#include "TlsRedisSocket.h"
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

namespace eventbus {

namespace {

using Clock = std::chrono::steady_clock;
using Poco::Net::SecureStreamSocket;

// Waits in poll(2) are cut into slices of at most this, after which the SSL
// call is tried again: a wake-up that OpenSSL consumed elsewhere (the other
// thread's call) can delay progress by a slice, never by the whole timeout.
constexpr std::chrono::milliseconds PollSlice(50);

// The first certificate error of the handshake running on this thread:
// OpenSSL reports only "certificate verify failed"; the callback knows why.
thread_local std::string verifyFailure;

int verifyCallback(int ok, X509_STORE_CTX* store)
{
	if (ok || !verifyFailure.empty())
		return ok;
	try
	{
		const int error = X509_STORE_CTX_get_error(store);
		std::string text = X509_verify_cert_error_string(error);
		if (X509* cert = X509_STORE_CTX_get_current_cert(store))
		{
			char subject[256] = {0};
			X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
			text += std::string(" (certificate ") + subject + ", depth " + std::to_string(X509_STORE_CTX_get_error_depth(store)) + ")";
		}
		verifyFailure = text;
	}
	catch (...)
	{
		// Out of memory while describing the error: the handshake still fails.
	}
	return ok;
}

// An encrypted key file would make OpenSSL prompt on the terminal (or Poco's
// SSLManager ask its global passphrase handler): refuse instead.
int refusePassphrase(char*, int, int, void*)
{
	return 0;
}

/// Every error OpenSSL queued on this thread, oldest first; clears the queue.
std::string opensslErrors()
{
	std::string text;
	while (unsigned long error = ERR_get_error())
	{
		char buffer[256];
		ERR_error_string_n(error, buffer, sizeof(buffer));
		if (!text.empty())
			text += "; ";
		text += buffer;
	}
	return text.empty() ? std::string("unknown OpenSSL error") : text;
}

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

void loadFailure(const char* key, const std::string& path, const std::string& what)
{
	throw ConfigException(std::string(key) + ": cannot load " + what + " from '" + path + "': " + opensslErrors());
}

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
	// Reference-counted by Poco; never undone: the plugin is never unloaded, and
	// the host (or another plugin) may use OpenSSL too.
	static std::once_flag initialized;
	std::call_once(initialized, []() { Poco::Net::initializeSSL(); });

	const RedisTlsSettings& tls = settings.tls;
	Poco::Net::Context::Params params;
	params.verificationMode = tls.verify ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE;
	params.loadDefaultCAs = tls.verify && tls.caFile.empty();
	params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
	Poco::Net::Context::Ptr context;
	try
	{
		context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
		context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
	}
	catch (Poco::Exception& exc)
	{
		throw ConfigException("eventbus.redis.tls: cannot create a TLS client context: " + exc.message());
	}
	// Poco's own name check skips loopback hosts unless VERIFY_STRICT and falls
	// back to DNS look-ups; OpenSSL checks the name during the handshake instead
	// (below), exactly, for IP addresses too.
	context->enableExtendedCertificateVerification(false);

	SSL_CTX* ctx = context->sslContext();
	ERR_clear_error();
	// Our callback, not SSLManager's: no global certificate handler decides.
	SSL_CTX_set_verify(ctx, tls.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, tls.verify ? &verifyCallback : nullptr);
	SSL_CTX_set_default_passwd_cb(ctx, &refusePassphrase);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	// Redis closes without close_notify (e.g. on restart): an end of stream,
	// reported as such. RESP frames itself, so a truncation is still detected.
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (!tls.caFile.empty() && SSL_CTX_load_verify_locations(ctx, tls.caFile.c_str(), nullptr) != 1)
		loadFailure(RedisTlsSettings::CaFileKey, tls.caFile, "CA certificates");
	if (tls.verify)
	{
		X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		Poco::Net::IPAddress address;
		const bool isAddress = Poco::Net::IPAddress::tryParse(tls.serverName, address);
		const int ok = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(param, tls.serverName.c_str())
			: X509_VERIFY_PARAM_set1_host(param, tls.serverName.c_str(), tls.serverName.size());
		if (ok != 1)
		{
			throw ConfigException(std::string(RedisTlsSettings::ServerNameKey) + ": '" + tls.serverName
				+ "' cannot be checked: " + opensslErrors());
		}
	}
	if (!tls.certFile.empty())
	{
		if (SSL_CTX_use_certificate_chain_file(ctx, tls.certFile.c_str()) != 1)
			loadFailure(RedisTlsSettings::CertFileKey, tls.certFile, "the client certificate");
		const bool keyLoaded = SSL_CTX_use_PrivateKey_file(ctx, tls.keyFile.c_str(), SSL_FILETYPE_PEM) == 1;
		if (!keyLoaded && ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
			loadFailure(RedisTlsSettings::KeyFileKey, tls.keyFile, "the private key (PEM, not encrypted)");
		if (!keyLoaded || SSL_CTX_check_private_key(ctx) != 1)
		{
			ERR_clear_error();
			throw ConfigException(std::string(RedisTlsSettings::KeyFileKey) + ": the key in '" + tls.keyFile
				+ "' does not belong to the certificate in " + RedisTlsSettings::CertFileKey + " ('" + tls.certFile + "')");
		}
	}
	return context;
}

RedisSocketFactory TlsRedisSocket::factory(const RedisSettings& settings)
{
	Poco::Net::Context::Ptr context = createContext(settings);
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
			verifyFailure.clear();
			try
			{
				rc = _socket->completeHandshake();
			}
			catch (Poco::Exception& exc)
			{
				failure = verifyFailure.empty() ? exc.message() : "certificate verify failed: " + verifyFailure;
				if (verifyFailure.empty() && (failure.find("wrong version number") != std::string::npos
					|| failure.find("packet length") != std::string::npos || failure.find("unexpected") != std::string::npos))
				{
					// Not TLS bytes, or no answer at all: most likely a plain port.
					failure += " (is the port a TLS port?)";
				}
			}
			verifyFailure.clear();
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

} // namespace eventbus
