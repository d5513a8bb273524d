//
// CallbackGate.h
//
// The one mechanism behind every "never called after unsubscribe returned"
// promise of the bus and its transports: a callback runs only through an
// open gate, and closing the gate waits for the calls inside it.
//
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace eventbus {

/// Guards the calls of one callback. Thread-safe. The callback itself runs
/// outside the gate's lock, so it may publish, subscribe or close this very
/// gate (closing from inside does not wait for itself).
class CallbackGate
{
public:
	CallbackGate() = default;
	CallbackGate(const CallbackGate&) = delete;
	CallbackGate& operator=(const CallbackGate&) = delete;

	/// Calls `f()` unless the gate is closed; returns whether it was called.
	/// An exception of `f` passes through (the call still counts as left).
	template <class F>
	bool pass(F&& f)
	{
		if (!enter()) return false;
		try
		{
			f();
		}
		catch (...)
		{
			leave();
			throw;
		}
		leave();
		return true;
	}

	/// Registers the calling thread inside the gate; false when it is closed.
	/// Every true must be followed by exactly one leave() on the same thread.
	bool enter();
	void leave();

	/// Closes the gate. When it returns, no call is inside the gate and none
	/// starts again, except a call on the calling thread itself (close() from
	/// inside the callback). Idempotent.
	void close();

	/// Closes the gate without waiting for the calls inside it: for a thread
	/// that must not block (a reader thread). Later calls do not start.
	void closeWithoutWaiting();

	/// False once close() or closeWithoutWaiting() was called.
	bool isOpen() const;

private:
	mutable std::mutex _mutex;
	std::condition_variable _idle;
	bool _open = true;
	std::vector<std::thread::id> _inside; // one element per call inside, by thread
};

} // namespace eventbus
