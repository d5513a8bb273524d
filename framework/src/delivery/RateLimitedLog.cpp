//
// RateLimitedLog.cpp
//
// The first few lines, then counted summaries.
//
#include "eventbus/RateLimitedLog.h"

namespace eventbus {

RateLimitedLog::RateLimitedLog(Poco::Logger& logger, std::size_t first, std::chrono::milliseconds period)
	: _logger(logger)
	, _first(first)
	, _period(period)
{
}

RateLimitedLog::~RateLimitedLog()
{
	if (_suppressed == 0)
		return;
	try
	{
		_logger.warning("(" + std::to_string(_suppressed) + " more like it not shown) " + _lastSuppressed);
	}
	catch (...)
	{
		// A destructor never throws; a logger that fails loses the summary only.
	}
}

void RateLimitedLog::warning(const std::string& message)
{
	std::string line;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		const auto now = std::chrono::steady_clock::now();
		++_count;
		if (_count <= _first)
		{
			line = message;
			_lastSummary = now;
		}
		else
		{
			++_suppressed;
			if (now - _lastSummary < _period)
			{
				_lastSuppressed = message;
				return;
			}
			line = "(" + std::to_string(_suppressed) + " like it in the last "
				+ std::to_string(std::chrono::duration_cast<std::chrono::seconds>(_period).count()) + " s) " + message;
			_suppressed = 0;
			_lastSuppressed.clear();
			_lastSummary = now;
		}
	}
	_logger.warning(line);
}

} // namespace eventbus
