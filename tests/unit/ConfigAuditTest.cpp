// Suite ID: unit.configaudit
//
// ConfigAuditTest.cpp
//
// Unknown eventbus.* keys: a key neither the bus, its transport nor the host
// reads is reported once with the nearest known key, refused when
// eventbus.config.strict=true; keys of a transport not running here are not
// checked. Buses on the memory and loopback plugins.
//
#include "UnitSupport.h"
#include "eventbus/ConfigAudit.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/RecordingConfiguration.h"
#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <cppunit/extensions/HelperMacros.h>
#include <mutex>

using namespace eventbus;
using namespace eventbus::test;

namespace {

// What the logger eventbus.config writes while it lives.
class ConfigLog: public Poco::Channel
{
public:
	void log(const Poco::Message& message) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_lines.push_back(message.getText());
	}

	std::vector<std::string> lines() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _lines;
	}

	std::size_t countContaining(const std::string& text) const
	{
		std::size_t n = 0;
		for (const auto& line : lines()) n += contains(line, text);
		return n;
	}

private:
	mutable std::mutex _mutex;
	std::vector<std::string> _lines;
};

class ScopedConfigLog
{
public:
	ScopedConfigLog(): _log(new ConfigLog), _logger(Poco::Logger::get("eventbus.config"))
	{
		_previous = Poco::AutoPtr<Poco::Channel>(_logger.getChannel(), true);
		_level = _logger.getLevel();
		_logger.setChannel(_log);
		_logger.setLevel(Poco::Message::PRIO_WARNING);
	}
	~ScopedConfigLog()
	{
		_logger.setChannel(_previous);
		_logger.setLevel(_level);
	}
	const ConfigLog& operator*() const { return *_log; }
	const ConfigLog* operator->() const { return _log.get(); }

private:
	Poco::AutoPtr<ConfigLog> _log;
	Poco::Logger& _logger;
	Poco::AutoPtr<Poco::Channel> _previous;
	int _level = 0;
};

} // namespace

class ConfigAuditTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ConfigAuditTest);
	CPPUNIT_TEST(testMisspeltTransportKeyWarnsWithTheNearestKnownKey);
	CPPUNIT_TEST(testMisspeltFrameworkKeyWarnsWithTheNearestKnownKey);
	CPPUNIT_TEST(testUnknownKeyIsWarnedAboutOncePerProcess);
	CPPUNIT_TEST(testKeysTheBusAndTransportReadAreKnown);
	CPPUNIT_TEST(testKeysOfATransportNotRunningHereAreNotChecked);
	CPPUNIT_TEST(testStrictModeRefusesAnUnknownKey);
	CPPUNIT_TEST(testStrictModeMustBeABoolean);
	CPPUNIT_TEST(testHostDeclaredKeysAreKnown);
	CPPUNIT_TEST(testEnumeratedChildrenAreKnown);
	CPPUNIT_TEST(testNearestKeyIgnoresCaseAndRefusesFarCandidates);
	CPPUNIT_TEST_SUITE_END();

