//
// ContractSession.cpp
//
#include "ContractSession.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Names.h"
#include <Poco/JSON/Object.h>
#include <Poco/Logger.h>
#include <Poco/UUIDGenerator.h>
#include <atomic>
#include <stdexcept>
#include <thread>

namespace eventbus {
namespace contract {

ContractSession::ContractSession(const ContractTarget& target)
	: _config(new Poco::Util::MapConfiguration)
{
	_config->setString("eventbus.env", Env);
	_config->setString("eventbus.channel.prefix", Prefix);
	_config->setString("eventbus.transport", target.transport);
	for (const auto& kv : target.keys)
		_config->setString(kv.first, kv.second);
	if (!target.create)
		throw std::invalid_argument("ContractTarget::create is not set");
	_transport = target.create();
	if (!_transport)
		throw std::invalid_argument("ContractTarget::create returned no transport");
	TransportContext context{*_config, Env, Prefix, _metrics, Poco::Logger::get("eventbus.contract." + target.transport),
		_redactor, &_gaps};
	_transport->start(context);
}

ContractSession::~ContractSession()
{
	try
	{
		_transport->stop();
	}
	catch (...)
	{
	}
	_transport.reset();
}

std::string ContractSession::channel(const std::string& tenant, const std::string& topic)
{
	return ChannelName::build(Prefix, Env, tenant, topic);
}

std::string ContractSession::pattern(const std::string& topic)
{
	return ChannelName::crossTenantPattern(Prefix, Env, topic);
}

std::string ContractSession::uniqueTopic(const std::string& name)
{
	static std::atomic<int> counter{0};
	std::string run = Poco::UUIDGenerator::defaultGenerator().createRandom().toString().substr(0, 8);
	return "contract." + name + "." + run + std::to_string(++counter);
}

OutboundMessage ContractSession::message(const std::string& tenant, const std::string& topic, int seq)
{
	auto event = std::make_shared<Event>();
	event->id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	event->source = "/contract";
	event->type = topic;
	event->tenantId = tenant;
	event->correlationId = event->id;
	event->data = new Poco::JSON::Object;
	event->data->set("seq", seq);
	OutboundMessage message;
	message.channel = channel(tenant, topic);
	message.wire = CloudEventCodec::encode(*event);
	message.event = event;
	return message;
}

bool ContractSession::waitReady(std::chrono::milliseconds timeout)
{
	return waitUntil([this]() { return _transport->health().ready; }, timeout);
}

bool waitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	while (!condition())
	{
		if (std::chrono::steady_clock::now() >= deadline)
			return condition();
		std::this_thread::sleep_for(std::chrono::milliseconds(2));
	}
	return true;
}

} // namespace contract
} // namespace eventbus
