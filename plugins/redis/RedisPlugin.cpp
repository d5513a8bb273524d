//
// RedisPlugin.cpp
//
// The manifest of the Redis plugin: every transport (and capability) this
// .so exports is listed here, and nowhere else.
//
#include "RedisPubSubTransport.h"
#include "StreamsTransport.h"
#include "eventbus/Plugin.h"

// EVENTBUS_PLUGIN exports one class; the manifest of two, spelled out.
extern "C" __attribute__((visibility("default"))) int eventbusPluginApiVersion() { return EVENTBUS_PLUGIN_API_VERSION; }
POCO_BEGIN_MANIFEST(eventbus::Transport)
	POCO_EXPORT_INTERFACE(eventbus::RedisPubSubTransport, "redis")
	POCO_EXPORT_INTERFACE(eventbus::StreamsTransport, "redis-streams")
POCO_END_MANIFEST
