//
// MemoryBroker.cpp
//
// The process-wide broker and each bus's bounded delivery queue and thread.
//
#include "MemoryBroker.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include "eventbus/Names.h"
#include <Poco/Logger.h>
#include <algorithm>

namespace eventbus {

MemoryEndpoint::MemoryEndpoint(std::size_t capacity, std::chrono::milliseconds enqueueTimeout,
	std::chrono::milliseconds drainTimeout, Counter& shutdownDrops):
	_capacity(capacity),
	_enqueueTimeout(enqueueTimeout),
	_drainTimeout(drainTimeout),
	_shutdownDrops(shutdownDrops)
{
}

MemoryEndpoint::~MemoryEndpoint()
{
	if (_thread.joinable())
	{
		if (_thread.get_id() == std::this_thread::get_id()) _thread.detach();
		else _thread.join();
	}
}

void MemoryEndpoint::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::shared_ptr<MemoryEndpoint> self = shared_from_this();
	_thread = std::thread([self]() { self->run(); });
	_threadId = _thread.get_id();
}

void MemoryEndpoint::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping) return;
		_stopping = true;
	}
	_notEmpty.notify_all();
	_notFull.notify_all();
	if (_thread.joinable())
	{
		if (_thread.get_id() == std::this_thread::get_id()) _thread.detach();
		else _thread.join();
	}
}

void MemoryEndpoint::addCallback(std::uint64_t id, DeliveryCallback callback)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_callbacks[id] = std::make_shared<Target>(std::move(callback));
}

void MemoryEndpoint::removeCallback(std::uint64_t id)
{
	TargetPtr target;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _callbacks.find(id);
		if (it == _callbacks.end()) return;
		target = it->second;
		_callbacks.erase(it);
	}
	target->gate.close(); // waits for a running call, unless it is this thread's own
}

bool MemoryEndpoint::reserve(const std::string& channel)
{
	std::unique_lock<std::mutex> lock(_mutex);
	if (_stopping) return false; // a stopped endpoint has no subscriptions left to serve
	if (_queue.size() + _reserved >= _capacity)
	{
		// The endpoint's own thread cannot wait for itself to make room.
		bool ownThread = std::this_thread::get_id() == _threadId;
		if (ownThread || !_notFull.wait_for(lock, _enqueueTimeout, [&]() { return _queue.size() + _reserved < _capacity || _stopping; }))
			throw OverflowException("memory transport: delivery queue for " + channel + " is full ("
				+ std::to_string(_capacity) + " events, eventbus.memory.queueCapacity)");
		if (_stopping) return false;
	}
	++_reserved;
	return true;
}

void MemoryEndpoint::commit(std::uint64_t id, const InboundMessage& message)
{
	std::unique_lock<std::mutex> lock(_mutex);
	--_reserved;
	if (_stopping)
	{
		lock.unlock();
		_notFull.notify_one();
		return;
	}
	_queue.push_back(Item{id, message});
	_queued.store(_queue.size(), std::memory_order_release);
	lock.unlock();
	_notEmpty.notify_one();
}

void MemoryEndpoint::release()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		--_reserved;
	}
	_notFull.notify_one();
}

