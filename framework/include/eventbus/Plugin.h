//
// Plugin.h
//
// What a plugin exports. Include in exactly one source file of a plugin.
// A plugin with one transport and nothing else:
//
//     EVENTBUS_PLUGIN(MyTransport, "mine")
//
// A plugin with several transports and optional capabilities:
//
//     EVENTBUS_PLUGIN_BEGIN
//         EVENTBUS_TRANSPORT(MyTransport, "mine")
//         EVENTBUS_TRANSPORT(MyStreamsTransport, "mine-streams")
//         EVENTBUS_CAPABILITY(MyTenantAccess, "mine/tenant-access")
//     EVENTBUS_PLUGIN_END
//
// Both export the plugin API version (eventbusPluginApiVersion), the Poco
// manifest of eventbus::Transport in which each transport class is
// registered under its transport name, and the Poco manifest named
// EVENTBUS_CAPABILITY_MANIFEST, of eventbus::Capability, in which each
// capability is registered as "{transport}/{capability}" (the transport one
// of this plugin's). EVENTBUS_PLUGIN exports an empty capability manifest.
//
#pragma once

#include "eventbus/Capability.h"
#include "eventbus/Transport.h"
#include <Poco/ClassLibrary.h>

extern "C" __attribute__((visibility("default"))) int eventbusPluginApiVersion();

#define EVENTBUS_PLUGIN_BEGIN                                                            \
	extern "C" __attribute__((visibility("default"))) int eventbusPluginApiVersion()     \
	{ return EVENTBUS_PLUGIN_API_VERSION; }                                              \
	namespace {                                                                          \
	void eventbusPluginExports(Poco::Manifest<eventbus::Transport>* eventbusTransports,  \
		Poco::Manifest<eventbus::Capability>* eventbusCapabilities)                      \
	{                                                                                    \
		(void) eventbusTransports;                                                       \
		(void) eventbusCapabilities;

/// Registers the transport class `cls` under `transportName`.
#define EVENTBUS_TRANSPORT(cls, transportName)                                           \
		if (eventbusTransports)                                                          \
			eventbusTransports->insert(new Poco::MetaObject<cls, eventbus::Transport>(transportName));

/// Registers the capability class `cls` as `fullName` ("{transport}/{capability}").
#define EVENTBUS_CAPABILITY(cls, fullName)                                               \
		if (eventbusCapabilities)                                                        \
			eventbusCapabilities->insert(new Poco::MetaObject<cls, eventbus::Capability>(fullName));

#define EVENTBUS_PLUGIN_END                                                              \
	}                                                                                    \
	}                                                                                    \
	POCO_BEGIN_MANIFEST(eventbus::Transport)                                             \
		eventbusPluginExports(pManifest, nullptr);                                       \
	POCO_END_MANIFEST                                                                    \
	POCO_BEGIN_NAMED_MANIFEST(EventbusCapabilities, eventbus::Capability)                \
		eventbusPluginExports(nullptr, pManifest);                                       \
	POCO_END_MANIFEST

/// A plugin of one transport and no capability (the form of plugin API 1).
#define EVENTBUS_PLUGIN(cls, transportName)                                              \
	EVENTBUS_PLUGIN_BEGIN                                                                \
		EVENTBUS_TRANSPORT(cls, transportName)                                           \
	EVENTBUS_PLUGIN_END
