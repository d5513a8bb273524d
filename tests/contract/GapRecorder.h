//
// GapRecorder.h
//
// The TransportListener of the contract suite: counts the gaps a transport
// reports and keeps the last one.
//
#pragma once

#include "eventbus/Transport.h"
#include <mutex>
#include <string>

namespace eventbus {
namespace contract {

/// Counts the gaps a transport reports; thread-safe.
class GapRecorder: public TransportListener
{
public:
	void onGap(const std::string& transport, const std::string& reason) override;
	std::size_t count() const;
	std::string lastTransport() const;
	std::string lastReason() const;

private:
	mutable std::mutex _mutex;
	std::size_t _count = 0;
	std::string _transport;
	std::string _reason;
};

} // namespace contract
} // namespace eventbus
