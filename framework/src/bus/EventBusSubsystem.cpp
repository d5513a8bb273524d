//
// EventBusSubsystem.cpp
//
// The bus as a Poco::Util::Subsystem of a host application.
//
#include "eventbus/EventBusSubsystem.h"
#include "eventbus/ConfigLoader.h"
#include <Poco/Exception.h>
#include <Poco/Util/Application.h>

namespace eventbus {

EventBusSubsystem::EventBusSubsystem() = default;

const char* EventBusSubsystem::name() const
{
	return "EventBus";
}

EventBus& EventBusSubsystem::bus()
{
	if (!_bus) throw Poco::IllegalStateException("EventBusSubsystem: the bus exists only between initialize and uninitialize");
	return *_bus;
}

void EventBusSubsystem::initialize(Poco::Util::Application& app)
{
	Poco::Util::LayeredConfiguration& config = app.config();
	if (config.hasProperty("eventbus.config.file"))
	{
		std::string env = ConfigLoader::chooseEnv(config.getString("eventbus.env", ""));
		ConfigLoader::load(config, config.getString("eventbus.config.file"), env);
	}
	_bus.reset(new EventBus(config));
	app.logger().information("event bus ready: transport %s, env %s", _bus->settings().transport, _bus->settings().env);
}

void EventBusSubsystem::uninitialize()
{
	if (_bus)
	{
		_bus->close();
		_bus.reset();
	}
}

} // namespace eventbus
