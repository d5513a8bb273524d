//
// Plugin.h
//
// Include in exactly one source file of a transport plugin:
//
//     EVENTBUS_PLUGIN(MyTransport, "mine")
//
// exports the plugin API version and a Poco manifest in which the class is
// registered under the transport name.
//
#pragma once

#include "eventbus/Transport.h"
#include <Poco/ClassLibrary.h>

extern "C" __attribute__((visibility("default"))) int eventbusPluginApiVersion();

#define EVENTBUS_PLUGIN(cls, transportName)                         \
	extern "C" __attribute__((visibility("default"))) int eventbusPluginApiVersion() \
	{ return EVENTBUS_PLUGIN_API_VERSION; }                          \
	POCO_BEGIN_MANIFEST(eventbus::Transport)                         \
		POCO_EXPORT_INTERFACE(cls, transportName)                    \
	POCO_END_MANIFEST
