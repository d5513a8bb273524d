//
// EventBusSubsystem.h
//
// Embeds the bus in a Poco::Util::Application.
//
#pragma once

#include "eventbus/EventBus.h"
#include <Poco/Util/Subsystem.h>
#include <memory>

namespace eventbus {

/// Add it in the application's constructor:
///     addSubsystem(new eventbus::EventBusSubsystem);
/// On initialize it builds the bus from the application's configuration
/// (keys under `eventbus.`); if `eventbus.config.file` is set, that file and
/// its env overlay are loaded first. On uninitialize it closes the bus.
class EventBusSubsystem : public Poco::Util::Subsystem
{
public:
	EventBusSubsystem();
	const char* name() const override;

	/// The bus; throws Poco::IllegalStateException before initialize.
	EventBus& bus();

protected:
	void initialize(Poco::Util::Application& app) override;
	void uninitialize() override;

private:
	std::unique_ptr<EventBus> _bus;
};

} // namespace eventbus
