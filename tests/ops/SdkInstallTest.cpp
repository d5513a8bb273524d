// Suite ID: ops.sdk
//
// SdkInstallTest.cpp
//
// The SDK as a plugin author meets it: `cmake --install` of this build tree
// into a scratch prefix; examples/plugin-skeleton configured and built out of
// tree against that prefix (find_package(eventbus CONFIG)), passing the
// conformance suite shipped with the SDK; its .so dropped into the installed
// plugins folder and selected by configuration alone by the installed CLI.
// The steps build on each other; each test runs the ones it needs once.
//
#include "OpsSupport.h"
#include "TestSupport.h"
#include "eventbus/Transport.h"
#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Path.h>
#include <cppunit/extensions/HelperMacros.h>
#include <algorithm>
#include <regex>
#include <set>

using namespace eventbus::test;

namespace {

const std::string Work = EVENTBUS_OPS_WORK_DIR;
const std::string Prefix = Work + "/prefix";
const std::string SkeletonBuild = Work + "/skeleton-build";
const std::string InstalledPlugins = Prefix + "/lib/eventbus/plugins";

bool installed = false;
bool skeletonBuilt = false;
bool deployed = false;

std::string describe(const CommandResult& r)
{
	return "exit " + std::to_string(r.exitCode) + (r.timedOut ? " (timed out)" : "") + "\nstdout:\n" + r.out
		+ "\nstderr:\n" + r.err;
}

bool exists(const std::string& path)
{
	return Poco::File(path).exists();
}

std::set<std::string> filesIn(const std::string& folder)
{
	std::set<std::string> names;
	for (Poco::DirectoryIterator it(folder), end; it != end; ++it) names.insert(it.name());
	return names;
}

void ensureInstalled()
{
	if (installed) return;
	if (exists(Work)) Poco::File(Work).remove(true);
	Poco::File(Work).createDirectories();
	CommandResult r = runCommand(EVENTBUS_OPS_CMAKE, {"--install", EVENTBUS_OPS_BUILD_DIR, "--prefix", Prefix}, "",
		std::chrono::milliseconds(120000));
	CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(r), 0, r.exitCode);
	installed = true;
}

void ensureSkeletonBuilt()
{
	if (skeletonBuilt) return;
	ensureInstalled();
	CommandResult configure = runCommand(EVENTBUS_OPS_CMAKE, {"-S", sourceDir() + "/examples/plugin-skeleton",
		"-B", SkeletonBuild, "-DCMAKE_PREFIX_PATH=" + Prefix, "-DCMAKE_CXX_COMPILER=" EVENTBUS_OPS_CXX,
		"-DCMAKE_BUILD_TYPE="}, "", std::chrono::milliseconds(120000));
	CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(configure), 0, configure.exitCode);
	CommandResult build = runCommand(EVENTBUS_OPS_CMAKE, {"--build", SkeletonBuild, "-j2"}, "",
		std::chrono::milliseconds(400000));
	CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(build), 0, build.exitCode);
	CPPUNIT_ASSERT_MESSAGE("warnings in the out-of-tree build:\n" + build.out + build.err,
		(build.out + build.err).find("warning:") == std::string::npos);
	skeletonBuilt = true;
}

void ensureDeployed()
{
	if (deployed) return;
	ensureSkeletonBuilt();
	Poco::File(SkeletonBuild + "/plugins/libeventbus_skeleton.so").copyTo(InstalledPlugins);
	deployed = true;
}

CommandResult installedEventbus(const std::vector<std::string>& args)
{
	return runCommand(Prefix + "/bin/eventbus", args, "", std::chrono::milliseconds(30000));
}

} // namespace

class SdkInstallTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SdkInstallTest);
	CPPUNIT_TEST(testInstallPutsTheSdkInStandardPlaces);
	CPPUNIT_TEST(testInstalledCliUsesTheInstalledConfigurationAndPlugins);
	CPPUNIT_TEST(testSkeletonBuiltOutOfTreePassesTheShippedConformanceSuite);
	CPPUNIT_TEST(testDroppedInPluginIsSelectedByConfigurationAlone);
	CPPUNIT_TEST_SUITE_END();

