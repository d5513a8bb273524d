//
// OwnedThread.h
//
// The one thread of a Redis worker (the publishers' senders, the
// subscriber's reader, the streams reader and delivery): started once,
// joined by stop() from any other thread, left to end by itself when stop()
// runs on it (from a callback it made), and then detached at destruction.
//
#pragma once

#include <functional>
#include <thread>

namespace eventbus {

class OwnedThread
{
public:
	OwnedThread() = default;
	OwnedThread(const OwnedThread&) = delete;
	OwnedThread& operator=(const OwnedThread&) = delete;

	/// Detaches a thread still running: only one whose join() was called
	/// from the thread itself, which is on its way out.
	~OwnedThread();

	/// Runs `body` on a new thread, unless one was started before. The
	/// owner serialises start() (under its own mutex).
	void start(std::function<void()> body);

	/// A thread was started and not joined.
	bool started() const;

	/// True on the thread itself.
	bool isCurrent() const;

	/// Waits for the thread to end; returns at once when called on the
	/// thread itself or when none runs. Idempotent.
	void join();

private:
	std::thread _thread;
	std::thread::id _id;
};

} // namespace eventbus
