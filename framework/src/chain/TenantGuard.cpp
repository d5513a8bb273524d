//
// TenantGuard.cpp
//
// Name validation on publish; channel, envelope and scope checks on delivery.
//
#include "eventbus/middleware/TenantGuard.h"
#include "eventbus/Names.h"
#include <cstring>

namespace eventbus {

TenantGuard::TenantGuard(std::string prefix, std::string env):
	_prefix(std::move(prefix)),
	_env(std::move(env)),
	_partsValid(Names::isValidEnv(_prefix) && Names::isValidEnv(_env))
{
}

bool TenantGuard::isChannelOf(const std::string& channel, const std::string& tenantId, const std::string& topic) const
{
	if (channel.size() != _prefix.size() + _env.size() + tenantId.size() + topic.size() + 3) return false;
	const char* p = channel.data();
	auto part = [&p](const std::string& s, bool dot) {
		if (std::memcmp(p, s.data(), s.size()) != 0) return false;
		p += s.size();
		if (!dot) return true;
		return *p++ == '.';
	};
	return part(_prefix, true) && part(_env, true) && part(tenantId, true) && part(topic, false);
}

void TenantGuard::onPublish(PublishContext& context)
{
	Names::validateTenant(context.event.tenantId);
	Names::validateTopic(context.event.type);
}

bool TenantGuard::onDeliver(DeliveryContext& context)
{
	// The channel's tenant and topic. Nearly every event comes on the channel
	// its own tenant and the subscribed topic make: that is checked by
	// comparison, without parsing; with valid names, the parse would find
	// exactly those parts. Any other channel is parsed.
	const std::string* tenantId = &context.event.tenantId;
	const std::string* topic = &context.subscribedTopic;
	ChannelParts parts;
	if (!(_partsValid && isChannelOf(context.channel, *tenantId, *topic) && Names::isValidTenant(*tenantId)
			&& Names::isValidTopic(*topic)))
	{
		if (!ChannelName::parse(context.channel, parts) || parts.prefix != _prefix || parts.env != _env)
		{
			context.dropReason = "bad-channel";
			return false;
		}
		tenantId = &parts.tenantId;
		topic = &parts.topic;
	}
	if (*tenantId != context.event.tenantId)
	{
		context.dropReason = "tenant-mismatch";
		return false;
	}
	if (!context.scope.admits(*tenantId))
	{
		context.dropReason = "scope-mismatch";
		return false;
	}
	if (*topic != context.subscribedTopic || context.event.type != context.subscribedTopic)
	{
		context.dropReason = "topic-mismatch";
		return false;
	}
	return true;
}

} // namespace eventbus
