//
// TenantGuard.h
//
// The tenant-guard middleware: names on publish, channel/envelope/scope agreement on delivery.
//
#pragma once

#include "eventbus/Middleware.h"

namespace eventbus {

/// Validates names on publish; on delivery drops an event whose envelope
/// tenant, channel tenant and subscription scope disagree, or whose channel
/// topic is not the subscribed one (reasons: tenant-mismatch, scope-mismatch,
/// topic-mismatch, bad-channel).
class TenantGuard : public Middleware
{
public:
	TenantGuard(std::string prefix, std::string env);
	std::string name() const override { return "tenant-guard"; }
	void onPublish(PublishContext& context) override;
	bool onDeliver(DeliveryContext& context) override;
private:
	/// Whether `channel` is exactly {prefix}.{env}.{tenantId}.{topic}.
	bool isChannelOf(const std::string& channel, const std::string& tenantId, const std::string& topic) const;

	std::string _prefix;
	std::string _env;
	bool _partsValid; ///< prefix and env are valid names (they are, from the settings)
};

} // namespace eventbus
