//
// Exceptions.cpp
//
// The exception hierarchy of the bus.
//
#include "eventbus/Exceptions.h"
#include <typeinfo>

namespace eventbus {

POCO_IMPLEMENT_EXCEPTION(EventBusException, Poco::RuntimeException, "Event bus error")
POCO_IMPLEMENT_EXCEPTION(ValidationException, EventBusException, "Invalid input")
POCO_IMPLEMENT_EXCEPTION(PolicyException, EventBusException, "Refused by policy")
POCO_IMPLEMENT_EXCEPTION(ConfigException, EventBusException, "Invalid configuration")
POCO_IMPLEMENT_EXCEPTION(PluginException, EventBusException, "Plugin error")
POCO_IMPLEMENT_EXCEPTION(TransportException, EventBusException, "Transport error")
POCO_IMPLEMENT_EXCEPTION(OverflowException, TransportException, "Overflow")
POCO_IMPLEMENT_EXCEPTION(AccessDeniedException, TransportException, "Access denied")
POCO_IMPLEMENT_EXCEPTION(OutcomeUnknownException, TransportException, "Outcome unknown")

} // namespace eventbus
