//
// Backoff.cpp
//
// Capped exponential backoff with jitter.
//
#include "Backoff.h"
#include <algorithm>

namespace eventbus {

Backoff::Backoff(int initialMs, int maxMs)
	: _initialMs(std::max(1, initialMs))
	, _maxMs(std::max(_initialMs, maxMs))
	, _random(std::random_device{}())
{
}

std::chrono::milliseconds Backoff::next()
{
	long long ms = _initialMs;
	for (int i = 0; i < _failures && ms < _maxMs; ++i)
		ms *= 2;
	ms = std::min<long long>(ms, _maxMs);
	++_failures;
	return jitter(ms);
}

std::chrono::milliseconds Backoff::nextAtMax()
{
	++_failures;
	return jitter(_maxMs);
}

void Backoff::reset()
{
	_failures = 0;
}

std::chrono::milliseconds Backoff::jitter(long long ms)
{
	std::uniform_int_distribution<long long> upperHalf(ms / 2, ms);
	return std::chrono::milliseconds(std::max<long long>(1, upperHalf(_random)));
}

} // namespace eventbus
