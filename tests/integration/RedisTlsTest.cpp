// Suite ID: integration.redis.tls
//
// RedisTlsTest.cpp
//
// rediss:// against a real redis-server serving TLS only (--port 0
// --tls-port N) with certificates made by openssl at test time: delivery,
// client certificates, every refused certificate (unknown CA, wrong name,
// expired, none when one is required), the wrong scheme for the port, the
// eventbus.redis.tls.* keys, large messages, reconnects, and the production
// warning about plain redis:// to a remote host.
//
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <memory>
#include <thread>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Topic = "orders.created";
const std::string AcmeChannel = "c2pro.production.acme.orders.created";
const std::string Password = "hunter2-tls";

std::string numbered(int n)
{
	return R"({"n":)" + std::to_string(n) + "}";
}

} // namespace

class RedisTlsTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisTlsTest);
	CPPUNIT_TEST(testPublishSubscribeRoundTripOverTls);
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
	CPPUNIT_TEST(testMissingCaFileIsAConfigErrorNamingTheKey);
	CPPUNIT_TEST(testUnloadableFilesAreConfigErrorsNamingTheKey);
	CPPUNIT_TEST(testInconsistentTlsKeysAreRefused);
	CPPUNIT_TEST(testVerifyFalseIsRefusedInProduction);
	CPPUNIT_TEST(testVerifyFalseElsewhereConnectsAndWarns);
	CPPUNIT_TEST(testLargeMessagesRoundTripOverTls);
	CPPUNIT_TEST(testSubscribeWhileTheReaderWaitsOnTheSameSession);
	CPPUNIT_TEST(testSubscriberReconnectsOverTlsAfterServerRestart);
	CPPUNIT_TEST(testProductionWarnsAboutPlainUrlToARemoteHost);
	CPPUNIT_TEST(testNoPlainWarningForLoopbackTlsOrOtherEnvs);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		// Made once for the suite (removed at exit): openssl takes a while.
		if (!_certificates)
			_certificates.reset(new TestCertificates);
	}

	const TestCertificates& certs() const
	{
		return *_certificates;
	}

	TlsServerOptions serverOptions(bool authClients = false) const
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
	std::map<std::string, std::string> tlsKeys(bool withClientCertificate = false) const
	{
		std::map<std::string, std::string> keys{{"eventbus.redis.tls.caFile", certs().caFile}};
		if (withClientCertificate)
		{
			keys["eventbus.redis.tls.certFile"] = certs().clientCert;
			keys["eventbus.redis.tls.keyFile"] = certs().clientKey;
		}
		return keys;
	}

	static std::map<std::string, std::string> with(std::map<std::string, std::string> keys,
		const std::map<std::string, std::string>& more)
	{
		for (const auto& kv : more)
			keys[kv.first] = kv.second;
		return keys;
	}

	static std::unique_ptr<EventBus> bus(const std::string& url, const std::map<std::string, std::string>& overrides)
	{
		return std::unique_ptr<EventBus>(new EventBus(*redisConfig(url, overrides)));
	}

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

	static std::string configError(const std::string& url, const std::map<std::string, std::string>& overrides)
	{
		return messageOf<ConfigException>([&]() { bus(url, overrides); });
	}

	void testPublishSubscribeRoundTripOverTls()
	{
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(), certs());
		LogCapture capture;
		auto subscriber = bus(server.url(), tlsKeys());
		auto publisher = bus(server.url(), tlsKeys());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		CPPUNIT_ASSERT_EQUAL(1LL, server.subscribers(AcmeChannel));
		Receipt receipt = publisher->publish(Topic, std::string(R"({"orderId":42,"note":"héllo"})"), "acme", "corr-1");

		CPPUNIT_ASSERT(log.waitFor(1));
		const Event event = log.events().at(0);
		CPPUNIT_ASSERT_EQUAL(receipt.messageId, event.id);
		CPPUNIT_ASSERT_EQUAL(42, event.data->getValue<int>("orderId"));
		CPPUNIT_ASSERT_EQUAL(std::string("héllo"), event.data->getValue<std::string>("note"));
		TransportHealth health = subscriber->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
		CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, server.endpoint()));
		CPPUNIT_ASSERT_MESSAGE("start-up line names TLS", capture.contains("TLS (server name 127.0.0.1, CA file " + certs().caFile));
	}

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

	void testLargeMessagesRoundTripOverTls()
	{
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(), certs());
		// Payloads close to eventbus.redis.maxMessageBytes (1 MiB + 16 KiB):
		// many TLS records per message, partial records on most reads.
		const std::map<std::string, std::string> keys = with(tlsKeys(), {{"eventbus.maxPayloadBytes", "1048576"}});
		auto subscriber = bus(server.url(), keys);
		auto publisher = bus(server.url(), keys);
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		std::vector<std::string> blobs;
		for (int i = 0; i < 4; ++i)
		{
			std::string blob(1040000, 'a');
			for (std::size_t j = 0; j < blob.size(); ++j)
				blob[j] = static_cast<char>('a' + (j * 7 + static_cast<std::size_t>(i)) % 26);
			blobs.push_back(blob);
			publisher->publish(Topic, R"({"n":)" + std::to_string(i) + R"(,"blob":")" + blob + R"("})", "acme");
		}
		CPPUNIT_ASSERT(log.waitFor(4, std::chrono::milliseconds(20000)));
		const std::vector<Event> events = log.events();
		for (int i = 0; i < 4; ++i)
		{
			CPPUNIT_ASSERT_EQUAL(i, events[static_cast<std::size_t>(i)].data->getValue<int>("n"));
			CPPUNIT_ASSERT(blobs[static_cast<std::size_t>(i)] == events[static_cast<std::size_t>(i)].data->getValue<std::string>("blob"));
		}
	}

	void testSubscribeWhileTheReaderWaitsOnTheSameSession()
	{
		// The subscriber's SUBSCRIBE / UNSUBSCRIBE go out from this thread while
		// its reader thread is inside the same TLS session; a publisher keeps
		// it busy meanwhile. Every event arrives, in order, and every
		// subscription is confirmed.
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(), certs());
		auto subscriber = bus(server.url(), with(tlsKeys(), {{"eventbus.redis.healthIntervalMs", "20"}}));
		auto publisher = bus(server.url(), tlsKeys());
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		const int count = 300;
		std::atomic<bool> failed{false};
		std::thread sender([&]() {
			try
			{
				for (int i = 0; i < count; ++i)
					publisher->publish(Topic, numbered(i), "acme");
			}
			catch (...)
			{
				failed = true;
			}
		});
		for (int i = 0; i < 40; ++i)
		{
			EventLog other;
			SubscriptionToken token = subscriber->subscribe("orders.t" + std::to_string(i), other.handler(),
				TenantScope::tenant("acme"));
			subscriber->unsubscribe(token);
		}
		sender.join();
		CPPUNIT_ASSERT(!failed);
		CPPUNIT_ASSERT(log.waitFor(count));
		const std::vector<int> seq = log.intField("n");
		for (int i = 0; i < count; ++i)
			CPPUNIT_ASSERT_EQUAL(i, seq[static_cast<std::size_t>(i)]);
		TransportHealth health = subscriber->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
	}

	void testSubscriberReconnectsOverTlsAfterServerRestart()
	{
		EventLog log; // first: outlives the buses that call it
		TlsRedisServer server(serverOptions(true), certs());
		auto subscriber = bus(server.url(), tlsKeys(true));
		auto publisher = bus(server.url(), tlsKeys(true));
		GapCounter gaps(*subscriber);
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		publisher->publish(Topic, numbered(0), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));

		server.restart();
		CPPUNIT_ASSERT(waitUntil([&]() { return gaps.count() >= 1; }, std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT_MESSAGE(gaps.lastReason(), contains(gaps.lastReason(), server.endpoint()));
		CPPUNIT_ASSERT_EQUAL(1LL, server.subscribers(AcmeChannel));
		CPPUNIT_ASSERT(waitUntil([&]() { return publisher->health().ready; }, std::chrono::milliseconds(10000)));
		publisher->publish(Topic, numbered(1), "acme");
		CPPUNIT_ASSERT(log.waitFor(2));
		CPPUNIT_ASSERT((std::vector<int>{0, 1}) == log.intField("n"));
	}

	void testProductionWarnsAboutPlainUrlToARemoteHost()
	{
		LogCapture capture;
		// 192.0.2.1 (TEST-NET-1) is not routed: the bus starts not ready.
		auto b = bus("redis://:" + Password + "@192.0.2.1:6379/0", {{"eventbus.redis.connectTimeoutMs", "100"}});
		CPPUNIT_ASSERT(capture.contains("eventbus.redis.url is redis:// to 192.0.2.1:6379 in env production: "
			"events and the AUTH password cross the network unencrypted; use rediss://"));
		for (const auto& line : capture.lines())
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
		auto staging = bus("redis://192.0.2.1:6379/0", {{"eventbus.env", "staging"}, {"eventbus.redis.connectTimeoutMs", "100"}});
		CPPUNIT_ASSERT(loopback->health().ready && localhost->health().ready && tls->health().ready);
		CPPUNIT_ASSERT(capture.contains("redis transport: " + plain.endpoint()));
		CPPUNIT_ASSERT(capture.contains("redis transport: 192.0.2.1:6379"));
		for (const auto& line : capture.lines())
			CPPUNIT_ASSERT_MESSAGE(line, !contains(line, "unencrypted"));
	}

private:
	static std::unique_ptr<TestCertificates> _certificates;
};

std::unique_ptr<TestCertificates> RedisTlsTest::_certificates;

CPPUNIT_TEST_SUITE_REGISTRATION(RedisTlsTest);
