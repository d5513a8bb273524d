//
// ContractRecorder.cpp
//
#include "ContractRecorder.h"
#include "eventbus/CloudEventCodec.h"
#include <map>

namespace eventbus {
namespace contract {

ContractRecorder::ContractRecorder() = default;

DeliveryCallback ContractRecorder::callback()
{
	return [this](const InboundMessage& message) { return record(message); };
}

void ContractRecorder::setAction(Action action)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_action = std::move(action);
}

void ContractRecorder::fence()
{
	// Sequentially consistent: a call that raised _running after this read
	// sees _fenced set and counts as late.
	_fenced = true;
	_runningAtFence = _running.load();
}

DeliveryResult ContractRecorder::record(const InboundMessage& message)
{
	++_running;
	if (_fenced.load())
		++_late;
	Received entry;
	entry.channel = message.channel;
	entry.messageId = message.id;
	entry.deliveryCount = message.deliveryCount;
	std::string error;
	try
	{
		const Event event = message.event ? *message.event : CloudEventCodec::decode(message.wire, 1024 * 1024);
		entry.eventId = event.id;
		entry.seq = event.data ? event.data->optValue<int>("seq", -1) : -1;
	}
	catch (std::exception& exc)
	{
		error = std::string("cannot decode a delivered message: ") + exc.what();
	}
	Action action;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_received.push_back(entry);
		if (!error.empty() && _error.empty())
			_error = error;
		action = _action;
	}
	_arrived.notify_all();
	DeliveryResult result = action ? action(message, entry) : DeliveryResult::handled();
	--_running;
	return result;
}

std::size_t ContractRecorder::calls() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _received.size();
}

std::vector<Received> ContractRecorder::received() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _received;
}

bool ContractRecorder::waitFor(std::size_t count, std::chrono::milliseconds timeout) const
{
	std::unique_lock<std::mutex> lock(_mutex);
	return _arrived.wait_for(lock, timeout, [&]() { return _received.size() >= count; });
}

std::string ContractRecorder::tally(const std::vector<OutboundMessage>& sent, std::size_t& missing,
	std::size_t& duplicates) const
{
	const std::vector<Received> arrived = received();
	std::map<std::string, int> seen;
	for (const auto& r : arrived)
		++seen[r.eventId];
	missing = 0;
	duplicates = 0;
	for (const auto& message : sent)
	{
		auto it = seen.find(message.event->id);
		if (it == seen.end())
			++missing;
		else if (it->second > 1)
			duplicates += static_cast<std::size_t>(it->second - 1);
	}
	return "sent " + std::to_string(sent.size()) + ", received " + std::to_string(arrived.size()) + ", missing "
		+ std::to_string(missing) + ", duplicates " + std::to_string(duplicates);
}

std::string ContractRecorder::error() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _error;
}

} // namespace contract
} // namespace eventbus
