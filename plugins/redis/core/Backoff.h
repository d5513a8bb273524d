//
// Backoff.h
//
// Capped exponential backoff with jitter for reconnect attempts.
//
#pragma once

#include <chrono>
#include <random>

namespace eventbus {

/// Not thread-safe: one per reconnecting thread, or guarded by its owner's mutex.
class Backoff
{
public:
	Backoff(int initialMs, int maxMs);

	/// The delay before the next attempt: initial * 2^failures, capped at max,
	/// then a random point in its upper half so clients restarted together do
	/// not reconnect in lockstep.
	std::chrono::milliseconds next();

	/// The capped delay at once, for failures that retrying soon cannot fix
	/// (a wrong password).
	std::chrono::milliseconds nextAtMax();

	/// After a success: the next failure starts from the initial delay again.
	void reset();

	int failures() const { return _failures; }

private:
	std::chrono::milliseconds jitter(long long ms);

	int _initialMs;
	int _maxMs;
	int _failures = 0;
	std::minstd_rand _random;
};

} // namespace eventbus
