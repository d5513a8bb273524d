//
// RedisPlugin.cpp
//
// The manifest of the Redis plugin: every transport (and capability) this
// .so exports is listed here, and nowhere else.
//
#include "RedisPubSubTransport.h"
#include "RedisTenantAccess.h"
#include "eventbus/Plugin.h"

EVENTBUS_PLUGIN_BEGIN
	EVENTBUS_TRANSPORT(eventbus::RedisPubSubTransport, "redis")
	EVENTBUS_CAPABILITY(eventbus::RedisTenantAccess, "redis/tenant-access")
EVENTBUS_PLUGIN_END
