//
// SteadyPublisher.cpp
//
#include "SteadyPublisher.h"
#include "RedisBusFixture.h"
#include "eventbus/Exceptions.h"

namespace eventbus {
namespace test {

SteadyPublisher::SteadyPublisher(EventBus& bus, std::string topic, std::vector<std::string> tenants, std::string watched,
	std::chrono::milliseconds interval)
	: _bus(bus)
	, _topic(std::move(topic))
	, _tenants(std::move(tenants))
	, _watched(std::move(watched))
	, _interval(interval)
	, _thread([this]() { run(); })
{
}

SteadyPublisher::~SteadyPublisher()
{
	stop();
}

void SteadyPublisher::fault()
{
	std::lock_guard<std::mutex> lock(_mutex);
	_faultAt = std::chrono::steady_clock::now();
	_faulted = true;
}

long long SteadyPublisher::recoveredAfterMs() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _recoveredMs;
}

void SteadyPublisher::stop()
{
	_stop = true;
	if (_thread.joinable())
		_thread.join();
}

std::map<std::string, std::set<int>> SteadyPublisher::confirmed() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _confirmed;
}

std::set<int> SteadyPublisher::confirmedOf(const std::string& tenant) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	auto found = _confirmed.find(tenant);
	return found == _confirmed.end() ? std::set<int>() : found->second;
}

std::size_t SteadyPublisher::confirmedCount() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::size_t total = 0;
	for (const auto& tenant : _confirmed)
		total += tenant.second.size();
	return total;
}

std::string SteadyPublisher::lastError() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _lastError;
}

void SteadyPublisher::run()
{
	while (!_stop)
	{
		const int n = _next;
		const std::string& tenant = _tenants[static_cast<std::size_t>(n) % _tenants.size()];
		try
		{
			_bus.publish(_topic, RedisBusFixture::numbered(n), tenant);
			std::lock_guard<std::mutex> lock(_mutex);
			_confirmed[tenant].insert(n);
			if (_faulted && _recoveredMs < 0 && tenant == _watched)
			{
				_recoveredMs = std::chrono::duration_cast<std::chrono::milliseconds>(
					std::chrono::steady_clock::now() - _faultAt).count();
			}
		}
		catch (OutcomeUnknownException& exc)
		{
			++_unknown;
			std::lock_guard<std::mutex> lock(_mutex);
			_lastError = exc.message();
		}
		catch (TransportException& exc)
		{
			++_refused;
			std::lock_guard<std::mutex> lock(_mutex);
			_lastError = exc.message();
		}
		++_next;
		std::this_thread::sleep_for(_interval); // the steady rate, not a synchronisation
	}
}

} // namespace test
} // namespace eventbus
