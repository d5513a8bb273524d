//
// Idempotency.cpp
//
// The bounded window of seen message ids, and the age and skew checks.
//
#include "eventbus/middleware/Idempotency.h"
#include <charconv>

namespace eventbus {

IdempotencyWindow::IdempotencyWindow(std::size_t maxEntries, Poco::Timespan window):
	_maxEntries(maxEntries),
	_window(window)
{
}

void IdempotencyWindow::evict(const Poco::Timestamp& now)
{
	while (!_order.empty() && (_seen.size() > _maxEntries || now - _order.front().first > _window.totalMicroseconds()))
	{
		auto it = _seen.find(*_order.front().second);
		if (it != _seen.end() && it->second == _order.front().first) _seen.erase(it);
		_order.pop_front();
	}
}

bool IdempotencyWindow::seenBefore(const std::string& key, const Poco::Timestamp& now)
{
	return seenBefore(std::string(key), now);
}

bool IdempotencyWindow::seenBefore(std::string&& key, const Poco::Timestamp& now)
{
	std::lock_guard<std::mutex> lock(_mutex);
	evict(now);
	// One lookup both finds and records. The key is stored once, in the map;
	// the order slot refers to it.
	auto inserted = _seen.try_emplace(std::move(key), now);
	if (!inserted.second) return true;
	_order.emplace_back(now, &inserted.first->first);
	evict(now);
	return false;
}

void IdempotencyWindow::forget(const std::string& key)
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto it = _seen.find(key);
	if (it == _seen.end()) return;
	// Its slot is among the newest (forgotten right after the handler ran):
	// search from the back, and drop it with the key it points at.
	for (auto slot = _order.rbegin(); slot != _order.rend(); ++slot)
	{
		if (slot->second == &it->first)
		{
			_order.erase(std::next(slot).base());
			break;
		}
	}
	_seen.erase(it);
}

std::size_t IdempotencyWindow::size() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _seen.size();
}

Idempotency::Idempotency(std::size_t maxEntries, int windowSeconds, int maxAgeSeconds, int maxSkewSeconds, Metrics& metrics):
	_window(maxEntries, Poco::Timespan(windowSeconds, 0)),
	_maxAge(maxAgeSeconds, 0),
	_maxSkew(maxSkewSeconds, 0),
	_duplicates(metrics.counter(Metrics::Duplicates))
{
}

bool Idempotency::onDeliver(DeliveryContext& context)
{
	Poco::Timestamp now;
	if (_maxAge.totalMicroseconds() > 0 && now - context.event.time > _maxAge.totalMicroseconds())
	{
		context.dropReason = "stale";
		return false;
	}
	if (context.event.time - now > _maxSkew.totalMicroseconds())
	{
		context.dropReason = "future";
		return false;
	}
	if (_window.seenBefore(keyOf(context), now))
	{
		_duplicates.increment();
		context.dropReason = "duplicate";
		return false;
	}
	return true;
}

std::string Idempotency::keyOf(const DeliveryContext& context)
{
	// Per subscription: two handlers of one bus each get the event once. A
	// publisher's idempotency key stands for the message id, so retries of one
	// logical publish (each with a fresh id) count as duplicates.
	// Built in one allocation: every delivery makes one.
	static const std::string IdempotencyKey = "idempotencykey";
	char subscription[24];
	const std::size_t n = static_cast<std::size_t>(
		std::to_chars(subscription, subscription + sizeof(subscription), context.subscription).ptr - subscription);
	std::string key;
	auto idempotencyKey = context.event.extensions.find(IdempotencyKey);
	if (idempotencyKey != context.event.extensions.end())
	{
		key.reserve(n + 3 + context.event.tenantId.size() + 1 + idempotencyKey->second.size());
		key.append(subscription, n).append("/k/", 3).append(context.event.tenantId).append(1, '/').append(idempotencyKey->second); // keys are per tenant
	}
	else
	{
		key.reserve(n + 3 + context.event.id.size());
		key.append(subscription, n).append("/i/", 3).append(context.event.id);
	}
	return key;
}

void Idempotency::afterDeliver(const DeliveryContext& context, bool threw)
{
	// Not handled: a redelivery (Streams' retry) must reach the handler again.
	if (threw)
		_window.forget(keyOf(context));
}

} // namespace eventbus
