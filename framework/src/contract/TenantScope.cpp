//
// TenantScope.cpp
//
// Tenant scopes and what they admit.
//
#include "eventbus/TenantScope.h"

namespace eventbus {

TenantScope::TenantScope(std::string tenantId, bool crossTenant):
	_tenantId(std::move(tenantId)),
	_crossTenant(crossTenant)
{
}

TenantScope TenantScope::tenant(const std::string& tenantId)
{
	return TenantScope(tenantId, false);
}

TenantScope TenantScope::allTenants()
{
	return TenantScope(std::string(), true);
}

bool TenantScope::admits(const std::string& tenantId) const
{
	return _crossTenant || tenantId == _tenantId;
}

std::string TenantScope::toString() const
{
	return _crossTenant ? std::string("all-tenants") : "tenant:" + _tenantId;
}

} // namespace eventbus
