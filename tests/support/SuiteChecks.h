//
// SuiteChecks.h
//
// Small expressions the redis suites' assertions are written with: a
// substring test, how long a call takes, the message of the exception it throws.
//
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>

namespace eventbus {
namespace test {

inline bool contains(const std::string& text, const std::string& part)
{
	return text.find(part) != std::string::npos;
}

/// Milliseconds `f` takes.
template <class F>
long long millisecondsOf(F f)
{
	const auto start = std::chrono::steady_clock::now();
	f();
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

/// Calls `f`, which must throw E; returns the exception's message.
template <class E, class F>
std::string messageOf(F f)
{
	try
	{
		f();
	}
	catch (E& exc)
	{
		return exc.message();
	}
	throw std::runtime_error("expected an exception, none was thrown");
}

} // namespace test
} // namespace eventbus