public:
	void testInstallPutsTheSdkInStandardPlaces()
	{
		ensureInstalled();
		for (const char* path : {"/include/eventbus/EventBus.h", "/include/eventbus/Transport.h", "/include/eventbus/Plugin.h",
				"/include/eventbus/middleware/MiddlewareChain.h", "/lib/libeventbus.so",
				"/lib/cmake/eventbus/eventbusConfig.cmake", "/lib/cmake/eventbus/eventbusConfigVersion.cmake",
				"/lib/cmake/eventbus/eventbusTargets.cmake", "/lib/cmake/eventbus/eventbusPlugin.cmake",
				"/bin/eventbus", "/etc/eventbus/eventbus.properties", "/etc/eventbus/eventbus.production.properties",
				"/share/eventbus/conformance/TransportConformanceTest.cpp",
				"/share/eventbus/conformance/TransportConformance.h", "/share/eventbus/conformance/README.md"})
			CPPUNIT_ASSERT_MESSAGE(std::string("not installed: ") + path, exists(Prefix + path));
		// The transports, and only they: no test fixture lands in the plugins folder.
		std::set<std::string> plugins = filesIn(InstalledPlugins);
		CPPUNIT_ASSERT(plugins.count("libeventbus_memory.so") == 1);
		CPPUNIT_ASSERT(plugins.count("libeventbus_loopback.so") == 1);
		for (const auto& name : plugins)
		{
			if (name == "libeventbus_skeleton.so") continue; // deployed by a later test of this run
			CPPUNIT_ASSERT_MESSAGE("unexpected file in the installed plugins folder: " + name,
				name == "libeventbus_memory.so" || name == "libeventbus_loopback.so" || name == "libeventbus_redis.so");
		}
	}

	void testInstalledCliUsesTheInstalledConfigurationAndPlugins()
	{
		ensureInstalled();
		CommandResult plugins = installedEventbus({"plugins"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(plugins), 0, plugins.exitCode);
		// etc/eventbus/eventbus.properties of the prefix, whose plugins path is
		// ${application.dir}../lib/eventbus/plugins.
		CPPUNIT_ASSERT_MESSAGE(plugins.out,
			plugins.out.find("plugins folder: " + Prefix + "/bin/../lib/eventbus/plugins") != std::string::npos);
		CPPUNIT_ASSERT(std::regex_search(plugins.out, std::regex("libeventbus_memory\\.so +memory +" + std::to_string(EVENTBUS_PLUGIN_API_VERSION) + " +ok")));
		CommandResult demo = installedEventbus({"demo"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(demo), 0, demo.exitCode);
	}

	void testSkeletonBuiltOutOfTreePassesTheShippedConformanceSuite()
	{
		ensureSkeletonBuilt();
		CPPUNIT_ASSERT(exists(SkeletonBuild + "/plugins/libeventbus_skeleton.so"));
		CommandResult conformance = runCommand(SkeletonBuild + "/skeleton_conformance", {}, "",
			std::chrono::milliseconds(120000));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(conformance), 0, conformance.exitCode);
		std::smatch passed;
		CPPUNIT_ASSERT_MESSAGE(conformance.out,
			std::regex_search(conformance.out, passed, std::regex("([0-9]+) passed, 0 failed")));
		CPPUNIT_ASSERT(std::stoi(passed[1].str()) >= 10);
		CPPUNIT_ASSERT(conformance.out.find("testUnsubscribeStopsDeliveryBeforeItReturns : OK") != std::string::npos);
	}

	void testDroppedInPluginIsSelectedByConfigurationAlone()
	{
		ensureDeployed();
		CommandResult plugins = installedEventbus({"--define", "eventbus.transport=skeleton", "plugins"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(plugins), 0, plugins.exitCode);
		CPPUNIT_ASSERT_MESSAGE(plugins.out,
			std::regex_search(plugins.out, std::regex("libeventbus_skeleton\\.so +skeleton +"
				+ std::to_string(EVENTBUS_PLUGIN_API_VERSION) + " +ok\n  capability skeleton/tenant-access\n")));

		// Its capability, found beside the transport, makes `tenant` work for it.
		CommandResult tenant = installedEventbus({"--env", "local", "--define", "eventbus.transport=skeleton", "tenant", "provision",
			"--tenant", "acme", "--password-hash", std::string(64, 'a')});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(tenant), 0, tenant.exitCode);
		CPPUNIT_ASSERT_EQUAL(std::string("USER SET c2pro.local.acme sha256:" + std::string(64, 'a')
			+ " channels c2pro.local.acme.* allow publish,subscribe\n"), tenant.out);

		CommandResult health = installedEventbus({"--define", "eventbus.transport=skeleton", "health"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(health), 0, health.exitCode);
		CPPUNIT_ASSERT_MESSAGE(health.out, health.out.find("ready: transport skeleton") == 0);

		// An event published and received through the skeleton, end to end.
		CommandResult demo = installedEventbus({"--define", "eventbus.demo.transport=skeleton", "demo"});
		CPPUNIT_ASSERT_EQUAL_MESSAGE(describe(demo), 0, demo.exitCode);
		CPPUNIT_ASSERT_MESSAGE(demo.out, demo.out.find("transport 'skeleton'") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(demo.out, demo.out.find("[ok]   acme received only A-1") != std::string::npos);
		CPPUNIT_ASSERT_MESSAGE(demo.out, demo.out.find(" 0 failed") != std::string::npos);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(SdkInstallTest);
