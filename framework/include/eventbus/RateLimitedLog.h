//
// RateLimitedLog.h
//
// A repeated-fault diagnostic that cannot flood the log: the first few
// occurrences are written, then one summary per period with the count since
// the last line, and at destruction the count not yet written. Metrics still
// count every occurrence (the caller's job). Used by the bus's delivery path
// and by the Redis transports.
//
#pragma once

#include <Poco/Logger.h>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace eventbus {

/// Thread-safe; logs outside its lock.
class RateLimitedLog
{
public:
	explicit RateLimitedLog(Poco::Logger& logger, std::size_t first = 3,
		std::chrono::milliseconds period = std::chrono::seconds(30));
	RateLimitedLog(const RateLimitedLog&) = delete;
	RateLimitedLog& operator=(const RateLimitedLog&) = delete;
	/// Writes "(N more like it not shown) <last message>" when occurrences
	/// were counted since the last line.
	~RateLimitedLog();

	/// One occurrence: written as a warning while within the first ones, else
	/// counted, and a summary "(N more like it in the last 30 s): message"
	/// written once per period.
	void warning(const std::string& message);

private:
	Poco::Logger& _logger;
	const std::size_t _first;
	const std::chrono::milliseconds _period;
	mutable std::mutex _mutex;
	std::uint64_t _count = 0;
	std::uint64_t _suppressed = 0;
	std::chrono::steady_clock::time_point _lastSummary{};
	std::string _lastSuppressed;
};

} // namespace eventbus
