// Suite ID: integration.redis.tenant-cli
//
// RedisTenantCliTest.cpp
//
// `eventbus tenant provision|revoke` as an operator runs it: the printed
// commands are exactly those of docs/security.md, the password is never
// printed unless generated on request, tenant ids that could widen the
// channel glob are refused, --apply makes a user that can do what the bus
// needs on its own channels and nothing else, and every bad option or bad
// credential fails with one clear line and its exit code. The commands come
// from the tenant-access capability of the selected transport's plugin: a
// transport without one is a configuration error, another plugin's
// capability is used as it is.
//
#include "RedisServer.h"
#include "TestSupport.h"
#include <Poco/DigestEngine.h>
#include <Poco/Environment.h>
#include <Poco/FileStream.h>
#include <Poco/SHA2Engine.h>
#include <cppunit/extensions/HelperMacros.h>
#include <algorithm>
#include <memory>
#include <sstream>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string AdminPassword = "admin-password-0123456789";
const std::string AcmePassword = "acme-password-0123456789abcdef";
const std::string AcmeUser = "c2pro.production.acme";
const std::string AcmeChannel = "c2pro.production.acme.orders.created";
const std::string GlobexChannel = "c2pro.production.globex.orders.created";

// Exit codes of the executable (Poco::Util::Application).
constexpr int Usage = 64;
constexpr int DataError = 65;
constexpr int Unavailable = 69;
constexpr int NotPermitted = 77;
constexpr int ConfigError = 78;

std::string sha256Hex(const std::string& text)
{
	Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
	engine.update(text);
	return Poco::DigestEngine::digestToHex(engine.digest());
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more)
{
	args.insert(args.end(), more.begin(), more.end());
	return args;
}

std::string describe(const CommandResult& result)
{
	return "exit " + std::to_string(result.exitCode) + "\nstdout: " + result.out + "\nstderr: " + result.err;
}

/// The fields of an ACL GETUSER reply.
std::map<std::string, RedisValue> aclUser(const RedisServer& server, const std::string& user)
{
	RedisValue reply = server.command({"ACL", "GETUSER", user});
	std::map<std::string, RedisValue> fields;
	for (std::size_t i = 0; i + 1 < reply.elements.size(); i += 2)
		fields[reply.elements[i].str] = reply.elements[i + 1];
	return fields;
}

/// A connection logged in as `user`; throws when AUTH is refused.
std::unique_ptr<RedisClient> loginAs(const RedisServer& server, const std::string& user, const std::string& password)
{
	std::unique_ptr<RedisClient> client(new RedisClient(server.host(), server.port()));
	RedisValue auth = client->command({"AUTH", user, password});
	if (auth.isError())
		throw std::runtime_error("AUTH " + user + ": " + auth.str);
	return client;
}

} // namespace

class RedisTenantCliTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisTenantCliTest);
	CPPUNIT_TEST(testProvisionPrintsExactlyTheDocumentedCommands);
	CPPUNIT_TEST(testApplyCreatesAUserLimitedToItsChannelsAndTheBusCommands);
	CPPUNIT_TEST(testGeneratedPasswordIsShownOnceOnStderrOnly);
	CPPUNIT_TEST(testPasswordHashUserAndDbOptions);
	CPPUNIT_TEST(testTenantIdsThatCouldWidenTheGlobAreRefused);
	CPPUNIT_TEST(testBadOptionsAreRefusedWithUsage);
	CPPUNIT_TEST(testWrongAdminPasswordIsNotPermitted);
	CPPUNIT_TEST(testTenantCredentialsCannotProvision);
	CPPUNIT_TEST(testUnreachableServerIsUnavailable);
	CPPUNIT_TEST(testAdminUrlMayComeFromTheEnvironment);
	CPPUNIT_TEST(testRevokeDeletesTheUserAndClosesItsConnections);
	CPPUNIT_TEST(testPublishAndSubscribeOnAnotherTenantExitNotPermitted);
	CPPUNIT_TEST(testTransportWithoutTenantAccessIsAConfigurationError);
	CPPUNIT_TEST(testCommandsComeFromTheSelectedTransportsCapability);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_server.reset(new RedisServer({}, AdminPassword));
		Poco::Environment::set("TENANT_CLI_ACME_PASSWORD", AcmePassword);
	}

	void tearDown() override
	{
		_server.reset();
	}

	CommandResult eventbus(const std::vector<std::string>& args, const std::string& url = "")
	{
		std::vector<std::string> all{"--env", "production", "--define",
			"eventbus.redis.url=" + (url.empty() ? _server->url() : url),
			"--define", "eventbus.redis.connectTimeoutMs=500", "--define", "eventbus.redis.commandTimeoutMs=1000"};
		return runCommand(eventbusExecutable(), with(all, args));
	}

	CommandResult provisionAcme(const std::vector<std::string>& more = {"--apply"}, const std::string& url = "")
	{
		return eventbus(with({"tenant", "provision", "--tenant", "acme", "--password-env", "TENANT_CLI_ACME_PASSWORD"}, more),
			url);
	}

	void testProvisionPrintsExactlyTheDocumentedCommands()
	{
		// The example of docs/security.md ("ACL provisioning"), run as written.
		Poco::FileInputStream doc(sourceDir() + "/docs/security.md");
		std::string line, password, expected;
		const std::string exportLine = "$ export ACME_REDIS_PASSWORD='";
		while (std::getline(doc, line))
		{
			if (line.compare(0, exportLine.size(), exportLine) == 0)
				password = line.substr(exportLine.size(), line.find('\'', exportLine.size()) - exportLine.size());
			if (line == "$ eventbus --env production tenant provision --tenant acme --password-env ACME_REDIS_PASSWORD")
			{
				std::string out;
				while (std::getline(doc, out) && out.compare(0, 3, "```") != 0)
					expected += out + "\n";
			}
		}
		CPPUNIT_ASSERT_MESSAGE("docs/security.md lost its provisioning example", !password.empty() && !expected.empty());
		Poco::Environment::set("ACME_REDIS_PASSWORD", password);

		CommandResult result = runCommand(eventbusExecutable(), {"--env", "production", "tenant", "provision",
			"--tenant", "acme", "--password-env", "ACME_REDIS_PASSWORD"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), 0, result.exitCode);
		CPPUNIT_ASSERT_EQUAL(expected, result.out);
		CPPUNIT_ASSERT_EQUAL(std::string(), result.err);
		CPPUNIT_ASSERT(contains(result.out, "#" + sha256Hex(password) + " "));
		CPPUNIT_ASSERT(!contains(result.out, password));
	}

	void testApplyCreatesAUserLimitedToItsChannelsAndTheBusCommands()
	{
		const CommandResult dry = provisionAcme({});
		const CommandResult applied = provisionAcme();
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(applied), 0, applied.exitCode);
		// stdout does not depend on --apply; the report goes to stderr.
		CPPUNIT_ASSERT_EQUAL(dry.out, applied.out);
		CPPUNIT_ASSERT_MESSAGE(applied.err, contains(applied.err, "applied on redis " + _server->endpoint()));
		CPPUNIT_ASSERT_MESSAGE(applied.err, contains(applied.err, "may use c2pro.production.acme.*"));
		CPPUNIT_ASSERT(!contains(applied.out + applied.err, AcmePassword));
		CPPUNIT_ASSERT(!contains(applied.out + applied.err, AdminPassword));

		auto user = aclUser(*_server, AcmeUser);
		CPPUNIT_ASSERT_EQUAL(std::string("&c2pro.production.acme.*"), user["channels"].str);
		CPPUNIT_ASSERT_EQUAL(std::string(""), user["keys"].str);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), user["passwords"].elements.size());
		CPPUNIT_ASSERT_EQUAL(sha256Hex(AcmePassword), user["passwords"].elements.at(0).str);

		auto acme = loginAs(*_server, AcmeUser, AcmePassword);
		CPPUNIT_ASSERT_EQUAL(std::string("PONG"), acme->command({"PING"}).str);
		CPPUNIT_ASSERT_EQUAL(RedisValue::Integer, acme->command({"PUBLISH", AcmeChannel, "x"}).type);
		for (const std::vector<std::string>& refused : std::vector<std::vector<std::string>>{
				{"PUBLISH", GlobexChannel, "x"},
				{"PUBLISH", "c2pro.production.acme2.orders.created", "x"},
				{"PUBLISH", "c2pro.staging.acme.orders.created", "x"},
				{"PSUBSCRIBE", "c2pro.production.*"},
				{"GET", "key"},
				{"KEYS", "*"},
				{"CONFIG", "GET", "*"},
				{"ACL", "WHOAMI"},
				{"SELECT", "1"},
				{"FLUSHALL"}})
		{
			RedisValue reply = acme->command(refused);
			CPPUNIT_ASSERT_MESSAGE(refused[0] + " " + refused[1 % refused.size()] + ": " + reply.str,
				reply.isError() && contains(reply.str, "NOPERM"));
		}
		auto subscriber = loginAs(*_server, AcmeUser, AcmePassword);
		CPPUNIT_ASSERT_EQUAL(std::string("subscribe"), subscriber->command({"SUBSCRIBE", AcmeChannel}).elements.at(0).str);
		CPPUNIT_ASSERT_EQUAL(std::string("pong"), subscriber->command({"PING"}).elements.at(0).str);
		CPPUNIT_ASSERT(subscriber->command({"SUBSCRIBE", GlobexChannel}).isError());
		CPPUNIT_ASSERT_EQUAL(std::string("unsubscribe"), subscriber->command({"UNSUBSCRIBE", AcmeChannel}).elements.at(0).str);
	}

	void testGeneratedPasswordIsShownOnceOnStderrOnly()
	{
		const CommandResult result = eventbus({"tenant", "provision", "--tenant", "acme", "--generate-password", "--apply"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), 0, result.exitCode);
		const std::string marker = "generated password for ACL user c2pro.production.acme (shown once, not stored): ";
		const std::size_t at = result.err.find(marker);
		CPPUNIT_ASSERT_MESSAGE(result.err, at != std::string::npos);
		const std::string password = result.err.substr(at + marker.size(), 64);
		CPPUNIT_ASSERT_EQUAL(std::string::npos, password.find_first_not_of("0123456789abcdef"));
		CPPUNIT_ASSERT_EQUAL(std::string::npos, result.err.find(password, at + marker.size() + 64));
		CPPUNIT_ASSERT(!contains(result.out, password));
		CPPUNIT_ASSERT(contains(result.out, "#" + sha256Hex(password) + " "));
		loginAs(*_server, AcmeUser, password); // throws if refused

		// Another run, another password.
		const CommandResult again = eventbus({"tenant", "provision", "--tenant", "acme", "--generate-password"});
		CPPUNIT_ASSERT(!contains(again.err, password));
	}

	void testPasswordHashUserAndDbOptions()
	{
		const std::string hash = sha256Hex(AcmePassword);
		std::string upper = hash;
		for (char& c : upper)
			c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
		const CommandResult result = eventbus({"tenant", "provision", "--tenant", "acme", "--password-hash", upper,
			"--user", "svc_acme-1", "--db", "2", "--apply"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), 0, result.exitCode);
		CPPUNIT_ASSERT_EQUAL("ACL SETUSER svc_acme-1 reset on #" + hash
			+ " resetchannels &c2pro.production.acme.* -@all +publish +subscribe +unsubscribe +ping +select|2\n"
			"CLIENT KILL USER svc_acme-1\n", result.out);
		auto client = loginAs(*_server, "svc_acme-1", AcmePassword);
		CPPUNIT_ASSERT_EQUAL(std::string("OK"), client->command({"SELECT", "2"}).str);
		CPPUNIT_ASSERT(client->command({"SELECT", "3"}).isError());
	}

	void testTenantIdsThatCouldWidenTheGlobAreRefused()
	{
		const std::vector<std::string> bad{"a.b", "t*", "t?", "[x]", "a\\b", "acme.*", "*", "", "ac me", "ac/me",
			std::string(65, 'a')};
		for (const auto& tenant : bad)
		{
			const CommandResult provision = eventbus({"tenant", "provision", "--tenant", tenant, "--generate-password",
				"--apply"});
			const std::string what = "provision '" + tenant + "': " + describe(provision);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(what, DataError, provision.exitCode);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::string(), provision.out);
			CPPUNIT_ASSERT_MESSAGE(what, contains(provision.err, "eventbus: tenant provision: refused: tenantId: "));
			CPPUNIT_ASSERT_MESSAGE(what, !contains(provision.err, "generated password"));

			const CommandResult revoke = eventbus({"tenant", "revoke", "--tenant", tenant, "--apply"});
			CPPUNIT_ASSERT_EQUAL_MESSAGE("revoke '" + tenant + "': " + describe(revoke), DataError, revoke.exitCode);
			CPPUNIT_ASSERT_EQUAL(std::string(), revoke.out);
		}
		// Nothing reached the server.
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), _server->command({"ACL", "USERS"}).elements.size());
	}

	void testTransportWithoutTenantAccessIsAConfigurationError()
	{
		const std::vector<std::vector<std::string>> cases{
			{"tenant", "provision", "--tenant", "acme", "--generate-password", "--apply"},
			{"tenant", "provision", "--tenant", "acme", "--password-env", "TENANT_CLI_ACME_PASSWORD"},
			{"tenant", "revoke", "--tenant", "acme", "--apply"},
		};
		for (const auto& args : cases)
		{
			const CommandResult result = eventbus(with({"--define", "eventbus.transport=memory"}, args));
			const std::string what = commandLine(args) + ": " + describe(result);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(what, ConfigError, result.exitCode);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::string(), result.out);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::size_t(1), static_cast<std::size_t>(
				std::count(result.err.begin(), result.err.end(), '\n')));
			CPPUNIT_ASSERT_MESSAGE(what, contains(result.err, "the transport 'memory' (eventbus.transport) has no tenant-access capability"));
			CPPUNIT_ASSERT_MESSAGE(what, !contains(result.err, "generated password"));
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), _server->command({"ACL", "USERS"}).elements.size());
	}

	void testCommandsComeFromTheSelectedTransportsCapability()
	{
		// The fixture plugin's capability prints its own commands and refuses
		// to apply them: nothing of Redis is built into the CLI.
		const std::vector<std::string> fixture{"--define", "eventbus.plugins.path=" + fixtureDir() + "/capability",
			"--define", "eventbus.transport=capable"};
		const CommandResult dry = eventbus(with(fixture, {"tenant", "provision", "--tenant", "acme", "--db", "2",
			"--password-hash", std::string(64, 'a')}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(dry), 0, dry.exitCode);
		CPPUNIT_ASSERT_EQUAL(std::string("GRANT c2pro.production.acme c2pro.production.acme.* db2\n"), dry.out);
		const CommandResult applied = eventbus(with(fixture, {"tenant", "revoke", "--tenant", "acme", "--apply"}));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(applied), NotPermitted, applied.exitCode);
		CPPUNIT_ASSERT_EQUAL(std::string("REVOKE c2pro.production.acme\n"), applied.out);
		CPPUNIT_ASSERT_MESSAGE(applied.err, contains(applied.err, "tenant revoke: fixture refuses 1 command(s)"));
	}

	void testBadOptionsAreRefusedWithUsage()
	{
		Poco::Environment::set("TENANT_CLI_SHORT_PASSWORD", "tiny-pw");
		Poco::Environment::set("TENANT_CLI_EMPTY_PASSWORD", "");
		const std::string tenant = "--tenant";
		struct Case
		{
			std::vector<std::string> args;
			std::string says;
		};
		const std::vector<Case> cases{
			{{"tenant", "provision", tenant, "acme"}, "exactly one of"},
			{{"tenant", "provision", tenant, "acme", "--generate-password", "--password-env", "TENANT_CLI_ACME_PASSWORD"},
				"exactly one of"},
			{{"tenant", "provision", tenant, "acme", "--password-env", "TENANT_CLI_NOT_SET"}, "TENANT_CLI_NOT_SET is not set"},
			{{"tenant", "provision", tenant, "acme", "--password-env", "TENANT_CLI_EMPTY_PASSWORD"}, "is not set or empty"},
			{{"tenant", "provision", tenant, "acme", "--password-env", "TENANT_CLI_SHORT_PASSWORD"}, "at least 16"},
			{{"tenant", "provision", tenant, "acme", "--password-env", "1-BAD"}, "not an environment variable name"},
			{{"tenant", "provision", tenant, "acme", "--password-hash", "abc"}, "64 hex digits"},
			{{"tenant", "provision", tenant, "acme", "--password-hash", std::string(64, 'g')}, "64 hex digits"},
			{{"tenant", "provision", tenant, "acme", "--generate-password", "--user", "default"}, "'default'"},
			{{"tenant", "provision", tenant, "acme", "--generate-password", "--user", "a b"}, "not a user name"},
			{{"tenant", "provision", tenant, "acme", "--generate-password", "--user", "a>b"}, "not a user name"},
			{{"tenant", "provision", tenant, "acme", "--generate-password", "--db", "-1"}, "--db"},
			{{"tenant", "provision", tenant, "acme", "--generate-password", "--db", "x"}, "--db"},
			{{"tenant", "provision", "--generate-password"}, "--tenant is required"},
			{{"tenant", "revoke"}, "--tenant is required"},
			{{"tenant", "revoke", tenant, "acme", "--password-env", "TENANT_CLI_ACME_PASSWORD"}, "does not apply"},
			{{"tenant", "frobnicate", tenant, "acme"}, "unknown action 'frobnicate'"},
			{{"tenant"}, "expected one action"},
			{{"tenant", "provision", "revoke", tenant, "acme"}, "expected one action"},
		};
		for (const auto& c : cases)
		{
			const CommandResult result = eventbus(c.args);
			const std::string what = commandLine(c.args) + ": " + describe(result);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(what, Usage, result.exitCode);
			CPPUNIT_ASSERT_MESSAGE(what, contains(result.err, c.says));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(what, std::string(), result.out);
			CPPUNIT_ASSERT_MESSAGE(what, !contains(result.err, "tiny-pw") && !contains(result.err, AcmePassword));
			CPPUNIT_ASSERT_MESSAGE(what, !contains(result.err, "generated password"));
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), _server->command({"ACL", "USERS"}).elements.size());
	}

	void testWrongAdminPasswordIsNotPermitted()
	{
		const std::string wrong = "not-the-admin-password-42";
		const CommandResult result = provisionAcme({"--apply"}, "redis://:" + wrong + "@" + _server->endpoint() + "/0");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), NotPermitted, result.exitCode);
		CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "eventbus: tenant provision: not permitted: "));
		CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "admin credentials in eventbus.redis.url (user 'default')"));
		CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "WRONGPASS"));
		CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, _server->endpoint()));
		CPPUNIT_ASSERT(!contains(result.err + result.out, wrong));
		CPPUNIT_ASSERT(!contains(result.err + result.out, AcmePassword));
		CPPUNIT_ASSERT_EQUAL(RedisValue::Nil, _server->command({"ACL", "GETUSER", AcmeUser}).type);

		const CommandResult revoke = eventbus({"tenant", "revoke", "--tenant", "acme", "--apply"},
			"redis://admin:" + wrong + "@" + _server->endpoint() + "/0");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(revoke), NotPermitted, revoke.exitCode);
		CPPUNIT_ASSERT_MESSAGE(revoke.err, contains(revoke.err, "(user 'admin') were refused"));
	}

	void testTenantCredentialsCannotProvision()
	{
		CPPUNIT_ASSERT_EQUAL(0, provisionAcme().exitCode);
		const CommandResult result = eventbus({"tenant", "provision", "--tenant", "globex", "--generate-password",
			"--apply"}, aclUrl(*_server, AcmeUser, AcmePassword));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), NotPermitted, result.exitCode);
		CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "user 'c2pro.production.acme' of eventbus.redis.url may not run ACL SETUSER"));
		CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "NOPERM"));
		CPPUNIT_ASSERT_EQUAL(RedisValue::Nil, _server->command({"ACL", "GETUSER", "c2pro.production.globex"}).type);
	}

	void testUnreachableServerIsUnavailable()
	{
		const std::string url = "redis://:" + AdminPassword + "@127.0.0.1:" + std::to_string(freeLoopbackPort()) + "/0";
		const CommandResult result = provisionAcme({"--apply"}, url);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), Unavailable, result.exitCode);
		CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "unreachable"));
		CPPUNIT_ASSERT(!contains(result.err, AdminPassword));
	}

	void testAdminUrlMayComeFromTheEnvironment()
	{
		Poco::Environment::set("TENANT_CLI_ADMIN_PASSWORD", AdminPassword);
		const CommandResult result = provisionAcme({"--apply"},
			"redis://:${system.env.TENANT_CLI_ADMIN_PASSWORD}@" + _server->endpoint() + "/0");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), 0, result.exitCode);
		CPPUNIT_ASSERT_EQUAL(std::string("&c2pro.production.acme.*"), aclUser(*_server, AcmeUser)["channels"].str);
	}

	void testRevokeDeletesTheUserAndClosesItsConnections()
	{
		CPPUNIT_ASSERT_EQUAL(0, provisionAcme().exitCode);
		auto subscriber = loginAs(*_server, AcmeUser, AcmePassword);
		subscriber->command({"SUBSCRIBE", AcmeChannel});
		CPPUNIT_ASSERT_EQUAL(1LL, clientsOf(*_server, AcmeUser));

		const CommandResult result = eventbus({"tenant", "revoke", "--tenant", "acme", "--apply"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(result), 0, result.exitCode);
		CPPUNIT_ASSERT_EQUAL(std::string("ACL DELUSER c2pro.production.acme\n"), result.out);
		CPPUNIT_ASSERT_MESSAGE(result.err, contains(result.err, "deleted"));
		CPPUNIT_ASSERT(waitUntil([&]() { return clientsOf(*_server, AcmeUser) == 0; }));
		CPPUNIT_ASSERT_EQUAL(0LL, _server->subscribers(AcmeChannel));
		CPPUNIT_ASSERT_THROW(loginAs(*_server, AcmeUser, AcmePassword), std::runtime_error);

		const CommandResult again = eventbus({"tenant", "revoke", "--tenant", "acme", "--apply"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(again), 0, again.exitCode);
		CPPUNIT_ASSERT_MESSAGE(again.err, contains(again.err, "nothing to revoke"));
	}

	void testPublishAndSubscribeOnAnotherTenantExitNotPermitted()
	{
		CPPUNIT_ASSERT_EQUAL(0, provisionAcme().exitCode);
		const std::string url = aclUrl(*_server, AcmeUser, AcmePassword);
		const std::vector<std::string> plugins{"--define", "eventbus.plugins.path=" + pluginDir()};

		const CommandResult published = eventbus(with(plugins, {"publish", "--tenant", "globex", "--topic",
			"orders.created", "--payload", "{\"n\":1}"}), url);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(published), NotPermitted, published.exitCode);
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, "eventbus: publish: not permitted: "));
		CPPUNIT_ASSERT_MESSAGE(published.err, contains(published.err, "PUBLISH to " + GlobexChannel + " (tenant globex)"));
		CPPUNIT_ASSERT(!contains(published.err, AcmePassword));

		CommandResult subscribed;
		const long long ms = millisecondsOf([&]() {
			subscribed = eventbus(with(plugins, {"subscribe", "--tenant", "globex", "--topic", "orders.created",
				"--count", "1", "--timeout", "10"}), url);
		});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(subscribed), NotPermitted, subscribed.exitCode);
		CPPUNIT_ASSERT_MESSAGE(subscribed.err, contains(subscribed.err, "SUBSCRIBE on " + GlobexChannel));
		CPPUNIT_ASSERT_MESSAGE(std::to_string(ms), ms < 5000); // refused, not waited out

		const CommandResult own = eventbus(with(plugins, {"publish", "--tenant", "acme", "--topic", "orders.created",
			"--payload", "{\"n\":1}"}), url);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(own), 0, own.exitCode);
	}

private:
	static std::string commandLine(const std::vector<std::string>& args)
	{
		std::string line = "eventbus";
		for (const auto& arg : args)
			line += " " + arg;
		return line;
	}

	std::unique_ptr<RedisServer> _server;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisTenantCliTest);
