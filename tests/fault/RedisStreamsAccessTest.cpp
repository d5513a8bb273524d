// Suite ID: fault.redis.streams-access
//
// RedisStreamsAccessTest.cpp
//
// Tenant isolation and dead letters of the redis-streams transport on a real
// redis-server with ACL users: a tenant's user (with the rules the plugin's
// redis-streams/tenant-access capability prints) cannot read, acknowledge or
// claim another tenant's stream (the server says NOPERM) but runs the
// transport and `eventbus dlq` on its own; `dlq replay` delivers a
// dead-lettered event exactly once, also when its envelope is replayed twice;
// `dlq` exits with the codes of the README's table.
//
#include "RedisStreamsSupport.h"
#include "eventbus/Exceptions.h"
#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <memory>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string AdminPassword = "admin-password-0123456789";
const std::string AcmePassword = "acme-streams-password-0123456789";
const std::string GlobexPassword = "globex-streams-password-0123456789";
const std::string Group = "billing";

constexpr int Usage = 64;
constexpr int DataError = 65;
constexpr int Unavailable = 69;
constexpr int NotPermitted = 77;
constexpr int ConfigError = 78;

std::string userOf(const std::string& tenant) { return "c2pro.production." + tenant; }
std::string streamOf(const std::string& tenant) { return "c2pro.production." + tenant + "." + StreamsTopic; }

/// The command rules of a tenant user of redis-streams (docs/security.md).
const std::vector<std::string> StreamCommands{"+xadd", "+xreadgroup", "+xack", "+xautoclaim", "+xclaim",
	"+xgroup|create", "+xpending", "+xrange", "+xrevrange", "+xdel", "+xinfo|groups", "+xinfo|stream", "+xtrim",
	"+wait", "+ping", "+client|id", "+client|unblock"};

std::vector<std::string> tenantRules(const std::string& tenant, const std::string& password)
{
	const std::string glob = "c2pro.production." + tenant + ".*";
	std::vector<std::string> rules{"reset", "on", ">" + password, "resetchannels", "&" + glob, "~" + glob, "-@all"};
	rules.insert(rules.end(), StreamCommands.begin(), StreamCommands.end());
	return rules;
}

std::string sha256Hex(const std::string& text)
{
	Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
	engine.update(text);
	return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string describe(const CommandResult& result)
{
	return "exit " + std::to_string(result.exitCode) + "\nstdout: " + result.out + "\nstderr: " + result.err;
}

std::vector<std::string> linesOf(const std::string& text)
{
	std::vector<std::string> lines;
	std::istringstream in(text);
	std::string line;
	while (std::getline(in, line))
	{
		if (!line.empty())
			lines.push_back(line);
	}
	return lines;
}

} // namespace

class RedisStreamsAccessTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisStreamsAccessTest);
	CPPUNIT_TEST(testTenantProvisionPrintsExactlyTheStreamRules);
	CPPUNIT_TEST(testTenantUserCannotReadAckOrClaimAnotherTenantsStream);
	CPPUNIT_TEST(testTenantUserRunsTheTransportOnItsOwnStream);
	CPPUNIT_TEST(testDlqReplayDeliversADeadLetteredEventOnce);
	CPPUNIT_TEST(testDlqExitCodes);
	CPPUNIT_TEST(testSubscribeRefusesABadGroupName);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		if (!streamsMissing().empty())
			return;
		_server.reset(new RedisServer({}, AdminPassword));
		aclSetUser(*_server, userOf("acme"), tenantRules("acme", AcmePassword));
		aclSetUser(*_server, userOf("globex"), tenantRules("globex", GlobexPassword));
	}

	void tearDown() override
	{
		_server.reset();
	}

	std::string acmeUrl() const { return aclUrl(*_server, userOf("acme"), AcmePassword); }

	CommandResult dlq(const std::string& url, const std::vector<std::string>& more,
		const std::map<std::string, std::string>& overrides = {})
	{
		std::vector<std::string> args = streamsArgs(url, overrides);
		args.push_back("dlq");
		args.insert(args.end(), more.begin(), more.end());
		return runCommand(eventbusExecutable(), args, "", std::chrono::milliseconds(20000));
	}

	/// A command as `user` on a connection of its own.
	RedisValue as(const std::string& user, const std::string& password, const std::vector<std::string>& argv)
	{
		RedisClient client(_server->host(), _server->port());
		RedisValue auth = client.command({"AUTH", user, password});
		CPPUNIT_ASSERT_MESSAGE(auth.str, !auth.isError());
		return client.command(argv);
	}

	void assertNoPerm(const RedisValue& reply, const std::string& what)
	{
		CPPUNIT_ASSERT_MESSAGE(what + ": " + reply.str, reply.isError() && reply.str.compare(0, 6, "NOPERM") == 0);
	}

	void testTenantProvisionPrintsExactlyTheStreamRules()
	{
		if (skipWithoutStreams(__func__)) return;
		const std::string hash = sha256Hex(AcmePassword);
		std::vector<std::string> args = streamsArgs(_server->url());
		args.insert(args.end(), {"tenant", "provision", "--tenant", "acme", "--password-hash", hash});
		const CommandResult result = runCommand(eventbusExecutable(), args, "", std::chrono::milliseconds(20000));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), 0, result.exitCode);
		std::string expected = "ACL SETUSER c2pro.production.acme reset on #" + hash
			+ " resetchannels &c2pro.production.acme.* ~c2pro.production.acme.* -@all";
		for (const auto& rule : StreamCommands)
			expected += " " + rule;
		const std::vector<std::string> lines = linesOf(result.out);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), std::size_t(2), lines.size());
		CPPUNIT_ASSERT_EQUAL(expected, lines[0]);
		CPPUNIT_ASSERT_EQUAL(std::string("CLIENT KILL USER c2pro.production.acme"), lines[1]);
	}

	void testTenantUserCannotReadAckOrClaimAnotherTenantsStream()
	{
		if (skipWithoutStreams(__func__)) return;
		// globex's stream, group and one pending entry, made by the admin.
		const std::string theirs = streamOf("globex");
		CPPUNIT_ASSERT(!_server->command({"XGROUP", "CREATE", theirs, Group, "0", "MKSTREAM"}).isError());
		const std::string id = _server->command({"XADD", theirs, "*", "e", "{}"}).str;
		CPPUNIT_ASSERT(!_server->command({"XREADGROUP", "GROUP", Group, "c1", "STREAMS", theirs, ">"}).isError());

		const std::string user = userOf("acme");
		assertNoPerm(as(user, AcmePassword, {"XREADGROUP", "GROUP", Group, "c2", "COUNT", "10", "STREAMS", theirs, "0"}),
			"XREADGROUP");
		assertNoPerm(as(user, AcmePassword, {"XACK", theirs, Group, id}), "XACK");
		assertNoPerm(as(user, AcmePassword, {"XAUTOCLAIM", theirs, Group, "c2", "0", "0"}), "XAUTOCLAIM");
		assertNoPerm(as(user, AcmePassword, {"XCLAIM", theirs, Group, "c2", "0", id}), "XCLAIM");
		assertNoPerm(as(user, AcmePassword, {"XRANGE", theirs, "-", "+"}), "XRANGE");
		assertNoPerm(as(user, AcmePassword, {"XADD", theirs, "*", "e", "{}"}), "XADD");
		assertNoPerm(as(user, AcmePassword, {"XDEL", theirs + ":dlq", id}), "XDEL of the dead letters");
		// Nothing changed there: still one entry, pending for c1 only.
		CPPUNIT_ASSERT_EQUAL(1LL, _server->command({"XLEN", theirs}).integer);
		const std::map<std::string, std::string> pending = pendingEntries(*_server, theirs, Group);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), pending.size());
		CPPUNIT_ASSERT_EQUAL(std::string("c1"), pending.at(id));
		// The same commands on its own stream are allowed.
		const std::string mine = streamOf("acme");
		CPPUNIT_ASSERT(!as(user, AcmePassword, {"XGROUP", "CREATE", mine, Group, "0", "MKSTREAM"}).isError());
		CPPUNIT_ASSERT(!as(user, AcmePassword, {"XADD", mine, "*", "e", "{}"}).isError());
		CPPUNIT_ASSERT(!as(user, AcmePassword, {"XAUTOCLAIM", mine, Group, "c2", "0", "0"}).isError());
	}

	void testTenantUserRunsTheTransportOnItsOwnStream()
	{
		if (skipWithoutStreams(__func__)) return;
		NumberLog log;
		EventBus consumer(*streamsConfig(acmeUrl()));
		consumer.subscribe(StreamsTopic, log.handler(), TenantScope::tenant("acme"), SubscribeOptions{Group});
		CPPUNIT_ASSERT_MESSAGE(consumer.health().reason, waitUntil([&]() { return consumer.health().ready; },
			std::chrono::milliseconds(10000)));
		EventBus publisher(*streamsConfig(acmeUrl()));
		for (int n = 0; n < 10; ++n)
			publisher.publish(StreamsTopic, numbered(n), "acme");
		CPPUNIT_ASSERT(waitUntil([&]() { return Tally::of(range(10), log.numbers()).missing == 0; },
			std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingEntries(*_server, streamOf("acme"), Group).empty(); },
			std::chrono::milliseconds(10000)));
		// Nothing the transport sent was refused.
		CPPUNIT_ASSERT_EQUAL(0LL, aclLogCount(*_server, userOf("acme"), "command"));
		CPPUNIT_ASSERT_EQUAL(0LL, aclLogCount(*_server, userOf("acme"), "key"));
		// And globex's publisher cannot write into acme's stream.
		EventBus intruder(*streamsConfig(aclUrl(*_server, userOf("globex"), GlobexPassword)));
		CPPUNIT_ASSERT_THROW(intruder.publish(StreamsTopic, numbered(99), "acme"), TransportException);
		CPPUNIT_ASSERT_EQUAL(10LL, _server->command({"XLEN", streamOf("acme")}).integer);
		consumer.close();
		publisher.close();
		intruder.close();
	}

	void testDlqReplayDeliversADeadLetteredEventOnce()
	{
		if (skipWithoutStreams(__func__)) return;
		NumberLog log;
		std::atomic<bool> failing{true};
		EventBus consumer(*streamsConfig(acmeUrl(), {{"eventbus.redis.streams.maxDeliveries", "2"}}));
		consumer.subscribe(StreamsTopic, log.handler([&](int n) { return n == 7 && failing.load(); }),
			TenantScope::tenant("acme"), SubscribeOptions{Group});
		EventBus publisher(*streamsConfig(acmeUrl()));
		const Receipt receipt = publisher.publish(StreamsTopic, numbered(7), "acme");
		for (int n = 0; n < 3; ++n)
			publisher.publish(StreamsTopic, numbered(n), "acme");
		const std::string dlqKey = streamOf("acme") + ":dlq";
		const bool deadLettered = waitUntil([&]() { return _server->command({"XLEN", dlqKey}).integer == 1; },
			std::chrono::milliseconds(15000));
		CPPUNIT_ASSERT_MESSAGE("attempts " + std::to_string(log.attempts(7)) + ", refused commands "
			+ std::to_string(aclLogCount(*_server, userOf("acme"), "command")) + ", keys "
			+ std::to_string(aclLogCount(*_server, userOf("acme"), "key")), deadLettered);
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingEntries(*_server, streamOf("acme"), Group).empty(); },
			std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT_EQUAL(2, log.attempts(7));
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), log.numbers().size());

		// list, as the tenant's own user.
		const CommandResult listed = dlq(acmeUrl(), {"list", "--tenant", "acme", "--topic", StreamsTopic});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(listed), 0, listed.exitCode);
		const std::vector<std::string> lines = linesOf(listed.out);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(listed), std::size_t(1), lines.size());
		Poco::JSON::Parser parser;
		Poco::JSON::Object::Ptr entry = parser.parse(lines[0]).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT_EQUAL(receipt.messageId, entry->getValue<std::string>("eventId"));
		CPPUNIT_ASSERT_EQUAL(Group, entry->getValue<std::string>("group"));
		CPPUNIT_ASSERT_EQUAL(streamOf("acme"), entry->getValue<std::string>("channel"));
		CPPUNIT_ASSERT_EQUAL(2, entry->getValue<int>("deliveries"));
		CPPUNIT_ASSERT_MESSAGE(lines[0], contains(entry->getValue<std::string>("error"), "handler refused event 7"));
		const std::string deadLetterId = entry->getValue<std::string>("deadLetterId");
		const RedisValue dead = _server->command({"XRANGE", dlqKey, "-", "+"});
		const std::string envelope = dead.elements.at(0).elements.at(1).elements.back().str;

		// replay: handled once, acknowledged, the dead letter gone.
		failing = false;
		const CommandResult replayed = dlq(acmeUrl(), {"replay", "--tenant", "acme", "--topic", StreamsTopic,
			"--id", deadLetterId});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(replayed), 0, replayed.exitCode);
		CPPUNIT_ASSERT_MESSAGE(replayed.out, contains(replayed.out, "\"replayed\":1"));
		CPPUNIT_ASSERT(waitUntil([&]() {
			const std::vector<int> handled = log.numbers();
			return std::count(handled.begin(), handled.end(), 7) == 1;
		}, std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT_EQUAL(0LL, _server->command({"XLEN", dlqKey}).integer);
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingEntries(*_server, streamOf("acme"), Group).empty(); },
			std::chrono::milliseconds(10000)));
		// A replay interrupted between XADD and XDEL leaves the dead letter:
		// replayed again, the same CloudEvents id is absorbed by idempotency.
		CPPUNIT_ASSERT(!_server->command({"XADD", dlqKey, "*", "channel", streamOf("acme"), "id", "1-1", "group",
			Group, "deliveries", "2", "error", "x", "e", envelope}).isError());
		const CommandResult again = dlq(acmeUrl(), {"replay", "--tenant", "acme", "--topic", StreamsTopic, "--all"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(again), 0, again.exitCode);
		CPPUNIT_ASSERT_MESSAGE(again.out, contains(again.out, "\"replayed\":1"));
		CPPUNIT_ASSERT_EQUAL(6LL, _server->command({"XLEN", streamOf("acme")}).integer);
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingEntries(*_server, streamOf("acme"), Group).empty(); },
			std::chrono::milliseconds(10000)));
		const std::vector<int> handled = log.numbers();
		const Tally tally = Tally::of({0, 1, 2, 7}, handled);
		std::cout << "\n  [dlq replay] " << tally.describe() << ", attempts of the dead letter " << log.attempts(7)
		          << std::endl;
		CPPUNIT_ASSERT_EQUAL(1L, static_cast<long>(std::count(handled.begin(), handled.end(), 7)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.missing);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.duplicates);
		// Nothing left to replay.
		const CommandResult empty = dlq(acmeUrl(), {"replay", "--tenant", "acme", "--topic", StreamsTopic, "--all"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(empty), 0, empty.exitCode);
		CPPUNIT_ASSERT_MESSAGE(empty.out, contains(empty.out, "\"replayed\":0"));
		consumer.close();
		publisher.close();
	}

	void testDlqExitCodes()
	{
		if (skipWithoutStreams(__func__)) return;
		const std::string dlqKey = streamOf("acme") + ":dlq";
		const std::string id = _server->command({"XADD", dlqKey, "*", "channel", streamOf("acme"), "id", "1-1",
			"group", Group, "deliveries", "5", "error", "boom", "e", "{}"}).str;
		const std::vector<std::string> acme{"--tenant", "acme", "--topic", StreamsTopic};
		auto run = [&](const std::string& url, std::vector<std::string> args, const std::map<std::string, std::string>& o) {
			args.insert(args.end(), acme.begin(), acme.end());
			return dlq(url, args, o);
		};
		CommandResult r = dlq(acmeUrl(), {"list", "--topic", StreamsTopic});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(r), Usage, r.exitCode);
		r = run(acmeUrl(), {"purge"}, {});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(r), Usage, r.exitCode);
		r = dlq(acmeUrl(), {"list", "--tenant", "ac*", "--topic", StreamsTopic});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(r), DataError, r.exitCode);
		r = run(acmeUrl(), {"purge", "--id", "not-an-id"}, {});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(r), DataError, r.exitCode);
		r = run(acmeUrl(), {"purge", "--id", "1-1"}, {});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(r), DataError, r.exitCode);
		CPPUNIT_ASSERT_MESSAGE(r.out, contains(r.out, "\"purged\":0") && contains(r.out, "\"1-1\""));
		r = dlq(acmeUrl(), {"list", "--tenant", "globex", "--topic", StreamsTopic});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(r), NotPermitted, r.exitCode);
		CPPUNIT_ASSERT_MESSAGE(r.err, contains(r.err, "NOPERM") && !contains(r.err, AcmePassword));
		r = run(acmeUrl(), {"list"}, {{"eventbus.transport", "redis"}});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(r), ConfigError, r.exitCode);
		r = run("redis://127.0.0.1:" + std::to_string(freeLoopbackPort()) + "/0", {"list"}, {});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(r), Unavailable, r.exitCode);
		// Still there after all the refusals; purged by id, then gone.
		CPPUNIT_ASSERT_EQUAL(1LL, _server->command({"XLEN", dlqKey}).integer);
		r = run(acmeUrl(), {"purge", "--id", id}, {});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(r), 0, r.exitCode);
		CPPUNIT_ASSERT_MESSAGE(r.out, contains(r.out, "\"purged\":1"));
		CPPUNIT_ASSERT_EQUAL(0LL, _server->command({"XLEN", dlqKey}).integer);
	}

	void testSubscribeRefusesABadGroupName()
	{
		if (skipWithoutStreams(__func__)) return;
		for (const std::string& group : std::vector<std::string>{"a b", "g*", std::string(65, 'g')})
		{
			std::vector<std::string> args = streamsArgs(acmeUrl());
			args.insert(args.end(), {"subscribe", "--tenant", "acme", "--topic", StreamsTopic, "--group", group,
				"--count", "1", "--timeout", "5"});
			const CommandResult result = runCommand(eventbusExecutable(), args, "", std::chrono::milliseconds(20000));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), DataError, result.exitCode);
			CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "group:"));
		}
		// Nothing was created on the server for them.
		CPPUNIT_ASSERT_EQUAL(0LL, _server->command({"EXISTS", streamOf("acme")}).integer);
	}

private:
	std::unique_ptr<RedisServer> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisStreamsAccessTest);
