//
// Idempotency.h
//
// The idempotency middleware: drops duplicate, stale and future deliveries.
//
#pragma once

#include "eventbus/Metrics.h"
#include "eventbus/Middleware.h"
#include <Poco/Timestamp.h>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace eventbus {

/// A bounded memory of keys seen: at most maxEntries, none older than the window.
class IdempotencyWindow
{
public:
	IdempotencyWindow(std::size_t maxEntries, Poco::Timespan window);
	/// True if `key` was recorded within the window (and is still held);
	/// otherwise records it and returns false.
	bool seenBefore(const std::string& key, const Poco::Timestamp& now = Poco::Timestamp());
	/// The same, recording `key` itself (moved, not copied) when it is new.
	bool seenBefore(std::string&& key, const Poco::Timestamp& now = Poco::Timestamp());
	/// Removes `key`, so its next occurrence is not a duplicate.
	void forget(const std::string& key);
	std::size_t size() const;
private:
	void evict(const Poco::Timestamp& now);
	std::size_t _maxEntries;
	Poco::Timespan _window;
	mutable std::mutex _mutex;
	std::unordered_map<std::string, Poco::Timestamp> _seen;
	// Oldest first; each slot points at the key of its own entry in _seen
	// (stable until that entry is erased, which only its slot does).
	std::deque<std::pair<Poco::Timestamp, const std::string*>> _order;
};

/// Drops a delivery whose message id this subscription already received
/// within the window (reason: duplicate), and one whose time is older than
/// the maximum age or too far in the future (reasons: stale, future). A
/// delivery whose handler threw is forgotten again: a durable transport's
/// redelivery of it is a retry, not a duplicate.
class Idempotency : public Middleware
{
public:
	Idempotency(std::size_t maxEntries, int windowSeconds, int maxAgeSeconds, int maxSkewSeconds, Metrics& metrics);
	std::string name() const override { return "idempotency"; }
	bool onDeliver(DeliveryContext& context) override;
	void afterDeliver(const DeliveryContext& context, bool threw) override;
private:
	static std::string keyOf(const DeliveryContext& context);
	IdempotencyWindow _window;
	Poco::Timespan _maxAge;
	Poco::Timespan _maxSkew;
	Counter& _duplicates;
};

} // namespace eventbus
