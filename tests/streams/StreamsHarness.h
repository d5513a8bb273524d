//
// StreamsHarness.h
//
// The redis-streams transport made from the built plugin and driven
// directly, without a bus: what the suites need to see the transport's own
// answers (entry ids, delivery counts, groups, DeliveryResult) that the
// EventBus API does not show. Also raw stream queries for assertions.
//
#pragma once

#include "RedisServer.h"
#include "eventbus/Metrics.h"
#include "eventbus/Redactor.h"
#include "eventbus/Transport.h"
#include <Poco/Logger.h>
#include <Poco/Util/MapConfiguration.h>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

/// Counts the gaps a transport reports.
class GapLog : public TransportListener
{
public:
	void onGap(const std::string& transport, const std::string& reason) override;
	std::size_t count() const;
	std::string lastReason() const;

private:
	mutable std::mutex _mutex;
	std::size_t _count = 0;
	std::string _reason;
};

/// One started redis-streams transport with its own metrics.
class StreamsHarness
{
public:
	StreamsHarness(const RedisServer& server, const std::map<std::string, std::string>& overrides = {});
	~StreamsHarness();

	Transport& transport() { return *_transport; }
	Metrics& metrics() { return _metrics; }
	GapLog& gaps() { return _gaps; }

	/// XADD through the transport, waiting for the reply.
	void publish(const std::string& channel, const std::string& wire);
	void stop();

private:
	Poco::AutoPtr<Poco::Util::MapConfiguration> _config;
	Metrics _metrics;
	Redactor _redactor;
	GapLog _gaps;
	std::shared_ptr<Transport> _transport;
};

/// One delivery a callback saw.
struct Seen
{
	std::string channel;
	std::string id;
	std::string wire;
	std::uint32_t deliveryCount = 0;
};

/// Collects deliveries; thread-safe.
class SeenLog
{
public:
	void add(const InboundMessage& message);
	std::vector<Seen> all() const;
	std::size_t size() const;
	/// Distinct entry ids seen.
	std::size_t distinct() const;

private:
	mutable std::mutex _mutex;
	std::vector<Seen> _seen;
};

/// XPENDING key group: the number of pending entries (0 when the group or key is gone).
long long pendingCount(const RedisServer& server, const std::string& key, const std::string& group);
/// XLEN key.
long long streamLength(const RedisServer& server, const std::string& key);

} // namespace test
} // namespace eventbus
