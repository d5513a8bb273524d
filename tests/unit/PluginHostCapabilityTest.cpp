// Suite ID: unit.pluginhost.capabilities
//
// PluginHostCapabilityTest.cpp
//
// Part of the PluginHostTest suite. Capabilities are found beside the
// transport that provides them and created as their interface, a new object
// each time; a plugin without any has none; another transport's, another
// interface's, a throwing constructor's, an unknown transport's and a
// manifest of another ABI are refused; the redis plugin exports tenant-access.
//
#include "PluginHostTestSupport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/PluginHost.h"
#include "eventbus/TenantAccessAdmin.h"
#include <Poco/File.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

class PluginHostCapabilityTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PluginHostCapabilityTest);
	CPPUNIT_TEST(testInspectListsCapabilities);
	CPPUNIT_TEST(testCapabilityIsCreatedAsItsInterface);
	CPPUNIT_TEST(testEachCapabilityIsANewObject);
	CPPUNIT_TEST(testPluginWithoutCapabilitiesHasNone);
	CPPUNIT_TEST(testCapabilityOfAnotherTransportIsNotFound);
	CPPUNIT_TEST(testCapabilityOfAnotherInterfaceIsRefused);
	CPPUNIT_TEST(testThrowingCapabilityConstructorIsRefused);
	CPPUNIT_TEST(testCapabilityOfUnknownTransportIsRefused);
	CPPUNIT_TEST(testCapabilityManifestOfAnotherAbiIsRefused);
	CPPUNIT_TEST(testRedisPluginExportsTenantAccess);
	CPPUNIT_TEST_SUITE_END();

public:
	void testInspectListsCapabilities()
	{
		const PluginInfo info = PluginHost::instance().inspect(capabilityPlugin());
		CPPUNIT_ASSERT_MESSAGE(info.reason, info.ok);
		CPPUNIT_ASSERT(hasName(info, "capable") && hasName(info, "capable-too"));
		const std::vector<std::string> expected{"capable/plain", "capable/tenant-access", "capable/throwing"};
		CPPUNIT_ASSERT(expected == info.capabilities);
	}

	void testCapabilityIsCreatedAsItsInterface()
	{
		auto admin = PluginHost::instance().capability<TenantAccessAdmin>(capabilityFolder(), "capable",
			TenantAccessAdmin::Name);
		CPPUNIT_ASSERT(admin);
		TenantAccess access;
		access.tenantId = "acme";
		access.user = "u";
		access.db = 3;
		access.env = "test";
		access.prefix = "p";
		const std::vector<ServerCommand> commands = admin->provisionCommands(access);
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), commands.size());
		CPPUNIT_ASSERT_EQUAL(std::string("GRANT u p.test.acme.* db3"), TenantAccessAdmin::line(commands[0]));
		// Its exceptions are the framework's types, caught as such here.
		const std::string msg = expectThrow<AccessDeniedException>([&] { admin->apply(*makeConfig("memory"), commands, "v"); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "fixture refuses 1 command(s)"));
		CPPUNIT_ASSERT_EQUAL(capabilityPlugin(), libraryOf(admin.get()));
	}

	void testEachCapabilityIsANewObject()
	{
		auto a = PluginHost::instance().createCapability(capabilityFolder(), "capable", "tenant-access");
		auto b = PluginHost::instance().createCapability(capabilityFolder(), "capable", "tenant-access");
		CPPUNIT_ASSERT(a && b && a.get() != b.get());
	}

	void testPluginWithoutCapabilitiesHasNone()
	{
		CPPUNIT_ASSERT(PluginHost::instance().inspect(memoryPlugin()).capabilities.empty());
		CPPUNIT_ASSERT(!PluginHost::instance().capability<TenantAccessAdmin>(pluginDir(), "memory", TenantAccessAdmin::Name));
		CPPUNIT_ASSERT(!PluginHost::instance().createCapability(pluginDir(), "loopback", TenantAccessAdmin::Name));
		// A plugin of API 1's form (a hand-written manifest, no capabilities') too.
		const PluginInfo throwingInfo = PluginHost::instance().inspect(throwing());
		CPPUNIT_ASSERT(throwingInfo.ok && throwingInfo.capabilities.empty());
	}

	void testCapabilityOfAnotherTransportIsNotFound()
	{
		// Registered for "capable", not for the file's other transport.
		CPPUNIT_ASSERT(!PluginHost::instance().createCapability(capabilityFolder(), "capable-too", TenantAccessAdmin::Name));
		CPPUNIT_ASSERT(!PluginHost::instance().createCapability(capabilityFolder(), "capable", "no-such-capability"));
	}

	void testCapabilityOfAnotherInterfaceIsRefused()
	{
		CPPUNIT_ASSERT(PluginHost::instance().createCapability(capabilityFolder(), "capable", "plain"));
		const std::string msg = expectThrow<PluginException>([&] {
			PluginHost::instance().capability<TenantAccessAdmin>(capabilityFolder(), "capable", "plain");
		});
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "capable/plain"));
	}

	void testThrowingCapabilityConstructorIsRefused()
	{
		const std::string msg = expectThrow<PluginException>([&] {
			PluginHost::instance().createCapability(capabilityFolder(), "capable", "throwing");
		});
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, capabilityPlugin()));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "capability constructor failed"));
	}

	void testCapabilityOfUnknownTransportIsRefused()
	{
		const std::string msg = expectThrow<PluginException>([&] {
			PluginHost::instance().capability<TenantAccessAdmin>(capabilityFolder(), "nosuch", TenantAccessAdmin::Name);
		});
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "'nosuch'"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "capable"));
	}

	void testCapabilityManifestOfAnotherAbiIsRefused()
	{
		const std::string msg = refusedLoad(capabilityAbi());
		CPPUNIT_ASSERT_MESSAGE(msg, containsNoCase(msg, "mismatch"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "abi_v" + std::to_string(EVENTBUS_PLUGIN_API_VERSION) + "::Capability"));
		const PluginInfo info = PluginHost::instance().inspect(capabilityAbi());
		CPPUNIT_ASSERT(!info.ok && info.names.empty() && info.capabilities.empty());
		expectThrow<PluginException>([&] {
			PluginHost::instance().create(fixtureDir() + "/capability-abi", "capabilityabi");
		});
	}

	void testRedisPluginExportsTenantAccess()
	{
		const std::string redis = pluginDir() + "/libeventbus_redis.so";
		if (!Poco::File(redis).exists())
			return; // built with EVENTBUS_WITH_REDIS=OFF
		const PluginInfo info = PluginHost::instance().inspect(redis);
		CPPUNIT_ASSERT_MESSAGE(info.reason, info.ok);
		CPPUNIT_ASSERT(info.capabilities == (std::vector<std::string>{"redis-streams/dead-letters",
			"redis-streams/tenant-access", "redis/tenant-access"}));
		auto admin = PluginHost::instance().capability<TenantAccessAdmin>(pluginDir(), "redis", TenantAccessAdmin::Name);
		CPPUNIT_ASSERT(admin);
		TenantAccess access;
		access.tenantId = "acme";
		access.user = "c2pro.production.acme";
		access.passwordHash = std::string(64, 'a');
		access.env = "production";
		access.prefix = "c2pro";
		CPPUNIT_ASSERT_EQUAL(std::string("c2pro.production.acme.*"), admin->scope(access));
		CPPUNIT_ASSERT_EQUAL(std::string("ACL DELUSER c2pro.production.acme"), TenantAccessAdmin::line(admin->revokeCommands(access).at(0)));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginHostCapabilityTest);
