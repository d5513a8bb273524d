//
// ClusterMover.h
//
// The loop of a cluster subscriber's mover thread (Pub/Sub and Streams):
// wait for a wake-up (the slot map changed, a node dropped something) or the
// next pass, do the pass, then look again soon and have the map re-read
// while something is not ready (a killed master until its replica is
// promoted), else idle.
//
#pragma once

#include "ClusterRouter.h"
#include <Poco/Logger.h>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <string>

namespace eventbus {

struct ClusterMover
{
	static constexpr std::chrono::milliseconds IdlePass{1000};
	static constexpr std::chrono::milliseconds BusyPass{250};

	/// Runs until `stopping` (read under `mutex`); `wakeRequested` is cleared
	/// before each pass. `pass` errors are logged as "`what` failed: ...";
	/// `busy` (no lock held) says whether something is still not ready.
	static void run(std::mutex& mutex, std::condition_variable& wake, const bool& stopping, bool& wakeRequested,
		ClusterRouter& router, Poco::Logger& logger, const std::string& what, const std::function<void()>& pass,
		const std::function<bool()>& busy)
	{
		std::chrono::milliseconds next = IdlePass;
		for (;;)
		{
			{
				std::unique_lock<std::mutex> lock(mutex);
				wake.wait_for(lock, next, [&]() { return stopping || wakeRequested; });
				if (stopping)
					return;
				wakeRequested = false;
			}
			try
			{
				pass();
			}
			catch (std::exception& exc)
			{
				logger.error(what + " failed: " + std::string(exc.what()));
			}
			const bool notReady = busy();
			if (notReady)
				router.requestRefresh();
			next = notReady ? BusyPass : IdlePass;
		}
	}
};

} // namespace eventbus
