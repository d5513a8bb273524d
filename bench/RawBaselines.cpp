//
// RawBaselines.cpp
//
// raw-queue and raw-e2e.
//
#include "RawBaselines.h"
#include "RawRedis.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace eventbus {
namespace bench {

namespace {

double secondsSince(Clock::time_point start)
{
	return std::chrono::duration<double>(Clock::now() - start).count();
}

} // namespace

Measurement RawBaselines::queue(const std::string& payload, std::size_t events, std::size_t maxInFlight)
{
	std::mutex mutex;
	std::condition_variable ready, room;
	std::deque<std::string> queue;
	std::size_t received = 0;
	std::size_t bytes = 0;
	const auto start = Clock::now();
	std::thread consumer([&]() {
		std::unique_lock<std::mutex> lock(mutex);
		while (received < events)
		{
			ready.wait(lock, [&]() { return !queue.empty(); });
			std::string item = std::move(queue.front());
			queue.pop_front();
			++received;
			lock.unlock();
			room.notify_one();
			bytes += item.size(); // the "handler": touch what arrived
			lock.lock();
		}
	});
	for (std::size_t i = 0; i < events; ++i)
	{
		std::string item(payload);
		std::unique_lock<std::mutex> lock(mutex);
		room.wait(lock, [&]() { return queue.size() < maxInFlight; });
		queue.push_back(std::move(item));
		lock.unlock();
		ready.notify_one();
	}
	consumer.join();
	Measurement m;
	m.seconds = secondsSince(start);
	m.events = events;
	m.lost = events - received;
	if (bytes != events * payload.size())
		m.errors = 1;
	return m;
}

Measurement RawBaselines::redisEndToEnd(const RedisAddress& address, const std::string& channel, const std::string& wire,
	std::size_t events, std::size_t batch, std::size_t maxInFlight)
{
	RawRedis publisher(address);
	RawRedis subscriber(address);
	{
		RawRedis::ReplyPtr reply = subscriber.command("SUBSCRIBE %b", channel.data(), channel.size());
		if (reply->type != REDIS_REPLY_ARRAY) subscriber.fail("SUBSCRIBE refused");
	}
	std::atomic<std::size_t> count{0};
	timeval idle{3, 0};
	redisSetTimeout(subscriber.context(), idle);
	const auto start = Clock::now();
	std::thread reader([&]() {
		while (count.load(std::memory_order_relaxed) < events)
		{
			void* raw = nullptr;
			if (redisGetReply(subscriber.context(), &raw) != REDIS_OK || !raw) return; // idle 3 s: the rest is lost
			RawRedis::ReplyPtr reply(static_cast<redisReply*>(raw));
			if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 3)
				count.fetch_add(1, std::memory_order_release);
		}
	});
	Measurement m;
	std::size_t sent = 0;
	while (sent < events)
	{
		while (sent - count.load(std::memory_order_acquire) + batch > maxInFlight)
			std::this_thread::yield();
		const std::size_t n = std::min(batch, events - sent);
		for (std::size_t i = 0; i < n; ++i)
			redisAppendCommand(publisher.context(), "PUBLISH %b %b", channel.data(), channel.size(), wire.data(), wire.size());
		for (std::size_t i = 0; i < n; ++i)
		{
			RawRedis::ReplyPtr reply = publisher.getReply();
			if (reply->type == REDIS_REPLY_ERROR) ++m.errors;
		}
		sent += n;
	}
	reader.join();
	m.seconds = secondsSince(start);
	m.events = events;
	m.lost = events - std::min(events, count.load());
	return m;
}

} // namespace bench
} // namespace eventbus
