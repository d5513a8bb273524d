// Suite ID: unit.pluginhost
//
// PluginHostTest.cpp
//
// The plugin host loads the real transport plugins and refuses every bad
// fixture with an error naming the file and the reason; inspect() never
// throws; bad files beside good ones do not stop the good ones; capabilities
// are found beside the transport that provides them, as their interface; a
// symlink is judged by its target.
//
#include "UnitSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/PluginHost.h"
#include "eventbus/TenantAccessAdmin.h"
#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>
#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

namespace {

std::string memoryPlugin() { return pluginDir() + "/libeventbus_memory.so"; }
std::string loopbackPlugin() { return pluginDir() + "/libeventbus_loopback.so"; }
std::string fixture(const std::string& folder, const std::string& file) { return fixtureDir() + "/" + folder + "/" + file; }

std::string garbage() { return fixture("garbage", "garbage.so"); }
std::string notAPlugin() { return fixture("not-a-plugin", "libeventbus_notaplugin.so"); }
std::string wrongVersion() { return fixture("wrong-version", "libeventbus_wrongversion.so"); }
std::string abiMismatch() { return fixture("abi-mismatch", "libeventbus_abimismatch.so"); }
std::string throwing() { return fixture("throwing", "libeventbus_throwing.so"); }
std::string initThrows() { return fixture("init-throws", "libeventbus_initthrows.so"); }
std::string noVersion() { return fixture("no-version", "libeventbus_noversion.so"); }
std::string capabilityFolder() { return fixtureDir() + "/capability"; }
std::string capabilityPlugin() { return fixture("capability", "libeventbus_capability.so"); }
std::string capabilityAbi() { return fixture("capability-abi", "libeventbus_capabilityabi.so"); }

bool hasName(const PluginInfo& info, const std::string& name)
{
	return std::find(info.names.begin(), info.names.end(), name) != info.names.end();
}

/// load(file) must throw PluginException naming the file; returns the message.
std::string refusedLoad(const std::string& file)
{
	CPPUNIT_ASSERT_MESSAGE("fixture not built: " + file, Poco::File(file).exists());
	const std::string msg = expectThrow<PluginException>([&] { PluginHost::instance().load(file); }, file);
	CPPUNIT_ASSERT_MESSAGE("message does not name the file: " + msg, contains(msg, file));
	return msg;
}

} // namespace

class PluginHostTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PluginHostTest);
	CPPUNIT_TEST(testPluginFilesAreSortedSoFiles);
	CPPUNIT_TEST(testPluginFilesOfMissingFolderIsRefused);
	CPPUNIT_TEST(testLoadsMemoryPlugin);
	CPPUNIT_TEST(testLoadsLoopbackPlugin);
	CPPUNIT_TEST(testLoadingTwiceIsHarmless);
	CPPUNIT_TEST(testCreatesMemoryByName);
	CPPUNIT_TEST(testCreatesLoopbackByName);
	CPPUNIT_TEST(testCreatesFromOneFile);
	CPPUNIT_TEST(testEachCreateIsANewTransport);
	CPPUNIT_TEST(testCreateFromFileUsesThatFile);
	CPPUNIT_TEST(testMissingFileIsRefused);
	CPPUNIT_TEST(testGarbageFileIsRefused);
	CPPUNIT_TEST(testLibraryWithoutManifestIsRefused);
	CPPUNIT_TEST(testWrongApiVersionIsRefused);
	CPPUNIT_TEST(testManifestOfAnotherBaseClassIsRefused);
	CPPUNIT_TEST(testMissingVersionSymbolIsRefused);
	CPPUNIT_TEST(testThrowingInitialisationIsRefused);
	CPPUNIT_TEST(testThrowingConstructorIsRefused);
	CPPUNIT_TEST(testThrowingConstructorRefusedThroughEventBus);
	CPPUNIT_TEST(testInspectReportsBadFilesWithoutThrowing);
	CPPUNIT_TEST(testInspectReportsGoodPlugin);
	CPPUNIT_TEST(testInspectOfMissingFileDoesNotThrow);
	CPPUNIT_TEST(testBadFilesBesideRealPluginsStillCreateMemory);
	CPPUNIT_TEST(testUnknownTransportListsWhatExists);
	CPPUNIT_TEST(testUnknownTransportListsRejectedFiles);
	CPPUNIT_TEST(testBuiltPluginsAreTrusted);
	CPPUNIT_TEST(testWorldWritableFileIsUntrusted);
	CPPUNIT_TEST(testFileInWorldWritableFolderIsUntrusted);
	CPPUNIT_TEST(testFileInStickyFolderIsTrusted);
	CPPUNIT_TEST(testStrictLoadRefusesUntrustedFileWithoutOpeningIt);
	CPPUNIT_TEST(testSymlinkIntoWorldWritableFolderIsUntrusted);
	CPPUNIT_TEST(testSymlinkIntoTrustedFolderLoadsItsTarget);
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
	void testPluginFilesAreSortedSoFiles()
	{
		const auto files = PluginHost::pluginFiles(pluginDir());
		CPPUNIT_ASSERT(std::is_sorted(files.begin(), files.end()));
		CPPUNIT_ASSERT(std::find(files.begin(), files.end(), memoryPlugin()) != files.end());
		CPPUNIT_ASSERT(std::find(files.begin(), files.end(), loopbackPlugin()) != files.end());
		for (const auto& f : files)
			CPPUNIT_ASSERT_MESSAGE(f, Poco::Path(f).getExtension() == "so");
		const auto mixed = PluginHost::pluginFiles(fixtureDir() + "/mixed");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), mixed.size());
	}

	void testPluginFilesOfMissingFolderIsRefused()
	{
		const std::string folder = fixtureDir() + "/no-such-folder";
		const std::string msg = expectThrow<PluginException>([&] { PluginHost::pluginFiles(folder); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, folder));
	}

	void testLoadsMemoryPlugin()
	{
		const PluginInfo info = PluginHost::instance().load(memoryPlugin());
		CPPUNIT_ASSERT(info.ok);
		CPPUNIT_ASSERT(hasName(info, "memory"));
		CPPUNIT_ASSERT_EQUAL(EVENTBUS_PLUGIN_API_VERSION, info.apiVersion);
		CPPUNIT_ASSERT_EQUAL(memoryPlugin(), info.file);
	}

	void testLoadsLoopbackPlugin()
	{
		const PluginInfo info = PluginHost::instance().load(loopbackPlugin());
		CPPUNIT_ASSERT(info.ok);
		CPPUNIT_ASSERT(hasName(info, "loopback"));
		CPPUNIT_ASSERT_EQUAL(EVENTBUS_PLUGIN_API_VERSION, info.apiVersion);
	}

	void testLoadingTwiceIsHarmless()
	{
		const PluginInfo a = PluginHost::instance().load(memoryPlugin());
		const PluginInfo b = PluginHost::instance().load(memoryPlugin());
		CPPUNIT_ASSERT(a.ok && b.ok);
		CPPUNIT_ASSERT(a.names == b.names);
	}

	void testCreatesMemoryByName()
	{
		auto transport = PluginHost::instance().create(pluginDir(), "memory");
		CPPUNIT_ASSERT(transport);
		CPPUNIT_ASSERT_EQUAL(std::string("memory"), transport->name());
		CPPUNIT_ASSERT(transport->isInProcess());
	}

	void testCreatesLoopbackByName()
	{
		auto transport = PluginHost::instance().create(pluginDir(), "loopback");
		CPPUNIT_ASSERT(transport);
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), transport->name());
		CPPUNIT_ASSERT(transport->isInProcess());
	}

	void testCreatesFromOneFile()
	{
		auto transport = PluginHost::instance().createFromFile(loopbackPlugin(), "loopback");
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), transport->name());
		expectThrow<PluginException>([] { PluginHost::instance().createFromFile(loopbackPlugin(), "memory"); });
	}

	void testEachCreateIsANewTransport()
	{
		auto a = PluginHost::instance().create(pluginDir(), "loopback");
		auto b = PluginHost::instance().create(pluginDir(), "loopback");
		CPPUNIT_ASSERT(a.get() != b.get());
	}

	void testCreateFromFileUsesThatFile()
	{
		// Two files export "memory" (a copied plugin folder, an upgrade beside
		// the old one): each must create from its own code, not whichever
		// library happened to be loaded first.
		Poco::TemporaryFile dir;
		const std::string copy = copyInto(dir, memoryPlugin(), 0755);
		auto fromCopy = PluginHost::instance().createFromFile(copy, "memory");
		auto fromBuilt = PluginHost::instance().createFromFile(memoryPlugin(), "memory");
		CPPUNIT_ASSERT_EQUAL(Poco::Path(copy).absolute().toString(), libraryOf(fromCopy.get()));
		CPPUNIT_ASSERT_EQUAL(Poco::Path(memoryPlugin()).absolute().toString(), libraryOf(fromBuilt.get()));
	}

	void testMissingFileIsRefused()
	{
		const std::string file = fixtureDir() + "/no-such-plugin.so";
		const std::string msg = expectThrow<PluginException>([&] { PluginHost::instance().load(file); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, file));
	}

	void testGarbageFileIsRefused()
	{
		const std::string msg = refusedLoad(garbage());
		CPPUNIT_ASSERT_MESSAGE("no reason given: " + msg, msg.size() > garbage().size() + 5);
	}

	void testLibraryWithoutManifestIsRefused()
	{
		const std::string msg = refusedLoad(notAPlugin());
		CPPUNIT_ASSERT_MESSAGE(msg, containsNoCase(msg, "manifest") || containsNoCase(msg, "version"));
	}

	void testWrongApiVersionIsRefused()
	{
		const std::string msg = refusedLoad(wrongVersion());
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "built for plugin API 999, this host speaks "
			+ std::to_string(EVENTBUS_PLUGIN_API_VERSION)));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, std::to_string(EVENTBUS_PLUGIN_API_VERSION)));
		CPPUNIT_ASSERT_MESSAGE(msg, containsNoCase(msg, "version"));
	}

	void testManifestOfAnotherBaseClassIsRefused()
	{
		const std::string msg = refusedLoad(abiMismatch());
		CPPUNIT_ASSERT_MESSAGE(msg, containsNoCase(msg, "mismatch"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "abi_v" + std::to_string(EVENTBUS_PLUGIN_API_VERSION) + "::Transport"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "this host speaks " + std::to_string(EVENTBUS_PLUGIN_API_VERSION)));
	}

	void testMissingVersionSymbolIsRefused()
	{
		const std::string msg = refusedLoad(noVersion());
		CPPUNIT_ASSERT_MESSAGE(msg, containsNoCase(msg, "version"));
	}

	void testThrowingInitialisationIsRefused()
	{
		const std::string msg = refusedLoad(initThrows());
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "initialisation failed"));
		// Still refused (not half-loaded) the second time.
		refusedLoad(initThrows());
	}

	void testThrowingConstructorIsRefused()
	{
		const std::string folder = fixtureDir() + "/throwing";
		const std::string msg = expectThrow<PluginException>([&] { PluginHost::instance().create(folder, "throwing"); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, throwing()));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "constructor failed"));
		const std::string msg2 = expectThrow<PluginException>([&] { PluginHost::instance().createFromFile(throwing(), "throwing"); });
		CPPUNIT_ASSERT_MESSAGE(msg2, contains(msg2, throwing()));
	}

	void testThrowingConstructorRefusedThroughEventBus()
	{
		auto config = makeConfig("throwing", {{"eventbus.plugins.path", fixtureDir() + "/throwing"}});
		const std::string msg = expectThrow<PluginException>([&] { EventBus bus(*config); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, throwing()));
	}

	void testInspectReportsBadFilesWithoutThrowing()
	{
		for (const std::string& file : {garbage(), notAPlugin(), wrongVersion(), abiMismatch(), initThrows(), noVersion()})
		{
			PluginInfo info;
			try
			{
				info = PluginHost::instance().inspect(file);
			}
			catch (std::exception& exc)
			{
				CPPUNIT_FAIL("inspect threw for " + file + ": " + exc.what());
			}
			CPPUNIT_ASSERT_MESSAGE(file, !info.ok);
			CPPUNIT_ASSERT_MESSAGE(file, !info.reason.empty());
			CPPUNIT_ASSERT_EQUAL(file, info.file);
			CPPUNIT_ASSERT_MESSAGE(file, info.names.empty());
		}
		CPPUNIT_ASSERT(contains(PluginHost::instance().inspect(wrongVersion()).reason, "999"));
		CPPUNIT_ASSERT_EQUAL(999, PluginHost::instance().inspect(wrongVersion()).apiVersion);
	}

	void testInspectReportsGoodPlugin()
	{
		const PluginInfo info = PluginHost::instance().inspect(memoryPlugin());
		CPPUNIT_ASSERT(info.ok);
		CPPUNIT_ASSERT(info.reason.empty());
		CPPUNIT_ASSERT(hasName(info, "memory"));
		CPPUNIT_ASSERT_EQUAL(EVENTBUS_PLUGIN_API_VERSION, info.apiVersion);
		// A plugin whose constructor throws still loads: only create() fails.
		const PluginInfo t = PluginHost::instance().inspect(throwing());
		CPPUNIT_ASSERT(t.ok);
		CPPUNIT_ASSERT(hasName(t, "throwing"));
	}

	void testInspectOfMissingFileDoesNotThrow()
	{
		const PluginInfo info = PluginHost::instance().inspect(fixtureDir() + "/absent.so");
		CPPUNIT_ASSERT(!info.ok);
		CPPUNIT_ASSERT(!info.reason.empty());
	}

	void testBadFilesBesideRealPluginsStillCreateMemory()
	{
		Poco::TemporaryFile dir;
		mixedFolder(dir);
		auto transport = PluginHost::instance().create(dir.path(), "memory");
		CPPUNIT_ASSERT_EQUAL(std::string("memory"), transport->name());
	}

	void testUnknownTransportListsWhatExists()
	{
		const std::string msg = expectThrow<PluginException>([] { PluginHost::instance().create(pluginDir(), "nosuch"); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "nosuch"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "memory"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "loopback"));
	}

	void testUnknownTransportListsRejectedFiles()
	{
		Poco::TemporaryFile dir;
		mixedFolder(dir);
		const std::string msg = expectThrow<PluginException>([&] { PluginHost::instance().create(dir.path(), "nosuch"); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "bad.so"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "libeventbus_notaplugin.so"));
	}

	void testBuiltPluginsAreTrusted()
	{
		CPPUNIT_ASSERT_EQUAL(std::string(), PluginHost::trustProblem(memoryPlugin()));
		CPPUNIT_ASSERT_EQUAL(std::string(), PluginHost::trustProblem(loopbackPlugin()));
	}

	void testWorldWritableFileIsUntrusted()
	{
		Poco::TemporaryFile dir;
		const std::string file = copyInto(dir, notAPlugin(), 0755);
		CPPUNIT_ASSERT_EQUAL(std::string(), PluginHost::trustProblem(file));
		::chmod(file.c_str(), 0666);
		CPPUNIT_ASSERT(!PluginHost::trustProblem(file).empty());
	}

	void testFileInWorldWritableFolderIsUntrusted()
	{
		Poco::TemporaryFile dir;
		const std::string file = copyInto(dir, notAPlugin(), 0777);
		CPPUNIT_ASSERT(!PluginHost::trustProblem(file).empty());
	}

	void testFileInStickyFolderIsTrusted()
	{
		Poco::TemporaryFile dir;
		const std::string file = copyInto(dir, notAPlugin(), 01777);
		CPPUNIT_ASSERT_EQUAL(std::string(), PluginHost::trustProblem(file));
	}

	void testStrictLoadRefusesUntrustedFileWithoutOpeningIt()
	{
		// The init-throws fixture would throw if it were opened: a refusal that
		// does not mention its initialisation proves it was not.
		Poco::TemporaryFile dir;
		const std::string file = copyInto(dir, initThrows(), 0755);
		::chmod(file.c_str(), 0666);
		const std::string msg = expectThrow<PluginException>([&] { PluginHost::instance().load(file); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, file));
		CPPUNIT_ASSERT_MESSAGE(msg, !contains(msg, "initialisation failed"));
		const PluginInfo info = PluginHost::instance().inspect(file);
		CPPUNIT_ASSERT(!info.ok);
		CPPUNIT_ASSERT(!contains(info.reason, "initialisation failed"));
		// Without strict modes it is opened, and refused for what it is.
		const std::string lax = expectThrow<PluginException>([&] { PluginHost::instance().load(file, false); });
		CPPUNIT_ASSERT_MESSAGE(lax, contains(lax, "initialisation failed"));
	}

	void testSymlinkIntoWorldWritableFolderIsUntrusted()
	{
		// Issue 15, defect 11: the link sits in a trusted folder, its target in
		// a folder anyone may write (not sticky), so anyone may swap the code.
		Poco::TemporaryFile open;
		const std::string target = copyInto(open, loopbackPlugin(), 0777);
		Poco::TemporaryFile trusted;
		const std::string link = linkInto(trusted, target, 0755);
		const std::string problem = PluginHost::trustProblem(link);
		CPPUNIT_ASSERT_MESSAGE("a link into a world-writable folder passed the trust check", !problem.empty());
		CPPUNIT_ASSERT_MESSAGE(problem, contains(problem, "world-writable"));
		CPPUNIT_ASSERT_MESSAGE(problem, contains(problem, Poco::Path(target).parent().toString()));
		const std::string msg = expectThrow<PluginException>([&] { PluginHost::instance().load(link); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, Poco::Path(target).parent().toString()));
		// The target itself is refused for the same reason.
		CPPUNIT_ASSERT(!PluginHost::trustProblem(target).empty());
	}

	void testSymlinkIntoTrustedFolderLoadsItsTarget()
	{
		Poco::TemporaryFile real;
		const std::string target = copyInto(real, loopbackPlugin(), 0755);
		Poco::TemporaryFile links;
		const std::string link = linkInto(links, target, 0755);
		CPPUNIT_ASSERT_EQUAL(std::string(), PluginHost::trustProblem(link));
		auto transport = PluginHost::instance().createFromFile(link, "loopback");
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), transport->name());
		// The code that runs is the resolved file's, the one that was judged.
		CPPUNIT_ASSERT_EQUAL(realPath(target), libraryOf(transport.get()));
		// A link in a world-writable folder may be re-pointed by anyone.
		Poco::TemporaryFile open;
		const std::string openLink = linkInto(open, target, 0777);
		const std::string problem = PluginHost::trustProblem(openLink);
		CPPUNIT_ASSERT_MESSAGE(problem, contains(problem, Poco::Path(openLink).parent().toString()));
	}

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

