//
// ConfiguredTarget.cpp
//
// eventbus::conformance::target() from compile definitions:
//   EVENTBUS_CONFORMANCE_TRANSPORT     "name"                 (required)
//   EVENTBUS_CONFORMANCE_PLUGINS_PATH  "/folder/of/the/.so"   (required)
//   EVENTBUS_CONFORMANCE_KEYS          "key=value;key=value"  (optional)
// and, at run time, EVENTBUS_CONFORMANCE_KEYS from the environment (same
// form), which wins: e.g. the URL of a server the transport talks to.
//
#include "TransportConformance.h"
#include <cstdlib>

#ifndef EVENTBUS_CONFORMANCE_TRANSPORT
#error "define EVENTBUS_CONFORMANCE_TRANSPORT (the transport name)"
#endif
#ifndef EVENTBUS_CONFORMANCE_PLUGINS_PATH
#error "define EVENTBUS_CONFORMANCE_PLUGINS_PATH (the folder of the plugin .so)"
#endif
#ifndef EVENTBUS_CONFORMANCE_KEYS
#define EVENTBUS_CONFORMANCE_KEYS ""
#endif

namespace eventbus {
namespace conformance {

namespace {

void addKeys(const std::string& list, std::map<std::string, std::string>& keys)
{
	std::size_t start = 0;
	while (start < list.size())
	{
		std::size_t end = list.find(';', start);
		if (end == std::string::npos) end = list.size();
		std::string item = list.substr(start, end - start);
		std::size_t eq = item.find('=');
		if (eq != std::string::npos && eq > 0) keys[item.substr(0, eq)] = item.substr(eq + 1);
		start = end + 1;
	}
}

} // namespace

Target target()
{
	Target t;
	t.transport = EVENTBUS_CONFORMANCE_TRANSPORT;
	t.keys["eventbus.plugins.path"] = EVENTBUS_CONFORMANCE_PLUGINS_PATH;
	addKeys(EVENTBUS_CONFORMANCE_KEYS, t.keys);
	if (const char* env = std::getenv("EVENTBUS_CONFORMANCE_KEYS")) addKeys(env, t.keys);
	return t;
}

} // namespace conformance
} // namespace eventbus
