//
// RedisTlsTestSupport.h
//
// What the RedisTls*Test parts of the redis_tls_integration suite share: the
// suite's certificates (made by openssl once, removed at exit), the options
// of a TLS-only redis-server, the eventbus.redis.tls.* keys of a client that
// trusts the suite's CA, and buses in env production on a URL.
//
#pragma once

#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include <map>
#include <memory>
#include <string>

namespace eventbus {
namespace test {

const std::string Topic = "orders.created";
const std::string AcmeChannel = "c2pro.production.acme.orders.created";
const std::string Password = "hunter2-tls";

inline std::string numbered(int n)
{
	return R"({"n":)" + std::to_string(n) + "}";
}

/// The suite's certificates, made on first use (openssl takes a while) and
/// removed at exit.
inline const TestCertificates& certs()
{
	static const std::unique_ptr<TestCertificates> certificates(new TestCertificates);
	return *certificates;
}

inline TlsServerOptions serverOptions(bool authClients = false)
{
	TlsServerOptions options;
	options.certFile = certs().serverCert;
	options.keyFile = certs().serverKey;
	options.caFile = certs().caFile;
	options.authClients = authClients;
	return options;
}

/// The keys of a client that trusts the suites' CA (and presents the
/// suites' client certificate with `withClientCertificate`).
inline std::map<std::string, std::string> tlsKeys(bool withClientCertificate = false)
{
	std::map<std::string, std::string> keys{{"eventbus.redis.tls.caFile", certs().caFile}};
	if (withClientCertificate)
	{
		keys["eventbus.redis.tls.certFile"] = certs().clientCert;
		keys["eventbus.redis.tls.keyFile"] = certs().clientKey;
	}
	return keys;
}

inline std::map<std::string, std::string> with(std::map<std::string, std::string> keys,
	const std::map<std::string, std::string>& more)
{
	for (const auto& kv : more)
		keys[kv.first] = kv.second;
	return keys;
}

inline std::unique_ptr<EventBus> bus(const std::string& url, const std::map<std::string, std::string>& overrides)
{
	return std::unique_ptr<EventBus>(new EventBus(*redisConfig(url, overrides)));
}

} // namespace test
} // namespace eventbus
