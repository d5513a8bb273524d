// Suite ID: integration.redis.tls.verification
//
// RedisTlsVerificationTest.cpp
//
// Part of the redis_tls_integration suite. The TLS handshake and what it
// verifies, against a real redis-server serving TLS only with certificates
// made by openssl at test time: the AUTH password only over a verified
// session, client certificates (presented, missing, of another CA), every
// refused server certificate (unknown CA, wrong name, expired) and the name
// checked (eventbus.redis.tls.serverName), the wrong scheme for the port, and
// verify=false outside production.
//
#include "RedisTlsTestSupport.h"
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

class RedisTlsVerificationTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisTlsVerificationTest);
	CPPUNIT_TEST(testPasswordIsSentOnlyOverTheVerifiedSession);
	CPPUNIT_TEST(testClientCertificateIsPresentedWhenRequired);
	CPPUNIT_TEST(testMissingClientCertificateIsRefusedClearly);
	CPPUNIT_TEST(testClientCertificateOfAnotherCaIsRefused);
	CPPUNIT_TEST(testServerOfAnUnknownCaIsRefused);
	CPPUNIT_TEST(testServerWithTheWrongNameIsRefused);
	CPPUNIT_TEST(testServerNameKeyIsTheNameChecked);
	CPPUNIT_TEST(testExpiredServerCertificateIsRefused);
	CPPUNIT_TEST(testPlainUrlToTheTlsPortFailsClearly);
	CPPUNIT_TEST(testTlsUrlToAPlainPortFailsClearly);
	CPPUNIT_TEST(testVerifyFalseElsewhereConnectsAndWarns);
	CPPUNIT_TEST_SUITE_END();

