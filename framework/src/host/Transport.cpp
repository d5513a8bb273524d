//
// Transport.cpp
//
// The key functions of the plugin API live here, in libeventbus, so the
// vtables and type_info of Transport are the framework's own and RTTI and
// exceptions work across the plugin boundary.
//
#include "eventbus/Transport.h"

namespace eventbus {
inline namespace abi_v3 {

Transport::~Transport() = default;

bool Transport::needsWire() const
{
	return true;
}

void Transport::publishAsync(const OutboundMessage& message, PublishCallback done)
{
	try
	{
		publish(message);
	}
	catch (...)
	{
		done(std::current_exception());
		return;
	}
	done(nullptr);
}
TransportListener::~TransportListener() = default;

} // inline namespace abi_v3
} // namespace eventbus
