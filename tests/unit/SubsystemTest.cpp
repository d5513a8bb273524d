// Suite ID: unit.subsystem
//
// SubsystemTest.cpp
//
// EventBusSubsystem embeds the bus in a Poco::Util::Application: built from
// the application's eventbus.* keys (or eventbus.config.file) on initialize,
// closed on uninitialize.
//
#include "BusTestSupport.h"
#include "eventbus/EventBusSubsystem.h"
#include <Poco/FileStream.h>
#include <Poco/TemporaryFile.h>
#include <Poco/Util/Application.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

namespace {

/// An application that is initialised by hand and never run.
class HostApplication : public Poco::Util::Application
{
public:
	HostApplication()
	{
		addSubsystem(new EventBusSubsystem);
	}
	void configure(const std::map<std::string, std::string>& keys)
	{
		std::vector<std::string> args{"host-app"};
		init(args);
		for (const auto& kv : keys)
			config().setString(kv.first, kv.second);
	}
	using Poco::Util::Application::initialize;
	using Poco::Util::Application::uninitialize;
protected:
	int main(const std::vector<std::string>&) override { return EXIT_OK; }
};

std::map<std::string, std::string> loopbackKeys()
{
	return {
		{"eventbus.env", "test"},
		{"eventbus.transport", "loopback"},
		{"eventbus.plugins.path", pluginDir()},
	};
}

} // namespace

class SubsystemTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(SubsystemTest);
	CPPUNIT_TEST(testHasAName);
	CPPUNIT_TEST(testBusBeforeInitializeIsRefused);
	CPPUNIT_TEST(testBusIsBuiltFromApplicationConfig);
	CPPUNIT_TEST(testBusIsUsable);
	CPPUNIT_TEST(testConfigFileIsLoaded);
	CPPUNIT_TEST(testBadConfigFailsInitialize);
	CPPUNIT_TEST(testUninitializeClosesTheBus);
	CPPUNIT_TEST_SUITE_END();

public:
	void testHasAName()
	{
		EventBusSubsystem subsystem;
		CPPUNIT_ASSERT(std::string(subsystem.name()).size() > 0);
	}

	void testBusBeforeInitializeIsRefused()
	{
		EventBusSubsystem subsystem;
		expectThrow<Poco::IllegalStateException>([&] { subsystem.bus(); });
	}

	void testBusIsBuiltFromApplicationConfig()
	{
		HostApplication app;
		app.configure(loopbackKeys());
		app.initialize(app);
		EventBus& bus = app.getSubsystem<EventBusSubsystem>().bus();
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), bus.transport().name());
		CPPUNIT_ASSERT_EQUAL(std::string("test"), bus.settings().env);
		app.uninitialize();
	}

	void testBusIsUsable()
	{
		Collector got;
		HostApplication app;
		app.configure(loopbackKeys());
		app.initialize(app);
		EventBus& bus = app.getSubsystem<EventBusSubsystem>().bus();
		bus.subscribe("host.ping", got.handler(), TenantScope::tenant("acme"));
		const Receipt r = bus.publish("host.ping", payload("a", 1), "acme");
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), got.size());
		CPPUNIT_ASSERT_EQUAL(r.messageId, got.at(0).id);
		CPPUNIT_ASSERT(bus.health().ready);
		app.uninitialize();
	}

	void testConfigFileIsLoaded()
	{
		Poco::TemporaryFile dir;
		dir.createDirectories();
		{
			Poco::FileOutputStream out(dir.path() + "/bus.properties");
			out << "eventbus.transport = memory\n"
			    << "eventbus.channel.prefix = fromfile\n"
			    << "eventbus.plugins.path = " << pluginDir() << "\n";
		}
		{
			Poco::FileOutputStream out(dir.path() + "/bus.test.properties");
			out << "eventbus.transport = loopback\n";
		}
		HostApplication app;
		app.configure({{"eventbus.config.file", dir.path() + "/bus.properties"}, {"eventbus.env", "test"}});
		app.initialize(app);
		EventBus& bus = app.getSubsystem<EventBusSubsystem>().bus();
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), bus.transport().name());
		CPPUNIT_ASSERT_EQUAL(std::string("fromfile"), bus.settings().prefix);
		app.uninitialize();
	}

	void testBadConfigFailsInitialize()
	{
		HostApplication app;
		auto keys = loopbackKeys();
		keys["eventbus.env"] = "production";
		app.configure(keys);
		expectThrow<PolicyException>([&] { app.initialize(app); });
	}

	void testUninitializeClosesTheBus()
	{
		HostApplication app;
		app.configure(loopbackKeys());
		app.initialize(app);
		EventBusSubsystem& subsystem = app.getSubsystem<EventBusSubsystem>();
		std::atomic<int> calls{0};
		subsystem.bus().subscribe("host.ping", [&](const Event&) { ++calls; }, TenantScope::tenant("acme"));
		app.uninitialize();
		bool refused = false;
		try
		{
			subsystem.bus().publish("host.ping", payload("a", 1), "acme");
		}
		catch (Poco::Exception&)
		{
			refused = true; // no bus any more, or a closed one
		}
		CPPUNIT_ASSERT_MESSAGE("publish after uninitialize was accepted", refused);
		CPPUNIT_ASSERT_EQUAL(0, calls.load());
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(SubsystemTest);