public:
	void testPasswordIsSentOnlyOverTheVerifiedSession()
	{
		EventLog log; // first: outlives the buses that call it
		LogCapture capture; // before the buses whose logger it captures
		TlsServerOptions options = serverOptions();
		options.password = Password;
		TlsRedisServer server(options, certs());
		const std::string url = "rediss://:" + Password + "@" + server.endpoint() + "/0";

		auto good = bus(url, tlsKeys());
		good->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		good->publish(Topic, numbered(1), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));

		// An untrusted server never gets the password: the handshake fails first,
		// and no message repeats it.
		auto untrusted = bus(url, {{"eventbus.redis.tls.caFile", certs().otherCaFile}});
		const std::string message = publishFailure(*untrusted, server.endpoint());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "certificate verify failed"));
		for (const auto& line : capture.lines())
			CPPUNIT_ASSERT_MESSAGE(line, !contains(line, Password));
		CPPUNIT_ASSERT_MESSAGE(untrusted->health().reason, !contains(untrusted->health().reason, Password));
	}

	void testClientCertificateIsPresentedWhenRequired()
	{
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(true), certs());
		auto subscriber = bus(server.url(), tlsKeys(true));
		auto publisher = bus(server.url(), tlsKeys(true));
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		for (int i = 0; i < 3; ++i)
			publisher->publish(Topic, numbered(i), "acme");
		CPPUNIT_ASSERT(log.waitFor(3));
		CPPUNIT_ASSERT((std::vector<int>{0, 1, 2}) == log.intField("n"));
	}

	void testMissingClientCertificateIsRefusedClearly()
	{
		TlsRedisServer server(serverOptions(true), certs());
		auto publisher = bus(server.url(), tlsKeys(false));
		const std::string message = publishFailure(*publisher, server.endpoint());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "certificate"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus.redis.tls.certFile"));
		TransportHealth health = publisher->health();
		CPPUNIT_ASSERT(!health.ready);
		CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, "certificate"));
	}

	void testClientCertificateOfAnotherCaIsRefused()
	{
		TlsRedisServer server(serverOptions(true), certs());
		auto publisher = bus(server.url(), with(tlsKeys(), {{"eventbus.redis.tls.certFile", certs().otherClientCert},
			{"eventbus.redis.tls.keyFile", certs().otherClientKey}}));
		const std::string message = publishFailure(*publisher, server.endpoint());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "TLS"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "unknown ca") || contains(message, "certificate"));
	}

	void testServerOfAnUnknownCaIsRefused()
	{
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(), certs());
		auto publisher = bus(server.url(), {{"eventbus.redis.tls.caFile", certs().otherCaFile}});
		const std::string message = publishFailure(*publisher, server.endpoint());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "TLS failed (connect)"));
		// Redis sends its CA along: the chain ends in a CA we do not trust.
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "certificate verify failed: self-signed certificate in certificate chain"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "eventbus test CA"));

		// The subscriber side reports the same through health().
		auto subscriber = bus(server.url(), {{"eventbus.redis.tls.caFile", certs().otherCaFile}});
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT(waitUntil([&]() { return contains(subscriber->health().reason, "certificate verify failed"); }));
		CPPUNIT_ASSERT(!subscriber->health().ready);
		CPPUNIT_ASSERT_EQUAL(0LL, server.subscribers(AcmeChannel));
	}

	void testServerWithTheWrongNameIsRefused()
	{
		TlsServerOptions options = serverOptions();
		options.certFile = certs().wrongNameCert;
		options.keyFile = certs().wrongNameKey;
		TlsRedisServer server(options, certs());
		// Trusted CA, but the certificate names wrong-name.invalid, not 127.0.0.1.
		auto publisher = bus(server.url(), tlsKeys());
		const std::string message = publishFailure(*publisher, server.endpoint());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "IP address mismatch"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "server name '127.0.0.1'"));

		// A host name in the URL is checked against the DNS names.
		auto byName = bus("rediss://localhost:" + std::to_string(server.port()) + "/0", tlsKeys());
		const std::string named = publishFailure(*byName, "localhost:" + std::to_string(server.port()));
		CPPUNIT_ASSERT_MESSAGE(named, contains(named, "hostname mismatch"));
	}

	void testServerNameKeyIsTheNameChecked()
	{
		TlsServerOptions options = serverOptions();
		options.certFile = certs().wrongNameCert;
		options.keyFile = certs().wrongNameKey;
		TlsRedisServer misnamed(options, certs());
		auto accepted = bus(misnamed.url(), with(tlsKeys(), {{"eventbus.redis.tls.serverName", "wrong-name.invalid"}}));
		TransportHealth health = accepted->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);

		TlsRedisServer server(serverOptions(), certs());
		auto localhost = bus(server.url(), with(tlsKeys(), {{"eventbus.redis.tls.serverName", "localhost"}}));
		health = localhost->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
		auto other = bus(server.url(), with(tlsKeys(), {{"eventbus.redis.tls.serverName", "other.invalid"}}));
		const std::string message = publishFailure(*other, server.endpoint());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "hostname mismatch"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "server name 'other.invalid'"));
	}

	void testExpiredServerCertificateIsRefused()
	{
		TlsServerOptions options = serverOptions();
		options.certFile = certs().expiredCert;
		options.keyFile = certs().expiredKey;
		TlsRedisServer server(options, certs());
		auto publisher = bus(server.url(), tlsKeys());
		const std::string message = publishFailure(*publisher, server.endpoint());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "certificate has expired"));
	}

	void testPlainUrlToTheTlsPortFailsClearly()
	{
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(), certs());
		auto publisher = bus("redis://" + server.endpoint() + "/0", {});
		const std::string message = publishFailure(*publisher, server.endpoint());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "rediss://"));

		auto subscriber = bus("redis://" + server.endpoint() + "/0", {});
		const long long ms = millisecondsOf([&]() { subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme")); });
		CPPUNIT_ASSERT_MESSAGE(std::to_string(ms) + " ms", ms < 5000);
		CPPUNIT_ASSERT(waitUntil([&]() { return contains(subscriber->health().reason, server.endpoint()); }));
		CPPUNIT_ASSERT(!subscriber->health().ready);
	}

	void testTlsUrlToAPlainPortFailsClearly()
	{
		RedisServer plain;
		auto publisher = bus("rediss://" + plain.endpoint() + "/0", tlsKeys());
		const std::string message = publishFailure(*publisher, plain.endpoint());
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "TLS failed (connect)"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "is the port a TLS port?"));
	}

	void testVerifyFalseElsewhereConnectsAndWarns()
	{
		TlsServerOptions options = serverOptions();
		options.certFile = certs().wrongNameCert;
		options.keyFile = certs().wrongNameKey;
		TlsRedisServer server(options, certs());
		LogCapture capture;
		// Neither the CA (system CAs only) nor the name would pass a check.
		auto b = bus(server.url(), {{"eventbus.env", "staging"}, {"eventbus.redis.tls.verify", "false"}});
		TransportHealth health = b->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
		CPPUNIT_ASSERT(capture.contains("eventbus.redis.tls.verify=false: the certificate of " + server.endpoint() + " is not checked"));
	}

private:
	/// The failure of a publish: within a bounded time, naming host:port.
	static std::string publishFailure(EventBus& publisher, const std::string& endpoint)
	{
		std::string message;
		const long long ms = millisecondsOf([&]() {
			message = messageOf<TransportException>([&]() { publisher.publish(Topic, numbered(0), "acme"); });
		});
		CPPUNIT_ASSERT_MESSAGE(std::to_string(ms) + " ms: " + message, ms < 5000);
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "redis " + endpoint));
		CPPUNIT_ASSERT_MESSAGE(message, !contains(message, Password));
		return message;
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisTlsVerificationTest);
