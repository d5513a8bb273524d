//
// TenantScope.h
//
// Which tenants a subscription admits: one, or (by policy) all.
//
#pragma once

#include <string>

namespace eventbus {

/// Whose events a subscription receives: one tenant, or (only where
/// eventbus.security.allowCrossTenant=true) every tenant of the env.
class TenantScope
{
public:
	/// One tenant. The id is validated when the scope is used.
	static TenantScope tenant(const std::string& tenantId);
	/// Every tenant; refused by the bus unless eventbus.security.allowCrossTenant=true.
	static TenantScope allTenants();

	bool isCrossTenant() const { return _crossTenant; }
	/// Empty for a cross-tenant scope.
	const std::string& tenantId() const { return _tenantId; }
	/// True when an event of this tenant belongs to the scope.
	bool admits(const std::string& tenantId) const;
	/// "tenant:<id>" or "all-tenants", for logs.
	std::string toString() const;

private:
	TenantScope(std::string tenantId, bool crossTenant);
	std::string _tenantId;
	bool _crossTenant;
};

} // namespace eventbus