public:
	void testMisspeltTransportKeyWarnsWithTheNearestKnownKey()
	{
		ScopedConfigLog log;
		auto config = makeConfig("memory", {{"eventbus.memory.queueCapasity", "5"}});
		EventBus bus(*config);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(log->lines()), std::size_t(1), log->countContaining(
			"unknown configuration key eventbus.memory.queueCapasity (did you mean eventbus.memory.queueCapacity?)"));
	}

	void testMisspeltFrameworkKeyWarnsWithTheNearestKnownKey()
	{
		ScopedConfigLog log;
		auto config = makeConfig("loopback", {{"eventbus.idempotency.windowSecond", "60"}});
		EventBus bus(*config);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(log->lines()), std::size_t(1), log->countContaining(
			"eventbus.idempotency.windowSecond (did you mean eventbus.idempotency.windowSeconds?)"));
	}

	void testUnknownKeyIsWarnedAboutOncePerProcess()
	{
		ScopedConfigLog log;
		auto config = makeConfig("memory", {{"eventbus.nobody.readsThisKey", "1"}});
		{
			EventBus first(*config);
		}
		EventBus second(*config);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(log->lines()), std::size_t(1),
			log->countContaining("unknown configuration key eventbus.nobody.readsThisKey"));
	}

	void testKeysTheBusAndTransportReadAreKnown()
	{
		ScopedConfigLog log;
		auto config = makeConfig("memory", {{"eventbus.memory.queueCapacity", "5"},
			{"eventbus.memory.enqueueTimeoutMs", "10"}, {"eventbus.maxPayloadBytes", "1000"},
			{"eventbus.redaction.mode", "payload"}, {"eventbus.security.signing.key", signingKey()},
			{"eventbus.security.signing.keys.old", signingKey() + "-old"}});
		EventBus bus(*config);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(log->lines()), std::size_t(0), log->lines().size());
		const RecordingConfiguration::Ptr recorded(new RecordingConfiguration(*config));
		EventBus recordedBus(*recorded);
		CPPUNIT_ASSERT(ConfigAudit::unknownKeys(*recorded).empty());
	}

	void testKeysOfATransportNotRunningHereAreNotChecked()
	{
		// The shipped base file sets eventbus.memory.* and eventbus.redis.* for every env.
		ScopedConfigLog log;
		auto config = makeConfig("loopback", {{"eventbus.memory.queueCapasity", "5"}});
		const RecordingConfiguration::Ptr recorded(new RecordingConfiguration(*config));
		EventBus bus(*recorded);
		CPPUNIT_ASSERT(ConfigAudit::unknownKeys(*recorded).empty());
		CPPUNIT_ASSERT_EQUAL_MESSAGE(joined(log->lines()), std::size_t(0), log->lines().size());
	}

	void testStrictModeRefusesAnUnknownKey()
	{
		auto config = makeConfig("loopback", {{"eventbus.loopback.capacity", "5"}, {ConfigAudit::StrictKey, "true"}});
		const std::string msg = expectThrow<ConfigException>([&]() { EventBus bus(*config); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.loopback.capacity"));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, ConfigAudit::StrictKey));
		config->setString("eventbus.config.strict", "false");
		EventBus lenient(*config);
		CPPUNIT_ASSERT(lenient.health().ready);
	}

	void testStrictModeMustBeABoolean()
	{
		auto config = makeConfig("memory", {{ConfigAudit::StrictKey, "maybe"}});
		const std::string msg = expectThrow<ConfigException>([&]() { EventBus bus(*config); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, ConfigAudit::StrictKey));
	}

	void testHostDeclaredKeysAreKnown()
	{
		ScopedConfigLog log;
		auto config = makeConfig("memory", {{"eventbus.http.port", "8080"}, {ConfigAudit::StrictKey, "true"}});
		const RecordingConfiguration::Ptr undeclared(new RecordingConfiguration(*config));
		{
			EventBus bus(*undeclared); // the host reports, not the bus
			const std::string msg = expectThrow<ConfigException>([&]() { ConfigAudit::reportUnknownKeys(*undeclared); });
			CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "eventbus.http.port"));
		}
		RecordingConfiguration::Ptr declared(new RecordingConfiguration(*config));
		declared->declare({"eventbus.http.port"});
		EventBus bus(*declared);
		ConfigAudit::reportUnknownKeys(*declared);
		CPPUNIT_ASSERT(ConfigAudit::unknownKeys(*declared).empty());
	}

	void testEnumeratedChildrenAreKnown()
	{
		auto config = makeConfig("memory", {{"eventbus.custom.a", "1"}, {"eventbus.custom.b.c", "2"}});
		const RecordingConfiguration::Ptr recorded(new RecordingConfiguration(*config));
		Poco::Util::AbstractConfiguration::Keys keys;
		recorded->keys("eventbus.custom", keys);
		CPPUNIT_ASSERT(recorded->isKnown("eventbus.custom.a"));
		CPPUNIT_ASSERT(!recorded->isKnown("eventbus.custom.b.c"));
		CPPUNIT_ASSERT(!recorded->isKnown("eventbus.other"));
		recorded->hasProperty("eventbus.other");
		CPPUNIT_ASSERT(recorded->isKnown("eventbus.other"));
	}

	void testNearestKeyIgnoresCaseAndRefusesFarCandidates()
	{
		const std::vector<std::string> known{"eventbus.redis.onOutage", "eventbus.redis.url", "eventbus.transport"};
		CPPUNIT_ASSERT_EQUAL(std::string("eventbus.redis.onOutage"), ConfigAudit::nearestKey("eventbus.redis.onOutge", known));
		CPPUNIT_ASSERT_EQUAL(std::string("eventbus.redis.onOutage"), ConfigAudit::nearestKey("eventbus.redis.ONOUTAGE", known));
		CPPUNIT_ASSERT_EQUAL(std::string("eventbus.transport"), ConfigAudit::nearestKey("eventbus.transprot", known));
		CPPUNIT_ASSERT_EQUAL(std::string(), ConfigAudit::nearestKey("eventbus.metrics.somethingElse", known));
		CPPUNIT_ASSERT_EQUAL(std::string(), ConfigAudit::nearestKey("eventbus.x", {}));
	}

private:
	static std::string joined(const std::vector<std::string>& lines)
	{
		std::string out;
		for (const auto& line : lines) out += line + "\n";
		return out;
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigAuditTest);
