// Suite ID: integration.redis.tls.keys
//
// RedisTlsKeysTest.cpp
//
// Part of the redis_tls_integration suite. The eventbus.redis.tls.* keys and
// what they refuse at start, each error naming its key: missing and
// unloadable CA, certificate and key files, inconsistent keys, verify=false
// in production; and the production warning about plain redis:// to a remote
// host (none for loopback, TLS or other envs).
//
#include "RedisTlsTestSupport.h"
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

class RedisTlsKeysTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisTlsKeysTest);
	CPPUNIT_TEST(testMissingCaFileIsAConfigErrorNamingTheKey);
	CPPUNIT_TEST(testUnloadableFilesAreConfigErrorsNamingTheKey);
	CPPUNIT_TEST(testInconsistentTlsKeysAreRefused);
	CPPUNIT_TEST(testVerifyFalseIsRefusedInProduction);
	CPPUNIT_TEST(testProductionWarnsAboutPlainUrlToARemoteHost);
	CPPUNIT_TEST(testNoPlainWarningForLoopbackTlsOrOtherEnvs);
	CPPUNIT_TEST_SUITE_END();

public:
	void testMissingCaFileIsAConfigErrorNamingTheKey()
	{
		const std::string missing = certs().dir + "/no-such-ca.pem";
		const std::string message = configError("rediss://127.0.0.1:1/0", {{"eventbus.redis.tls.caFile", missing}});
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.caFile"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, missing));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "not found"));

		for (const char* key : {"eventbus.redis.tls.certFile", "eventbus.redis.tls.keyFile"})
		{
			std::map<std::string, std::string> keys = tlsKeys(true);
			keys[key] = missing;
			const std::string text = configError("rediss://127.0.0.1:1/0", keys);
			CPPUNIT_ASSERT_MESSAGE(text, contains(text, key));
			CPPUNIT_ASSERT_MESSAGE(text, contains(text, "not found"));
		}
		const std::string folder = configError("rediss://127.0.0.1:1/0", {{"eventbus.redis.tls.caFile", certs().dir}});
		CPPUNIT_ASSERT_MESSAGE(folder, contains(folder, "eventbus.redis.tls.caFile") && contains(folder, "not a file"));
	}

	void testUnloadableFilesAreConfigErrorsNamingTheKey()
	{
		const std::string url = "rediss://127.0.0.1:1/0";
		std::string message = configError(url, {{"eventbus.redis.tls.caFile", certs().notPemFile}});
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.caFile: cannot load CA certificates"));

		message = configError(url, with(tlsKeys(true), {{"eventbus.redis.tls.certFile", certs().notPemFile}}));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.certFile: cannot load"));

		message = configError(url, with(tlsKeys(true), {{"eventbus.redis.tls.keyFile", certs().encryptedClientKey}}));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.keyFile: cannot load the private key"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "not encrypted"));

		message = configError(url, with(tlsKeys(true), {{"eventbus.redis.tls.keyFile", certs().serverKey}}));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.keyFile"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "does not belong to the certificate"));
	}

	void testInconsistentTlsKeysAreRefused()
	{
		// TLS keys beside a plain URL would look encrypted: refused.
		std::string message = configError("redis://127.0.0.1:1/0", tlsKeys());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.caFile is set but eventbus.redis.url is redis://"));

		message = configError("rediss://127.0.0.1:1/0", {{"eventbus.redis.tls.certFile", certs().clientCert}});
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.certFile is set without eventbus.redis.tls.keyFile"));
		message = configError("rediss://127.0.0.1:1/0", {{"eventbus.redis.tls.keyFile", certs().clientKey}});
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.keyFile is set without eventbus.redis.tls.certFile"));

		message = configError("rediss://127.0.0.1:1/0", with(tlsKeys(), {{"eventbus.redis.tls.verify", "maybe"}}));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.verify: 'maybe' is not a boolean"));
		for (const char* name : {"", "two words", "host/path"})
		{
			message = configError("rediss://127.0.0.1:1/0", with(tlsKeys(), {{"eventbus.redis.tls.serverName", name}}));
			CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.serverName"));
		}
		message = configError("rediss://127.0.0.1:1/0", {{"eventbus.redis.tls.caFile", ""}});
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.caFile: empty"));
	}

	void testVerifyFalseIsRefusedInProduction()
	{
		const std::string message = configError("rediss://127.0.0.1:1/0", {{"eventbus.redis.tls.verify", "false"}});
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.verify=false is refused in env production"));
		const std::string streams = configError("rediss://127.0.0.1:1/0", {{"eventbus.redis.tls.verify", "false"},
			{"eventbus.transport", "redis-streams"}});
		CPPUNIT_ASSERT_MESSAGE(streams, contains(streams, "eventbus.redis.tls.verify=false is refused in env production"));
	}

	void testProductionWarnsAboutPlainUrlToARemoteHost()
	{
		LogCapture capture;
		// 0.0.0.0 is not a loopback name, so the transport judges it remote, yet
		// Linux routes a connect to it to this host: no packet leaves the machine,
		// and nothing listens on the port, so the bus starts not ready.
		const std::string host = "0.0.0.0:" + std::to_string(freeLoopbackPort());
		auto b = bus("redis://:" + Password + "@" + host + "/0", {{"eventbus.redis.connectTimeoutMs", "100"}});
		CPPUNIT_ASSERT(capture.contains("eventbus.redis.url is redis:// to " + host + " in env production: "
			"events and the AUTH password cross the network unencrypted; use rediss://"));
		// The same policy, written once in the Redis core, for the Streams transport.
		LogCapture streamsCapture("eventbus.transport.redis-streams");
		auto streams = bus("redis://:" + Password + "@" + host + "/0", {{"eventbus.redis.connectTimeoutMs", "100"},
			{"eventbus.transport", "redis-streams"}});
		CPPUNIT_ASSERT(streamsCapture.contains("redis-streams transport: eventbus.redis.url is redis:// to " + host));
		for (const auto& line : capture.lines())
			CPPUNIT_ASSERT_MESSAGE(line, !contains(line, Password));
		for (const auto& line : streamsCapture.lines())
			CPPUNIT_ASSERT_MESSAGE(line, !contains(line, Password));
	}

	void testNoPlainWarningForLoopbackTlsOrOtherEnvs()
	{
		LogCapture capture;
		RedisServer plain;
		TlsRedisServer server(serverOptions(), certs());
		auto loopback = bus(plain.url(), {});
		auto localhost = bus("redis://localhost:" + std::to_string(plain.port()) + "/0", {});
		auto tls = bus(server.url(), tlsKeys());
		const std::string unused = "0.0.0.0:" + std::to_string(freeLoopbackPort());
		auto staging = bus("redis://" + unused + "/0", {{"eventbus.env", "staging"}, {"eventbus.redis.connectTimeoutMs", "100"}});
		CPPUNIT_ASSERT(loopback->health().ready && localhost->health().ready && tls->health().ready);
		CPPUNIT_ASSERT(capture.contains("redis transport: " + plain.endpoint()));
		CPPUNIT_ASSERT(capture.contains("redis transport: " + unused));
		for (const auto& line : capture.lines())
			CPPUNIT_ASSERT_MESSAGE(line, !contains(line, "unencrypted"));
	}

private:
	static std::string configError(const std::string& url, const std::map<std::string, std::string>& overrides)
	{
		return messageOf<ConfigException>([&]() { bus(url, overrides); });
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisTlsKeysTest);
