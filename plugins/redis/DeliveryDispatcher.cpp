//
// DeliveryDispatcher.cpp
//
#include "DeliveryDispatcher.h"
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
	_byKey[key][id] = std::make_shared<const DeliveryCallback>(std::move(callback));
	_keyOf[id] = key;
}

bool DeliveryDispatcher::eraseLocked(std::uint64_t id, std::string& key)
{
	auto it = _keyOf.find(id);
	if (it == _keyOf.end())
		return false;
	key = it->second;
	_keyOf.erase(it);
	auto byKey = _byKey.find(key);
	if (byKey != _byKey.end())
	{
		byKey->second.erase(id);
		if (byKey->second.empty())
			_byKey.erase(byKey);
	}
	return true;
}

std::string DeliveryDispatcher::remove(std::uint64_t id)
{
	std::unique_lock<std::mutex> lock(_mutex);
	std::string key;
	if (!eraseLocked(id, key))
		return std::string();
	if (std::this_thread::get_id() != _threadId)
		_idle.wait(lock, [this, id]() { return _running != id; });
	return key;
}

void DeliveryDispatcher::discard(std::uint64_t id)
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::string key;
	eraseLocked(id, key);
}

bool DeliveryDispatcher::offer(Delivery&& delivery)
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (_stopping)
			return true; // shutting down: nothing is delivered any more, nothing overflows
		if (_queue.size() >= _capacity)
			return false;
		_queue.push_back(std::move(delivery));
	}
	_ready.notify_one();
	return true;
}

std::size_t DeliveryDispatcher::queued() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _queue.size();
}

void DeliveryDispatcher::run()
{
	std::vector<std::uint64_t> ids;
	for (;;)
	{
		Delivery delivery;
		{
			std::unique_lock<std::mutex> lock(_mutex);
			_ready.wait(lock, [this]() { return _stopping || !_queue.empty(); });
			if (_stopping)
				return;
			delivery = std::move(_queue.front());
			_queue.pop_front();
			ids.clear();
			auto byKey = _byKey.find(delivery.key);
			if (byKey != _byKey.end())
			{
				for (const auto& entry : byKey->second)
					ids.push_back(entry.first);
			}
		}
		const InboundMessage message{delivery.channel, delivery.wire, nullptr};
		for (std::uint64_t id : ids)
		{
			CallbackPtr callback;
			{
				// Checked again per callback: an unsubscribe since the snapshot wins.
				std::lock_guard<std::mutex> lock(_mutex);
				if (_stopping)
					return;
				auto byKey = _byKey.find(delivery.key);
				if (byKey == _byKey.end())
					break;
				auto entry = byKey->second.find(id);
				if (entry == byKey->second.end())
					continue;
				callback = entry->second;
				_running = id;
			}
			try
			{
				(*callback)(message);
			}
			catch (std::exception& exc)
			{
				_logger.error("redis: a delivery callback threw on channel " + delivery.channel + ": " + _redactor.redactText(exc.what(), 512));
			}
			catch (...)
			{
				_logger.error("redis: a delivery callback threw on channel " + delivery.channel);
			}
			{
				std::lock_guard<std::mutex> lock(_mutex);
				_running = 0;
			}
			_idle.notify_all();
		}
	}
}

} // namespace eventbus
