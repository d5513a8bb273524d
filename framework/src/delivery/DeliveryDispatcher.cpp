//
// DeliveryDispatcher.cpp
//
// The queue, the dispatcher thread and the callback table of a transport's
// subscriptions; unsubscribe is the callback's gate closing.
//
#include "eventbus/DeliveryDispatcher.h"
#include <exception>
#include <vector>

namespace eventbus {

DeliveryDispatcher::DeliveryDispatcher(std::size_t capacity, Poco::Logger& logger, const Redactor& redactor)
	: _capacity(capacity)
	, _logger(logger)
	, _redactor(redactor)
{
}

DeliveryDispatcher::~DeliveryDispatcher()
{
	stop();
	if (_thread.joinable())
		_thread.detach(); // only when the last owner let go from inside a callback
}

void DeliveryDispatcher::start()
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_thread.joinable() || _stopping)
		return;
	_thread = std::thread([this]() { run(); });
	_threadId = _thread.get_id();
}

void DeliveryDispatcher::stop()
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_stopping = true;
		_queue.clear();
	}
	_ready.notify_all();
	if (_thread.joinable() && std::this_thread::get_id() != _threadId)
		_thread.join();
}

void DeliveryDispatcher::add(std::uint64_t id, const std::string& key, DeliveryCallback callback)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_byKey[key][id] = std::make_shared<Target>(std::move(callback));
	_keyOf[id] = key;
}

bool DeliveryDispatcher::eraseLocked(std::uint64_t id, std::string& key, TargetPtr& target)
{
	auto it = _keyOf.find(id);
	if (it == _keyOf.end())
		return false;
	key = it->second;
	_keyOf.erase(it);
	auto byKey = _byKey.find(key);
	if (byKey != _byKey.end())
	{
		auto entry = byKey->second.find(id);
		if (entry != byKey->second.end())
		{
			target = entry->second;
			byKey->second.erase(entry);
		}
		if (byKey->second.empty())
			_byKey.erase(byKey);
	}
	return true;
}

std::string DeliveryDispatcher::remove(std::uint64_t id)
{
	std::string key;
	TargetPtr target;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!eraseLocked(id, key, target))
			return std::string();
	}
	if (target)
		target->gate.close(); // waits for a running call, unless it is this thread's own
	return key;
}

void DeliveryDispatcher::discard(std::uint64_t id)
{
	std::string key;
	TargetPtr target;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		eraseLocked(id, key, target);
	}
	if (target)
		target->gate.closeWithoutWaiting();
}

bool DeliveryDispatcher::offer(Delivery&& delivery)
{
	bool wake = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
			return true; // shutting down: nothing is delivered any more, nothing overflows
		if (_queue.size() + _taken.load(std::memory_order_relaxed) >= _capacity)
			return false;
		_queue.push_back(std::move(delivery));
		wake = _waiting;
	}
	if (wake)
		_ready.notify_one();
	return true;
}

std::size_t DeliveryDispatcher::offer(std::vector<Delivery>& deliveries)
{
	std::size_t queued = 0;
	bool wake = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
			return deliveries.size(); // shutting down: nothing is delivered any more, nothing overflows
		const std::size_t taken = _taken.load(std::memory_order_relaxed);
		for (auto& delivery : deliveries)
		{
			if (_queue.size() + taken >= _capacity)
				break;
			_queue.push_back(std::move(delivery));
			++queued;
		}
		wake = _waiting && queued > 0;
	}
	if (wake)
		_ready.notify_one();
	return queued;
}

std::size_t DeliveryDispatcher::queued() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _queue.size() + _taken.load(std::memory_order_relaxed);
}

void DeliveryDispatcher::run()
{
	std::deque<Delivery> batch;
	std::vector<TargetPtr> targets;
	for (;;)
	{
		{
			std::unique_lock<std::mutex> lock(_mutex);
			_waiting = true;
			_ready.wait(lock, [this]() { return _stopping || !_queue.empty(); });
			_waiting = false;
			if (_stopping)
				return;
			// Everything queued, in order; it still counts against the capacity.
			batch.swap(_queue);
			_taken.store(batch.size(), std::memory_order_relaxed);
		}
		while (!batch.empty())
		{
			if (!dispatch(batch.front(), targets))
			{
				_taken.store(0, std::memory_order_relaxed);
				return;
			}
			batch.pop_front();
			_taken.fetch_sub(1, std::memory_order_relaxed);
		}
	}
}

bool DeliveryDispatcher::dispatch(Delivery& delivery, std::vector<TargetPtr>& targets)
{
	// The message is handed over once: callbacks get references to it.
	InboundMessage message;
	message.channel = std::move(delivery.channel);
	message.wire = std::move(delivery.wire);
	targets.clear();
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
			return false;
		auto byKey = _byKey.find(delivery.key);
		if (byKey == _byKey.end())
			return true;
		for (const auto& entry : byKey->second)
			targets.push_back(entry.second);
	}
	for (const TargetPtr& target : targets)
	{
		// An unsubscribe since the snapshot closed the gate: the call does not start.
		try
		{
			target->gate.pass([&]() { target->callback(message); });
		}
		catch (std::exception& exc)
		{
			_logger.error("a delivery callback threw on channel " + _redactor.redactText(message.channel, 512) + ": "
				+ _redactor.redactText(exc.what(), 512));
		}
		catch (...)
		{
			_logger.error("a delivery callback threw on channel " + _redactor.redactText(message.channel, 512));
		}
	}
	targets.clear(); // callbacks are not kept alive between messages
	return true;
}

} // namespace eventbus
