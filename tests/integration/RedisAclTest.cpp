// Suite ID: integration.redis.acl
//
// RedisAclTest.cpp
//
// The tenant boundary enforced by Redis itself: every tenant has an ACL user
// made by `eventbus tenant provision --apply`, allowed its own channels only.
// Tenant acme's credentials cannot publish to or subscribe on globex's
// channels (AccessDeniedException, counted, never retried); acme can use its
// own; an envelope forged on acme's channel by someone who can publish there
// never reaches acme's handler; an ACL change closes acme's connections and
// its subscriber comes back.
//
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <Poco/Environment.h>
#include <Poco/JSON/Parser.h>
#include <Poco/UUIDGenerator.h>
#include <cppunit/extensions/HelperMacros.h>
#include <future>
#include <memory>
#include <thread>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Topic = "orders.created";
const std::string OtherTopic = "billing.paid";
const std::string AcmeUser = "c2pro.production.acme";
const std::string GlobexUser = "c2pro.production.globex";
const std::string AcmePassword = "acme-password-0123456789abcdef";
const std::string GlobexPassword = "globex-password-0123456789abcdef";
const std::string AdminPassword = "admin-password-0123456789";
const std::string AcmeChannel = "c2pro.production.acme.orders.created";
const std::string AcmeBillingChannel = "c2pro.production.acme.billing.paid";
const std::string GlobexChannel = "c2pro.production.globex.orders.created";
const char* const AclDenied = "eventbus_acl_denied_total";

// How long the suites watch for a retry storm: with reconnect.maxMs=50 a
// subscriber that retried a refused SUBSCRIBE would connect 20 times in it.
const std::chrono::milliseconds StormWindow(1000);

std::uint64_t dropped(EventBus& bus, const std::string& reason)
{
	return bus.metrics().counterValue(Metrics::Dropped, {{"transport", "redis"}, {"reason", reason}});
}

std::uint64_t denied(EventBus& bus, const std::string& operation)
{
	return bus.metrics().counterValue(AclDenied, {{"transport", "redis"}, {"operation", operation}});
}

/// An envelope for `tenantId` signed with another key than the suites'.
std::string signedWithOtherKey(const std::string& tenantId, const std::string& dataJson)
{
	Event event;
	event.id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	event.source = "/forger";
	event.type = Topic;
	event.tenantId = tenantId;
	event.correlationId = event.id;
	Poco::JSON::Parser parser;
	event.data = parser.parse(dataJson).extract<Poco::JSON::Object::Ptr>();
	EnvelopeSigner("k1", "not-the-suites-key-0123456789abcdef-xyz", {}).sign(event, dataJson);
	return CloudEventCodec::encode(event, dataJson);
}

} // namespace

class RedisAclTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisAclTest);
	CPPUNIT_TEST(testProvisionedTenantPublishesAndSubscribesOnItsOwnChannels);
	CPPUNIT_TEST(testPublishOnAnotherTenantsChannelIsDeniedClearlyAndNotRetried);
	CPPUNIT_TEST(testAsyncPublishOnAnotherTenantsChannelIsDenied);
	CPPUNIT_TEST(testDeniedPublishIsNotBufferedWithTheBufferPolicy);
	CPPUNIT_TEST(testSubscribeOnAnotherTenantsChannelFailsWithoutRetryStorm);
	CPPUNIT_TEST(testSubscriptionRefusedAfterReconnectIsDroppedOthersSurvive);
	CPPUNIT_TEST(testForgedEnvelopesOnTheTenantsChannelNeverReachItsHandler);
	CPPUNIT_TEST(testReprovisionClosesConnectionsAndSubscriberReconnects);
	CPPUNIT_TEST(testRotatedPasswordShutsOutTheOldOne);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_server.reset(new RedisServer({}, AdminPassword));
		Poco::Environment::set("ACL_TEST_ACME_PASSWORD", AcmePassword);
		Poco::Environment::set("ACL_TEST_GLOBEX_PASSWORD", GlobexPassword);
		provision("acme", "ACL_TEST_ACME_PASSWORD");
		provision("globex", "ACL_TEST_GLOBEX_PASSWORD");
	}

	void tearDown() override
	{
		_server.reset();
	}

	/// `eventbus tenant provision --apply` as the admin.
	CommandResult provision(const std::string& tenant, const std::string& passwordVar)
	{
		CommandResult result = runCommand(eventbusExecutable(), {"--env", "production",
			"--define", "eventbus.redis.url=" + _server->url(), "tenant", "provision", "--tenant", tenant,
			"--password-env", passwordVar, "--apply"});
		if (result.exitCode != 0)
			throw std::runtime_error("tenant provision " + tenant + " failed: " + result.err);
		return result;
	}

	std::unique_ptr<EventBus> busAs(const std::string& user, const std::string& password,
		std::map<std::string, std::string> overrides = {})
	{
		// Short backoffs: a retry storm would show within StormWindow.
		overrides.emplace("eventbus.redis.reconnect.initialMs", "10");
		overrides.emplace("eventbus.redis.reconnect.maxMs", "50");
		return std::unique_ptr<EventBus>(new EventBus(*redisConfig(aclUrl(*_server, user, password), overrides)));
	}

	std::unique_ptr<EventBus> acmeBus(const std::map<std::string, std::string>& overrides = {})
	{
		return busAs(AcmeUser, AcmePassword, overrides);
	}

	void testProvisionedTenantPublishesAndSubscribesOnItsOwnChannels()
	{
		EventLog log;
		auto subscriber = acmeBus();
		auto publisher = acmeBus();
		SubscriptionToken token = subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		Receipt receipt = publisher->publish(Topic, std::string(R"({"orderId":1})"), "acme");
		CPPUNIT_ASSERT_EQUAL(AcmeChannel, receipt.channel);
		CPPUNIT_ASSERT(log.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(receipt.messageId, log.events().at(0).id);

		// PING (health and heartbeat) and UNSUBSCRIBE are granted too: a few
		// heartbeats pass without a reconnect, and unsubscribing keeps the
		// connection.
		TransportHealth health = subscriber->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
		const std::vector<long long> connections = clientIdsOf(*_server, AcmeUser);
		CPPUNIT_ASSERT(!connections.empty());
		CPPUNIT_ASSERT(waitUntil([&]() { return subscriber->metrics().counterValue(Metrics::Reconnects) > 0; },
			std::chrono::milliseconds(700)) == false);
		subscriber->unsubscribe(token);
		CPPUNIT_ASSERT(waitUntil([&]() { return _server->subscribers(AcmeChannel) == 0; }));
		publisher->publish(Topic, std::string(R"({"orderId":2})"), "acme");
		CPPUNIT_ASSERT(connections == clientIdsOf(*_server, AcmeUser));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), denied(*subscriber, "subscribe") + denied(*publisher, "publish"));
		CPPUNIT_ASSERT_EQUAL(0LL, aclLogCount(*_server, AcmeUser, "channel") + aclLogCount(*_server, AcmeUser, "command"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.size());
	}

	void testPublishOnAnotherTenantsChannelIsDeniedClearlyAndNotRetried()
	{
		EventLog globexLog;
		auto globex = busAs(GlobexUser, GlobexPassword);
		globex->subscribe(Topic, globexLog.handler(), TenantScope::tenant("globex"));
		auto publisher = acmeBus();
		publisher->publish(Topic, std::string(R"({"n":0})"), "acme"); // connected and proven
		const std::vector<long long> connections = clientIdsOf(*_server, AcmeUser);
		CPPUNIT_ASSERT(!connections.empty());

		const std::string message = messageOf<AccessDeniedException>(
			[&]() { publisher->publish(Topic, std::string(R"({"n":1})"), "globex"); });
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "ACL user '" + AcmeUser + "'"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "PUBLISH to " + GlobexChannel));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "(tenant globex)"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, _server->endpoint()));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "NOPERM"));
		CPPUNIT_ASSERT_MESSAGE(message, !contains(message, AcmePassword));

		// Counted once by the transport and once as a failed publish; sent once.
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), denied(*publisher, "publish"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), publisher->metrics().counterValue(Metrics::PublishFailed,
			{{"transport", "redis"}, {"reason", "transport"}}));
		CPPUNIT_ASSERT_EQUAL(1LL, aclLogCount(*_server, AcmeUser, "channel", GlobexChannel));
		CPPUNIT_ASSERT(connections == clientIdsOf(*_server, AcmeUser));
		// The connection stays usable; nothing reached globex's channel before
		// globex's own last event.
		publisher->publish(Topic, std::string(R"({"n":2})"), "acme");
		CPPUNIT_ASSERT(publisher->health().ready);
		globex->publish(Topic, std::string(R"({"n":3})"), "globex");
		CPPUNIT_ASSERT(globexLog.waitFor(1));
		CPPUNIT_ASSERT(globexLog.intField("n") == std::vector<int>{3});
	}

	void testAsyncPublishOnAnotherTenantsChannelIsDenied()
	{
		auto publisher = acmeBus();
		std::future<Receipt> refused = publisher->publishAsync(Topic, std::string(R"({"n":1})"), "globex");
		std::future<Receipt> accepted = publisher->publishAsync(Topic, std::string(R"({"n":2})"), "acme");
		const std::string message = messageOf<AccessDeniedException>([&]() { refused.get(); });
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "PUBLISH to " + GlobexChannel));
		CPPUNIT_ASSERT_EQUAL(AcmeChannel, accepted.get().channel);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), denied(*publisher, "publish"));
		CPPUNIT_ASSERT_EQUAL(1LL, aclLogCount(*_server, AcmeUser, "channel", GlobexChannel));

		// A publish() queued behind asynchronous ones is refused the same way.
		std::vector<std::future<Receipt>> queued;
		for (int i = 0; i < 50; ++i)
			queued.push_back(publisher->publishAsync(Topic, std::string(R"({"n":3})"), "acme"));
		messageOf<AccessDeniedException>([&]() { publisher->publish(Topic, std::string(R"({"n":4})"), "globex"); });
		for (auto& receipt : queued)
			receipt.get();
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), denied(*publisher, "publish"));
	}

	void testDeniedPublishIsNotBufferedWithTheBufferPolicy()
	{
		EventLog acmeLog, globexLog;
		auto globex = busAs(GlobexUser, GlobexPassword);
		globex->subscribe(Topic, globexLog.handler(), TenantScope::tenant("globex"));
		auto acme = acmeBus({{"eventbus.redis.onOutage", "buffer"}});
		acme->subscribe(Topic, acmeLog.handler(), TenantScope::tenant("acme"));
		for (int i = 0; i < 3; ++i)
		{
			messageOf<AccessDeniedException>([&]() { acme->publish(Topic, std::string(R"({"n":1})"), "globex"); });
			acme->publish(Topic, std::string(R"({"n":2})"), "acme"); // not queued behind a refused one
		}
		CPPUNIT_ASSERT(acmeLog.waitFor(3));
		// Nothing waits to be re-sent: over a while the server sees each refused
		// event once, and globex gets only its own.
		std::this_thread::sleep_for(std::chrono::milliseconds(300));
		CPPUNIT_ASSERT_EQUAL(3LL, aclLogCount(*_server, AcmeUser, "channel", GlobexChannel));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(3), denied(*acme, "publish"));
		globex->publish(Topic, std::string(R"({"n":3})"), "globex");
		CPPUNIT_ASSERT(globexLog.waitFor(1));
		CPPUNIT_ASSERT(globexLog.intField("n") == std::vector<int>{3});
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), acmeLog.size());
	}

	void testSubscribeOnAnotherTenantsChannelFailsWithoutRetryStorm()
	{
		EventLog own, stolen;
		auto subscriber = acmeBus();
		auto gaps = std::make_shared<GapCounter>(*subscriber);
		subscriber->subscribe(Topic, own.handler(), TenantScope::tenant("acme"));

		const std::string message = messageOf<AccessDeniedException>(
			[&]() { subscriber->subscribe(Topic, stolen.handler(), TenantScope::tenant("globex")); });
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "ACL user '" + AcmeUser + "'"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "SUBSCRIBE on " + GlobexChannel));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "(tenant globex)"));
		CPPUNIT_ASSERT_MESSAGE(message, contains(message, "NOPERM"));
		CPPUNIT_ASSERT_MESSAGE(message, !contains(message, AcmePassword));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), denied(*subscriber, "subscribe"));

		// No retry storm: no new connection, no second SUBSCRIBE, no reconnect.
		const std::vector<long long> connections = clientIdsOf(*_server, AcmeUser);
		CPPUNIT_ASSERT(!connections.empty());
		std::this_thread::sleep_for(StormWindow);
		CPPUNIT_ASSERT(connections == clientIdsOf(*_server, AcmeUser));
		CPPUNIT_ASSERT_EQUAL(1LL, aclLogCount(*_server, AcmeUser, "channel", GlobexChannel));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), denied(*subscriber, "subscribe"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), subscriber->metrics().counterValue(Metrics::Reconnects));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), gaps->count());
		CPPUNIT_ASSERT_EQUAL(0LL, _server->subscribers(GlobexChannel));

		// The tenant's own subscription is untouched; the bus is ready.
		TransportHealth health = subscriber->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
		auto globex = busAs(GlobexUser, GlobexPassword);
		globex->publish(Topic, std::string(R"({"n":1})"), "globex");
		acmeBus()->publish(Topic, std::string(R"({"n":2})"), "acme");
		CPPUNIT_ASSERT(own.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(2, own.intField("n").at(0));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), stolen.size());

		// Refused again, the same way: the refusal left nothing behind.
		messageOf<AccessDeniedException>(
			[&]() { subscriber->subscribe(Topic, stolen.handler(), TenantScope::tenant("globex")); });
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), denied(*subscriber, "subscribe"));
	}

	void testSubscriptionRefusedAfterReconnectIsDroppedOthersSurvive()
	{
		EventLog orders, billing;
		auto subscriber = acmeBus();
		auto gapState = std::make_shared<std::pair<std::mutex, std::vector<std::string>>>();
		subscriber->setGapListener([gapState](const std::string&, const std::string& reason) {
			std::lock_guard<std::mutex> lock(gapState->first);
			gapState->second.push_back(reason);
		});
		auto droppedGap = [gapState]() {
			std::lock_guard<std::mutex> lock(gapState->first);
			for (const auto& reason : gapState->second)
			{
				if (contains(reason, "subscription dropped"))
					return reason;
			}
			return std::string();
		};
		subscriber->subscribe(Topic, orders.handler(), TenantScope::tenant("acme"));
		SubscriptionToken billingToken = subscriber->subscribe(OtherTopic, billing.handler(), TenantScope::tenant("acme"));

		// The admin narrows acme to its orders.* channels: Redis closes the
		// subscriber's connection (it holds a channel no longer allowed).
		aclSetUser(*_server, AcmeUser, {"resetchannels", "&c2pro.production.acme.orders.*"});
		CPPUNIT_ASSERT(waitUntil([&]() { return denied(*subscriber, "subscribe") == 1; }, std::chrono::seconds(10)));
		CPPUNIT_ASSERT(waitUntil([&]() { return _server->subscribers(AcmeChannel) == 1; }));
		CPPUNIT_ASSERT_EQUAL(0LL, _server->subscribers(AcmeBillingChannel));
		CPPUNIT_ASSERT(waitUntil([&]() { return !droppedGap().empty(); }));
		CPPUNIT_ASSERT_MESSAGE(droppedGap(), contains(droppedGap(), AcmeBillingChannel));
		CPPUNIT_ASSERT_MESSAGE(droppedGap(), contains(droppedGap(), "NOPERM"));

		// Dropped, not retried.
		const std::vector<long long> connections = clientIdsOf(*_server, AcmeUser);
		CPPUNIT_ASSERT(!connections.empty());
		std::this_thread::sleep_for(StormWindow);
		CPPUNIT_ASSERT(connections == clientIdsOf(*_server, AcmeUser));
		CPPUNIT_ASSERT_EQUAL(1LL, aclLogCount(*_server, AcmeUser, "channel", AcmeBillingChannel));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), denied(*subscriber, "subscribe"));

		// The other subscription survived and still delivers.
		auto publisher = acmeBus();
		publisher->publish(Topic, std::string(R"({"n":1})"), "acme");
		CPPUNIT_ASSERT(orders.waitFor(1));
		TransportHealth health = subscriber->health();
		CPPUNIT_ASSERT_MESSAGE(health.reason, health.ready);
		publishRaw(*_server, AcmeBillingChannel, cloudEventJson("acme", OtherTopic, R"({"n":2})"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), billing.size());
		subscriber->unsubscribe(billingToken); // idempotent on a dropped subscription
		CPPUNIT_ASSERT_EQUAL(1LL, _server->subscribers(AcmeChannel));
	}

	void testForgedEnvelopesOnTheTenantsChannelNeverReachItsHandler()
	{
		// Whoever may publish on acme's channel (here the admin) still cannot
		// make acme's handler accept an event the bus did not sign for acme.
		EventLog log;
		auto subscriber = acmeBus();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));

		std::string tampered = cloudEventJson("acme", Topic, R"({"amount":10})");
		const std::size_t at = tampered.find("\"amount\":10");
		CPPUNIT_ASSERT(at != std::string::npos);
		tampered.replace(at, 11, "\"amount\":99");

		CPPUNIT_ASSERT_EQUAL(1LL, publishRaw(*_server, AcmeChannel, cloudEventJson("acme", Topic, R"({"n":1})", false)));
		publishRaw(*_server, AcmeChannel, signedWithOtherKey("acme", R"({"n":2})"));
		publishRaw(*_server, AcmeChannel, tampered);
		publishRaw(*_server, AcmeChannel, cloudEventJson("globex", Topic, R"({"n":4})"));
		// A genuine event last: once it arrived, every forged one was handled.
		publishRaw(*_server, AcmeChannel, cloudEventJson("acme", Topic, R"({"n":5})"));

		CPPUNIT_ASSERT(log.waitFor(1));
		CPPUNIT_ASSERT(waitUntil([&]() {
			return dropped(*subscriber, "unsigned") + dropped(*subscriber, "bad-signature")
				+ dropped(*subscriber, "tenant-mismatch") == 4;
		}));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), log.size());
		CPPUNIT_ASSERT_EQUAL(5, log.intField("n").at(0));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), dropped(*subscriber, "unsigned"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), dropped(*subscriber, "bad-signature"));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(1), dropped(*subscriber, "tenant-mismatch"));
	}

	void testReprovisionClosesConnectionsAndSubscriberReconnects()
	{
		EventLog log;
		auto subscriber = acmeBus();
		GapCounter gaps(*subscriber);
		auto publisher = acmeBus();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));
		publisher->publish(Topic, std::string(R"({"n":1})"), "acme");
		CPPUNIT_ASSERT(log.waitFor(1));
		const long long connected = clientsOf(*_server, AcmeUser);
		CPPUNIT_ASSERT(connected >= 2); // each bus: a publisher and a subscriber connection

		// Re-provisioning (same password) closes every connection of the user.
		CommandResult result = provision("acme", "ACL_TEST_ACME_PASSWORD");
		CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, std::to_string(connected) + " connection(s) of it closed"));
		CPPUNIT_ASSERT(waitUntil([&]() { return gaps.count() == 1; }, std::chrono::seconds(10)));
		CPPUNIT_ASSERT(waitUntil([&]() { return _server->subscribers(AcmeChannel) == 1; }));
		CPPUNIT_ASSERT(subscriber->metrics().counterValue(Metrics::Reconnects) >= 1);

		// The publisher reconnects on its next publish; the subscriber keeps receiving.
		publisher->publish(Topic, std::string(R"({"n":2})"), "acme");
		CPPUNIT_ASSERT(log.waitFor(2));
		CPPUNIT_ASSERT_EQUAL(2, log.intField("n").at(1));
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), denied(*subscriber, "subscribe"));
	}

	void testRotatedPasswordShutsOutTheOldOne()
	{
		LogCapture capture; // before the bus, whose logger it captures
		EventLog log;
		auto subscriber = acmeBus();
		subscriber->subscribe(Topic, log.handler(), TenantScope::tenant("acme"));

		// A new password: the old sessions are closed, and cannot log in again.
		const std::string rotated = "acme-rotated-password-0123456789";
		Poco::Environment::set("ACL_TEST_ACME_PASSWORD", rotated);
		provision("acme", "ACL_TEST_ACME_PASSWORD");
		CPPUNIT_ASSERT(waitUntil([&]() { return _server->subscribers(AcmeChannel) == 0; }));
		CPPUNIT_ASSERT(capture.waitFor("WRONGPASS"));
		TransportHealth health;
		CPPUNIT_ASSERT(waitUntil([&]() {
			health = subscriber->health();
			return contains(health.reason, "refused authentication");
		}));
		CPPUNIT_ASSERT(!health.ready);
		CPPUNIT_ASSERT_MESSAGE(health.reason, contains(health.reason, "refused authentication"));
		CPPUNIT_ASSERT_MESSAGE(health.reason, !contains(health.reason, AcmePassword));
		for (const auto& line : capture.lines())
			CPPUNIT_ASSERT_MESSAGE(line, !contains(line, AcmePassword) && !contains(line, rotated));

		// A service with the new password is in.
		EventLog fresh;
		auto renewed = busAs(AcmeUser, rotated);
		renewed->subscribe(Topic, fresh.handler(), TenantScope::tenant("acme"));
		renewed->publish(Topic, std::string(R"({"n":1})"), "acme");
		CPPUNIT_ASSERT(fresh.waitFor(1));
	}

private:
	std::unique_ptr<RedisServer> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisAclTest);
