//
// TenantGuard.cpp
//
// Name validation on publish; channel, envelope and scope checks on delivery.
//
#include "eventbus/middleware/TenantGuard.h"
#include "eventbus/Names.h"

namespace eventbus {

TenantGuard::TenantGuard(std::string prefix, std::string env):
	_prefix(std::move(prefix)),
	_env(std::move(env))
{
}

void TenantGuard::onPublish(PublishContext& context)
{
	Names::validateTenant(context.event.tenantId);
	Names::validateTopic(context.event.type);
}

bool TenantGuard::onDeliver(DeliveryContext& context)
{
	ChannelParts parts;
	if (!ChannelName::parse(context.channel, parts) || parts.prefix != _prefix || parts.env != _env)
	{
		context.dropReason = "bad-channel";
		return false;
	}
	if (parts.tenantId != context.event.tenantId)
	{
		context.dropReason = "tenant-mismatch";
		return false;
	}
	if (!context.scope.admits(parts.tenantId))
	{
		context.dropReason = "scope-mismatch";
		return false;
	}
	if (parts.topic != context.subscribedTopic || context.event.type != context.subscribedTopic)
	{
		context.dropReason = "topic-mismatch";
		return false;
	}
	return true;
}

} // namespace eventbus