private:
	/// What `file` resolves to, as dladdr names the library.
	static std::string realPath(const std::string& file)
	{
		char* real = ::realpath(file.c_str(), nullptr);
		std::string resolved = real ? real : "";
		std::free(real);
		return resolved;
	}

	/// A symbolic link to `target` in the temporary folder `dir` (created with `mode`).
	static std::string linkInto(Poco::TemporaryFile& dir, const std::string& target, mode_t mode)
	{
		dir.createDirectories();
		::chmod(dir.path().c_str(), mode);
		const std::string link = dir.path() + "/" + Poco::Path(target).getFileName();
		CPPUNIT_ASSERT_EQUAL(0, ::symlink(target.c_str(), link.c_str()));
		return link;
	}

	/// The shared library whose code made `object` (the file of its vtable).
	static std::string libraryOf(const void* object)
	{
		Dl_info info{};
		CPPUNIT_ASSERT(::dladdr(*reinterpret_cast<void* const*>(object), &info) != 0);
		return info.dli_fname ? info.dli_fname : "";
	}

	/// Copies `source` into the temporary folder `dir` (created with `mode`).
	static std::string copyInto(Poco::TemporaryFile& dir, const std::string& source, mode_t mode)
	{
		dir.createDirectories();
		::chmod(dir.path().c_str(), mode);
		Poco::File(source).copyTo(dir.path());
		const std::string file = dir.path() + "/" + Poco::Path(source).getFileName();
		::chmod(file.c_str(), 0644);
		return file;
	}

	/// A temporary plugins folder: fixtures/mixed/* plus the real memory plugin.
	static void mixedFolder(Poco::TemporaryFile& dir)
	{
		dir.createDirectories();
		for (Poco::DirectoryIterator it(fixtureDir() + "/mixed"), end; it != end; ++it)
			it->copyTo(dir.path());
		Poco::File(memoryPlugin()).copyTo(dir.path());
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), PluginHost::pluginFiles(dir.path()).size());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginHostTest);
