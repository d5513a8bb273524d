// Suite ID: unit.pluginhost.loading
//
// PluginHostLoadingTest.cpp
//
// Part of the PluginHostTest suite. The plugin host lists and loads the real
// transport plugins and creates transports from them (each create a new one,
// each from its own file); it refuses every bad fixture with an error naming
// the file and the reason; inspect() never throws; bad files beside good ones
// do not stop the good ones, and an unknown transport's error lists what
// exists and what was rejected.
//
#include "PluginHostTestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/PluginHost.h"
#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>
#include <algorithm>
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

class PluginHostLoadingTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PluginHostLoadingTest);
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

private:
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

CPPUNIT_TEST_SUITE_REGISTRATION(PluginHostLoadingTest);
