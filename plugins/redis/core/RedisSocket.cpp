//
// RedisSocket.cpp
//
// The plain TCP RedisSocket and the DNS lookup bounded by the connect timeout.
//
#include "RedisSocket.h"
#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SocketAddress.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>
#include <poll.h>
#include <sys/socket.h>

namespace eventbus {

RedisSocket::~RedisSocket() = default;

bool RedisSocket::receiveWithin(char* buffer, std::size_t length, const Poco::Timespan& timeout, std::size_t& received)
{
	if (!waitReadable(timeout))
		return false;
	received = receive(buffer, length);
	return true;
}

Poco::Net::SocketAddress resolveWithin(const std::string& host, unsigned short port, const Poco::Timespan& timeout)
{
	Poco::Net::IPAddress literal;
	if (Poco::Net::IPAddress::tryParse(host, literal))
		return Poco::Net::SocketAddress(literal, port);

	// The lookup thread owns a share of the result, so a lookup that outlives
	// the deadline finishes harmlessly on its own.
	struct Lookup
	{
		std::mutex mutex;
		std::condition_variable done;
		bool finished = false;
		Poco::Net::SocketAddress address;
		std::exception_ptr error;
	};
	auto lookup = std::make_shared<Lookup>();
	std::thread([lookup, host, port]() {
		Poco::Net::SocketAddress address;
		std::exception_ptr error;
		try
		{
			address = Poco::Net::SocketAddress(host, port);
		}
		catch (...)
		{
			error = std::current_exception();
		}
		{
			std::lock_guard<std::mutex> lock(lookup->mutex);
			lookup->address = address;
			lookup->error = error;
			lookup->finished = true;
		}
		lookup->done.notify_all();
	}).detach();

	std::unique_lock<std::mutex> lock(lookup->mutex);
	if (!lookup->done.wait_for(lock, std::chrono::microseconds(timeout.totalMicroseconds()), [&]() { return lookup->finished; }))
		throw Poco::TimeoutException("DNS lookup of " + host + " took longer than "
			+ std::to_string(timeout.totalMilliseconds()) + " ms");
	if (lookup->error)
		std::rethrow_exception(lookup->error);
	return lookup->address;
}

void PlainRedisSocket::connect(const std::string& host, unsigned short port,
	const Poco::Timespan& connectTimeout, const Poco::Timespan& ioTimeout)
{
	_socket.connect(resolveWithin(host, port, connectTimeout), connectTimeout);
	_socket.setNoDelay(true);
	_socket.setKeepAlive(true);
	_socket.setSendTimeout(ioTimeout);
	_socket.setReceiveTimeout(ioTimeout);
	_ioTimeout = ioTimeout;
	_fd = _socket.impl()->sockfd();
}

void PlainRedisSocket::sendAll(const char* data, std::size_t length)
{
	std::size_t sent = 0;
	while (sent < length)
	{
		const int chunk = static_cast<int>(std::min<std::size_t>(length - sent, INT_MAX));
		// MSG_NOSIGNAL: Poco sets SO_NOSIGPIPE only on BSD; on Linux a write to
		// a closed peer would otherwise kill the host process.
		const int n = _socket.sendBytes(data + sent, chunk, MSG_NOSIGNAL);
		if (n <= 0)
			throw Poco::IOException("send returned " + std::to_string(n));
		sent += static_cast<std::size_t>(n);
	}
}

bool PlainRedisSocket::waitReadable(const Poco::Timespan& timeout)
{
	// poll(2) on the descriptor: Poco 1.11's Socket::poll creates, fills and
	// closes an epoll instance per call (four system calls where one does),
	// and it runs for every confirmed PUBLISH.
	pollfd fd{};
	fd.fd = _socket.impl()->sockfd();
	fd.events = POLLIN;
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(timeout.totalMicroseconds());
	for (;;)
	{
		// Rounded up to whole milliseconds: never return before the deadline.
		const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
			deadline - std::chrono::steady_clock::now() + std::chrono::microseconds(999));
		const int rc = ::poll(&fd, 1, static_cast<int>(std::max<std::int64_t>(0, remaining.count())));
		if (rc > 0)
			return true; // readable, closed or failed: receive() tells which
		if (rc == 0)
			return false;
		if (errno != EINTR)
			throw Poco::IOException(std::string("poll failed: ") + std::strerror(errno));
	}
}

std::size_t PlainRedisSocket::receive(char* buffer, std::size_t length)
{
	const int n = _socket.receiveBytes(buffer, static_cast<int>(std::min<std::size_t>(length, INT_MAX)));
	return n > 0 ? static_cast<std::size_t>(n) : 0;
}

bool PlainRedisSocket::receiveWithin(char* buffer, std::size_t length, const Poco::Timespan& timeout, std::size_t& received)
{
	// Waiting for a command's reply (a wait as long as the socket's receive
	// timeout, within a millisecond) is one blocking recv(2) that SO_RCVTIMEO
	// bounds, as hiredis does, rather than poll(2) then recv(2): one system
	// call less per confirmed PUBLISH. Shorter waits (heartbeats) poll.
	if (_ioTimeout.totalMicroseconds() <= 0 || timeout.totalMicroseconds() + 1000 < _ioTimeout.totalMicroseconds())
		return RedisSocket::receiveWithin(buffer, length, timeout, received);
	try
	{
		received = receive(buffer, length);
	}
	catch (Poco::TimeoutException&)
	{
		return false;
	}
	return true;
}

void PlainRedisSocket::close() noexcept
{
	try
	{
		_socket.close();
	}
	catch (...)
	{
		// Closing a socket the peer already dropped has nothing left to report.
	}
	_fd = -1;
}

void PlainRedisSocket::abort() noexcept
{
	if (_fd >= 0)
		::shutdown(_fd, SHUT_RDWR);
}

} // namespace eventbus
