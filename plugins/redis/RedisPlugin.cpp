//
// RedisPlugin.cpp
//
// The manifest of the Redis plugin: every transport (and capability) this
// .so exports is listed here, and nowhere else.
//
#include "RedisDeadLetters.h"
#include "RedisPubSubTransport.h"
#include "RedisStreamsTenantAccess.h"
#include "RedisTenantAccess.h"
#include "StreamsTransport.h"
#include "eventbus/Plugin.h"

EVENTBUS_PLUGIN_BEGIN
	EVENTBUS_TRANSPORT(eventbus::RedisPubSubTransport, "redis")
	EVENTBUS_TRANSPORT(eventbus::StreamsTransport, "redis-streams")
	EVENTBUS_CAPABILITY(eventbus::RedisTenantAccess, "redis/tenant-access")
	EVENTBUS_CAPABILITY(eventbus::RedisStreamsTenantAccess, "redis-streams/tenant-access")
	EVENTBUS_CAPABILITY(eventbus::RedisDeadLetters, "redis-streams/dead-letters")
EVENTBUS_PLUGIN_END
