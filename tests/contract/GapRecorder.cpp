//
// GapRecorder.cpp
//
#include "GapRecorder.h"

namespace eventbus {
namespace contract {

void GapRecorder::onGap(const std::string& transport, const std::string& reason)
{
	std::lock_guard<std::mutex> lock(_mutex);
	++_count;
	_transport = transport;
	_reason = reason;
}

std::size_t GapRecorder::count() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _count;
}

std::string GapRecorder::lastTransport() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _transport;
}

std::string GapRecorder::lastReason() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _reason;
}

} // namespace contract
} // namespace eventbus
