//
// PluginTarget.cpp
//
// eventbus::contract::contractTarget() for the in-process built-in
// transports, loaded as real plugins from the built plugins folder: the
// transport named by the compile definition EVENTBUS_CONTRACT_TRANSPORT
// (memory or loopback), with the features both promise.
//
#include "TransportContract.h"
#include "TestSupport.h"
#include "eventbus/PluginHost.h"

namespace eventbus {
namespace contract {

ContractTarget contractTarget()
{
	ContractTarget target;
	target.transport = EVENTBUS_CONTRACT_TRANSPORT;
	target.create = [name = target.transport]() { return PluginHost::instance().create(test::pluginDir(), name); };
	target.features.guaranteedOrder = true; // one queue (memory) or the publisher's thread (loopback)
	target.features.patterns = true;
	target.features.inProcess = true;
	// Neither overrides publishAsync, neither keeps nor redelivers messages,
	// and neither has a broker to restart: the defaults (false) say so.
	return target;
}

} // namespace contract
} // namespace eventbus
