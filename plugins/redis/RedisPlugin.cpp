//
// RedisPlugin.cpp
//
// The manifest of the Redis plugin: every transport (and capability) this
// .so exports is listed here, and nowhere else.
//
#include "RedisPubSubTransport.h"
#include "eventbus/Plugin.h"

EVENTBUS_PLUGIN(eventbus::RedisPubSubTransport, "redis")
