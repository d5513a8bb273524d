//
// RawRedis.cpp
//
#include "RawRedis.h"
#include <atomic>
#include <cstdarg>
#include <stdexcept>
#include <thread>
#include <sys/time.h>

namespace eventbus {
namespace bench {

RawRedis::RawRedis(const RedisAddress& address):
	_address(address)
{
	timeval timeout{2, 0};
	_context.reset(redisConnectWithTimeout(address.host.c_str(), address.port, timeout));
	if (!_context || _context->err)
		throw std::runtime_error("hiredis: cannot connect to " + address.host + ":" + std::to_string(address.port)
			+ (_context ? std::string(": ") + _context->errstr : std::string()));
	timeval io{30, 0};
	redisSetTimeout(_context.get(), io);
	if (!address.password.empty())
	{
		ReplyPtr reply = address.user.empty() ? command("AUTH %b", address.password.data(), address.password.size())
			: command("AUTH %b %b", address.user.data(), address.user.size(), address.password.data(), address.password.size());
		if (reply->type == REDIS_REPLY_ERROR) fail("AUTH refused");
	}
	if (address.db != 0)
	{
		ReplyPtr reply = command("SELECT %d", address.db);
		if (reply->type == REDIS_REPLY_ERROR) fail("SELECT refused");
	}
}

void RawRedis::fail(const std::string& what) const
{
	throw std::runtime_error("hiredis " + _address.host + ":" + std::to_string(_address.port) + ": " + what
		+ (_context && _context->err ? std::string(": ") + _context->errstr : std::string()));
}

RawRedis::ReplyPtr RawRedis::command(const char* format, ...)
{
	va_list ap;
	va_start(ap, format);
	void* reply = redisvCommand(_context.get(), format, ap);
	va_end(ap);
	if (!reply) fail("command failed");
	return ReplyPtr(static_cast<redisReply*>(reply));
}

RawRedis::ReplyPtr RawRedis::getReply()
{
	void* reply = nullptr;
	if (redisGetReply(_context.get(), &reply) != REDIS_OK || !reply) fail("no reply");
	return ReplyPtr(static_cast<redisReply*>(reply));
}

void RawRedis::setTimeout(int seconds)
{
	timeval timeout{seconds, 0};
	redisSetTimeout(_context.get(), timeout);
}

bool RawRedis::ping()
{
	ReplyPtr reply = command("PING");
	return reply->type == REDIS_REPLY_STATUS && std::string(reply->str, reply->len) == "PONG";
}

std::string RawRedis::info(const std::string& section)
{
	ReplyPtr reply = command("INFO %s", section.c_str());
	return reply->type == REDIS_REPLY_STRING ? std::string(reply->str, reply->len) : std::string();
}

void RawRedis::shutdown()
{
	// The server closes the connection instead of answering.
	void* reply = redisCommand(_context.get(), "SHUTDOWN NOSAVE");
	if (reply) freeReplyObject(reply);
}

Measurement RawRedis::publishSync(const std::string& channel, const std::string& wire, std::size_t events)
{
	Measurement m;
	m.latencyUs.reserve(events);
	const std::int64_t start = nowNanos();
	for (std::size_t i = 0; i < events; ++i)
	{
		const std::int64_t t0 = nowNanos();
		ReplyPtr reply = command("PUBLISH %b %b", channel.data(), channel.size(), wire.data(), wire.size());
		if (reply->type == REDIS_REPLY_ERROR) ++m.errors;
		m.latencyUs.push_back(static_cast<double>(nowNanos() - t0) / 1e3);
	}
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = events;
	return m;
}

Measurement RawRedis::publishPipelined(const std::string& channel, const std::string& wire, std::size_t events,
	std::size_t batch)
{
	Measurement m;
	const std::int64_t start = nowNanos();
	std::size_t sent = 0;
	while (sent < events)
	{
		const std::size_t n = std::min(batch, events - sent);
		for (std::size_t i = 0; i < n; ++i)
			redisAppendCommand(_context.get(), "PUBLISH %b %b", channel.data(), channel.size(), wire.data(), wire.size());
		for (std::size_t i = 0; i < n; ++i)
		{
			ReplyPtr reply = getReply();
			if (reply->type == REDIS_REPLY_ERROR) ++m.errors;
		}
		sent += n;
	}
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = events;
	return m;
}

Measurement RawRedis::roundTrip(const RedisAddress& address, const std::string& channel, const std::string& wire,
	std::size_t events, int rate)
{
	const std::size_t warmup = 200;
	const std::size_t total = warmup + events;
	RawRedis publisher(address);
	RawRedis subscriber(address);
	{
		ReplyPtr reply = subscriber.command("SUBSCRIBE %b", channel.data(), channel.size());
		if (reply->type != REDIS_REPLY_ARRAY) subscriber.fail("SUBSCRIBE refused");
	}
	std::vector<std::int64_t> sent(total, 0), received(total, 0);
	std::atomic<std::size_t> count{0};
	timeval idle{3, 0};
	redisSetTimeout(subscriber._context.get(), idle);
	std::thread reader([&]() {
		while (count.load() < total)
		{
			void* raw = nullptr;
			if (redisGetReply(subscriber._context.get(), &raw) != REDIS_OK || !raw) return; // idle timeout: lost
			const std::int64_t now = nowNanos();
			ReplyPtr reply(static_cast<redisReply*>(raw));
			if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3)
			{
				// Pub/Sub keeps the order of one publisher: the n-th message is the n-th sent.
				std::size_t n = count.load();
				received[n] = now;
				count.store(n + 1);
			}
		}
	});
	const auto interval = std::chrono::nanoseconds(1000000000LL / rate);
	Measurement m;
	auto next = Clock::now();
	std::int64_t firstTimed = nowNanos();
	for (std::size_t i = 0; i < total; ++i)
	{
		std::this_thread::sleep_until(next);
		next += interval;
		if (i == warmup) firstTimed = nowNanos();
		sent[i] = nowNanos();
		ReplyPtr reply = publisher.command("PUBLISH %b %b", channel.data(), channel.size(), wire.data(), wire.size());
		if (reply->type == REDIS_REPLY_ERROR) ++m.errors;
	}
	m.seconds = static_cast<double>(nowNanos() - firstTimed) / 1e9;
	reader.join();
	m.events = events;
	const std::size_t got = count.load();
	for (std::size_t i = warmup; i < got; ++i) m.latencyUs.push_back(static_cast<double>(received[i] - sent[i]) / 1e3);
	m.lost = total - std::min(total, got);
	return m;
}

} // namespace bench
} // namespace eventbus
