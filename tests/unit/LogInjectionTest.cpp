// Suite ID: unit.log-injection
//
// LogInjectionTest.cpp
//
// Untrusted text never forges a log line or drives a terminal: SafeText
// escapes control characters, invalid UTF-8 and invisible controls into one
// bounded line; name validation quotes the offending value escaped; a
// malformed wire message full of control bytes, received by a bus, is logged
// as exactly one line without a raw control byte; an envelope whose id or
// correlation id holds a control character is refused; a hostile channel in
// a drop diagnostic is escaped.
//
#include "BusTestSupport.h"
#include "RedactionSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include "eventbus/Names.h"
#include "eventbus/SafeText.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Channel = "c2pro.test.acme.orders.created";

// The first raw control byte (C0, DEL) in `text`, as a description, or "".
std::string rawControlIn(const std::string& text)
{
	for (std::size_t i = 0; i < text.size(); ++i)
	{
		const auto c = static_cast<unsigned char>(text[i]);
		if (c < 0x20 || c == 0x7f) return "byte " + std::to_string(c) + " at " + std::to_string(i);
	}
	return {};
}

// A hostile publisher's bytes: a forged line, a carriage return that
// overwrites the line on a terminal, a screen clear, NUL, DEL, invalid UTF-8,
// a C1 CSI and a right-to-left override.
std::string hostileBytes()
{
	return std::string("garbage\n2026-12-03 08:00:00 eventbus.bus [6] FORGED all good\r\x1b[2J\x1b]0;pwned\x07", 75)
		+ std::string("\x00\x7f\xff\xc0\x80\xc2\x9b\xe2\x80\xae tail", 15);
}

} // namespace

class LogInjectionTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(LogInjectionTest);
	CPPUNIT_TEST(testEscapeWritesOneLineOfPrintableText);
	CPPUNIT_TEST(testEscapeKeepsPrintableTextAndUtf8);
	CPPUNIT_TEST(testEscapeIsBoundedAtACharacterBoundary);
	CPPUNIT_TEST(testHostileNamesGiveOneLineMessages);
	CPPUNIT_TEST(testLongHostileNamesAreBounded);
	CPPUNIT_TEST(testPublishRefusalOfAHostileTenantIsOneLine);
	CPPUNIT_TEST(testMalformedWireWithControlBytesLogsOneLine);
	CPPUNIT_TEST(testHostileIdIsRefusedAndLoggedOnOneLine);
	CPPUNIT_TEST(testHostileChannelInDropDiagnosticsIsOneLine);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEscapeWritesOneLineOfPrintableText()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("a\\nb\\rc\\td"), SafeText::escape("a\nb\rc\td"));
		CPPUNIT_ASSERT_EQUAL(std::string("\\u001b[2J\\u0000\\u0007\\u007f"), SafeText::escape(std::string("\x1b[2J\x00\x07\x7f", 7)));
		CPPUNIT_ASSERT_EQUAL(std::string("\\xff\\xc0\\x80\\xed\\xa0\\x80\\xc3"),
			SafeText::escape("\xff\xc0\x80\xed\xa0\x80\xc3"));
		CPPUNIT_ASSERT_EQUAL(std::string("\\u009b\\u2028\\u2029\\u202e\\u2066"),
			SafeText::escape("\xc2\x9b\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xae\xe2\x81\xa6"));
		const std::string escaped = SafeText::escape(hostileBytes());
		CPPUNIT_ASSERT_MESSAGE(rawControlIn(escaped), rawControlIn(escaped).empty());
		CPPUNIT_ASSERT(SafeText::isSafe(escaped));
		CPPUNIT_ASSERT(!SafeText::isSafe(hostileBytes()));
	}

	void testEscapeKeepsPrintableTextAndUtf8()
	{
		const std::string text = "Gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93 \xf0\x9f\x98\x80 \"q\" 'a' back\\slash {\"k\":[1]}";
		CPPUNIT_ASSERT_EQUAL(text, SafeText::escape(text));
		CPPUNIT_ASSERT(SafeText::isSafe(text));
		CPPUNIT_ASSERT_EQUAL(std::string("'acme\\nFORGED'"), SafeText::quote("acme\nFORGED"));
	}

	void testEscapeIsBoundedAtACharacterBoundary()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("abc") + SafeText::TruncationMark, SafeText::escape("abcdef", 3));
		CPPUNIT_ASSERT_EQUAL(std::string("ab") + SafeText::TruncationMark, SafeText::escape("ab\x1b", 5));
		CPPUNIT_ASSERT_EQUAL(std::string("ab") + SafeText::TruncationMark, SafeText::escape("ab\xe2\x9c\x93", 4));
		CPPUNIT_ASSERT_EQUAL(std::string("ab\xe2\x9c\x93"), SafeText::escape("ab\xe2\x9c\x93", 5));
		CPPUNIT_ASSERT_EQUAL(std::string("ab\\n"), SafeText::escape("ab\n", 4));
	}

	void testHostileNamesGiveOneLineMessages()
	{
		const std::vector<std::string> names{"acme\nFORGED line", "\x1b[2J", std::string("a\0b", 3), "x\r\n\ty",
			"\xff\xfe", "ok\xe2\x80\xaereversed"};
		for (const auto& name : names)
		{
			for (const auto& message : {
					expectThrow<ValidationException>([&] { Names::validateTenant(name); }),
					expectThrow<ValidationException>([&] { Names::validateTopic(name); }),
					expectThrow<ValidationException>([&] { Names::validateEnv(name); }),
					expectThrow<ValidationException>([&] { Names::validatePrefix(name); }),
					expectThrow<ValidationException>([&] { ChannelName::build("c2pro", "test", name, "orders"); })})
			{
				CPPUNIT_ASSERT_MESSAGE(rawControlIn(message), rawControlIn(message).empty());
				CPPUNIT_ASSERT_MESSAGE(message, SafeText::isSafe(message));
				CPPUNIT_ASSERT_MESSAGE(message, contains(message, SafeText::quote(name)));
			}
		}
		CPPUNIT_ASSERT_EQUAL(std::string("tenantId: 'acme\\nFORGED' is invalid: only A-Z, a-z, 0-9, '_' and '-' are allowed "
			"(no dots or glob characters)"), expectThrow<ValidationException>([] { Names::validateTenant("acme\nFORGED"); }));
		CPPUNIT_ASSERT_EQUAL(std::string("topic: '\\u001b[2J' is invalid: only dot-separated segments of a-z, 0-9, '_' and "
			"'-' are allowed"), expectThrow<ValidationException>([] { Names::validateTopic("\x1b[2J"); }));
	}

	void testLongHostileNamesAreBounded()
	{
		std::string name;
		for (int i = 0; i < 500; ++i) name += "\x1b\n";
		const std::string message = expectThrow<ValidationException>([&] { Names::validateTenant(name); });
		CPPUNIT_ASSERT_MESSAGE(std::to_string(message.size()), message.size() < 200);
		CPPUNIT_ASSERT(contains(message, SafeText::TruncationMark));
		CPPUNIT_ASSERT(rawControlIn(message).empty());
	}

	void testPublishRefusalOfAHostileTenantIsOneLine()
	{
		EventBus bus(*makeConfig("loopback"));
		for (const std::string tenant : {"acme\nFORGED", "\x1b[2J"})
		{
			const std::string message = expectThrow<ValidationException>([&] { bus.publish("orders.created", "{}", tenant); });
			CPPUNIT_ASSERT_MESSAGE(message, startsWith(message, "tenantId: '"));
			CPPUNIT_ASSERT_MESSAGE(rawControlIn(message), rawControlIn(message).empty());
		}
		const std::string topic = expectThrow<ValidationException>([&] { bus.publish("orders\r\ncreated", "{}", "acme"); });
		CPPUNIT_ASSERT_MESSAGE(topic, startsWith(topic, "topic: 'orders\\r\\ncreated'"));
	}

	void testMalformedWireWithControlBytesLogsOneLine()
	{
		TraceEverything trace;
		auto spy = std::make_shared<SpyTransport>();
		{
			EventBus bus(*makeConfig("loopback"), spy);
			Collector collector;
			bus.subscribe("orders.created", collector.handler(), TenantScope::tenant("acme"));
			// Not JSON: the decoder refuses it, the bus logs the bytes.
			CPPUNIT_ASSERT_EQUAL(std::size_t(1), spy->deliver(InboundMessage{Channel, hostileBytes(), nullptr}));
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), collector.size());
		}
		std::size_t malformed = 0;
		for (const auto& line : trace.capture().lines())
		{
			CPPUNIT_ASSERT_MESSAGE(rawControlIn(line) + " in " + SafeText::escape(line), rawControlIn(line).empty());
			CPPUNIT_ASSERT_MESSAGE(SafeText::escape(line), SafeText::isSafe(line));
			if (contains(line, "dropped malformed message on " + Channel))
			{
				++malformed;
				CPPUNIT_ASSERT_MESSAGE(line, contains(line, "bytes: garbage\\n2026-12-03 08:00:00 eventbus.bus [6] FORGED all good"
					"\\r\\u001b[2J\\u001b]0;pwned\\u0007\\u0000\\u007f\\xff\\xc0\\x80\\u009b\\u202e tail"));
			}
			else CPPUNIT_ASSERT_MESSAGE(line, !contains(line, "FORGED"));
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), malformed);
	}

	void testHostileIdIsRefusedAndLoggedOnOneLine()
	{
		TraceEverything trace;
		auto spy = std::make_shared<SpyTransport>();
		{
			EventBus bus(*makeConfig("loopback"), spy);
			Collector collector;
			bus.subscribe("orders.created", collector.handler(), TenantScope::tenant("acme"));
			// The id and correlation id reach handler-error and debug lines: a
			// control character there is refused by the decoder.
			Event e = handMadeEvent("acme", "orders.created");
			e.id = "x\nFORGED line\x1b[2J";
			spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(e), nullptr});
			e = handMadeEvent("acme", "orders.created");
			e.correlationId = "c\rFORGED";
			spy->deliver(InboundMessage{Channel, CloudEventCodec::encode(e), nullptr});
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), collector.size());
			CPPUNIT_ASSERT_EQUAL(std::uint64_t(2), bus.metrics().counterValue(Metrics::Dropped,
				{{"reason", "malformed"}, {"transport", "spy"}}));
		}
		std::size_t refused = 0;
		for (const auto& line : trace.capture().lines())
		{
			CPPUNIT_ASSERT_MESSAGE(SafeText::escape(line), rawControlIn(line).empty());
			if (contains(line, "envelope: attribute 'id' holds a control character; bytes: ")
				|| contains(line, "envelope: attribute 'correlationid' holds a control character; bytes: "))
				++refused;
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), refused);
	}

	void testHostileChannelInDropDiagnosticsIsOneLine()
	{
		TraceEverything trace;
		auto spy = std::make_shared<SpyTransport>();
		{
			EventBus bus(*makeConfig("loopback", {{"eventbus.security.allowCrossTenant", "true"}}), spy);
			Collector collector;
			bus.subscribe("orders.created", collector.handler(), TenantScope::allTenants());
			// The cross-tenant pattern's '*' matches anything, also a newline.
			const std::string channel = "c2pro.test.acme\nFORGED\x1b[2J.orders.created";
			CPPUNIT_ASSERT_EQUAL(std::size_t(1), spy->deliver(InboundMessage{channel,
				CloudEventCodec::encode(handMadeEvent("acme", "orders.created")), nullptr}));
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), collector.size());
		}
		bool seen = false;
		for (const auto& line : trace.capture().lines())
		{
			CPPUNIT_ASSERT_MESSAGE(SafeText::escape(line), rawControlIn(line).empty());
			seen = seen || contains(line, "dropped event on c2pro.test.acme\\nFORGED\\u001b[2J.orders.created: bad-channel");
		}
		CPPUNIT_ASSERT(seen);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogInjectionTest);