void MemoryEndpoint::run()
{
	// Up to Batch events per turn of the lock: their targets are looked up
	// under it, the callbacks run without it (a target removed meanwhile has
	// its gate closed, so it is not called). Before sleeping, the thread
	// looks again for a short while (SpinRounds yields, some tens of
	// microseconds): a publisher that sends one event after another then
	// never pays for waking it per event.
	constexpr std::size_t Batch = 64;
	constexpr int SpinRounds = 64;
	std::vector<std::pair<TargetPtr, Item>> batch;
	batch.reserve(Batch);
	std::unique_lock<std::mutex> lock(_mutex);
	std::chrono::steady_clock::time_point drainDeadline{};
	for (;;)
	{
		if (_queue.empty() && !_stopping)
		{
			lock.unlock();
			for (int i = 0; i < SpinRounds && _queued.load(std::memory_order_acquire) == 0; ++i)
				std::this_thread::yield();
			lock.lock();
		}
		_notEmpty.wait(lock, [&]() { return !_queue.empty() || _stopping; });
		if (_stopping)
		{
			if (drainDeadline == std::chrono::steady_clock::time_point{})
				drainDeadline = std::chrono::steady_clock::now() + _drainTimeout;
			if (_queue.empty()) break;
			if (std::chrono::steady_clock::now() >= drainDeadline)
			{
				std::size_t dropped = _queue.size();
				_queue.clear();
				_queued.store(0, std::memory_order_release);
				_shutdownDrops.increment(dropped);
				Poco::Logger::get("eventbus.transport.memory").warning(
					"stopped with %z undelivered events after the drain timeout; they were dropped", dropped);
				break;
			}
		}
		while (!_queue.empty() && batch.size() < Batch)
		{
			Item item = std::move(_queue.front());
			_queue.pop_front();
			auto it = _callbacks.find(item.id);
			if (it != _callbacks.end()) // else unsubscribed meanwhile
				batch.emplace_back(it->second, std::move(item));
		}
		_queued.store(_queue.size(), std::memory_order_release);
		lock.unlock();
		_notFull.notify_all();
		for (auto& entry : batch)
		{
			const TargetPtr& target = entry.first;
			try
			{
				target->gate.pass([&]() { target->callback(entry.second.message); });
			}
			catch (...)
			{
				// The bus catches handler errors; nothing may escape into this thread.
			}
		}
		batch.clear();
		lock.lock();
	}
}

MemoryBroker& MemoryBroker::instance()
{
	static MemoryBroker broker;
	return broker;
}

std::uint64_t MemoryBroker::subscribe(const std::shared_ptr<MemoryEndpoint>& endpoint, const ChannelSubscription& subscription)
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::uint64_t id = _nextId++;
	Registration registration{id, endpoint, subscription};
	if (subscription.pattern) _patterns.push_back(registration);
	else _exact[subscription.channel].push_back(registration);
	_channelOf[id] = subscription.pattern ? std::string() : subscription.channel;
	return id;
}

void MemoryBroker::unsubscribe(std::uint64_t id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto where = _channelOf.find(id);
	if (where == _channelOf.end()) return;
	auto byId = [id](const Registration& r) { return r.id == id; };
	if (where->second.empty())
	{
		_patterns.erase(std::remove_if(_patterns.begin(), _patterns.end(), byId), _patterns.end());
	}
	else
	{
		auto it = _exact.find(where->second);
		if (it != _exact.end())
		{
			it->second.erase(std::remove_if(it->second.begin(), it->second.end(), byId), it->second.end());
			if (it->second.empty()) _exact.erase(it);
		}
	}
	_channelOf.erase(where);
}

void MemoryBroker::publish(const OutboundMessage& message)
{
	std::vector<std::pair<std::shared_ptr<MemoryEndpoint>, std::uint64_t>> targets;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _exact.find(message.channel);
		if (it != _exact.end())
			for (const auto& r : it->second)
				if (auto endpoint = r.endpoint.lock()) targets.emplace_back(endpoint, r.id);
		for (const auto& r : _patterns)
			if (ChannelName::matches(r.subscription.channel, message.channel))
				if (auto endpoint = r.endpoint.lock()) targets.emplace_back(endpoint, r.id);
	}
	// All or nothing: hold a place in every endpoint before queueing anywhere.
	std::vector<bool> held(targets.size(), false);
	try
	{
		for (std::size_t i = 0; i < targets.size(); ++i)
			held[i] = targets[i].first->reserve(message.channel);
	}
	catch (...)
	{
		for (std::size_t i = 0; i < targets.size(); ++i)
			if (held[i]) targets[i].first->release();
		throw;
	}
	InboundMessage inbound;
	inbound.channel = message.channel;
	inbound.event = message.event;
	for (std::size_t i = 0; i < targets.size(); ++i)
		if (held[i]) targets[i].first->commit(targets[i].second, inbound);
}

} // namespace eventbus
