// Suite ID: unit.codec
//
// CodecTest.cpp
//
// The CloudEvents 1.0 structured-mode codec: every attribute survives a round
// trip; a malformed envelope is refused naming the attribute, and a refusal
// never echoes a data value.
//
#include "UnitSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Exceptions.h"
#include <Poco/DateTime.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>
#include <cppunit/extensions/HelperMacros.h>
#include <Poco/NumericString.h>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <sstream>
#include <vector>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::size_t Big = 1024 * 1024;
const Poco::Timestamp::TimeVal SomeTime = 1700000000123456LL; // 2023-11-14T22:13:20.123456Z

Event sampleEvent()
{
	Event e;
	e.id = "0f8e6a2c-1b4d-4c3e-9a7b-5d6e7f8a9b0c";
	e.source = "/eventbus/unit";
	e.type = "orders.created";
	e.time = Poco::Timestamp(SomeTime);
	e.tenantId = "acme";
	e.correlationId = "corr-42";
	e.extensions["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
	e.extensions["region"] = "eu";
	e.data = new Poco::JSON::Object;
	e.data->set("orderId", 17);
	e.data->set("text", std::string("Gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93 \"quoted\" back\\slash\nnew\ttab \x01 end"));
	Poco::JSON::Object::Ptr nested(new Poco::JSON::Object);
	nested->set("amount", 12.5);
	nested->set("ok", true);
	e.data->set("nested", nested);
	Poco::JSON::Array::Ptr items(new Poco::JSON::Array);
	items->add("a");
	items->add(2);
	e.data->set("items", items);
	return e;
}

/// A valid envelope as a JSON object, to be broken by one test at a time.
Poco::JSON::Object::Ptr envelope()
{
	Poco::JSON::Object::Ptr o(new Poco::JSON::Object);
	o->set("specversion", "1.0");
	o->set("id", "7d3c2b1a-0000-4000-8000-000000000001");
	o->set("source", "/eventbus/unit");
	o->set("type", "orders.created");
	o->set("time", "2023-11-14T22:13:20.123456Z");
	o->set("datacontenttype", "application/json");
	o->set("tenantid", "acme");
	o->set("correlationid", "corr-1");
	Poco::JSON::Object::Ptr data(new Poco::JSON::Object);
	data->set("password", "hunter2");
	data->set("n", 1);
	o->set("data", data);
	return o;
}

std::string str(const Poco::JSON::Object::Ptr& o)
{
	std::ostringstream out;
	Poco::JSON::Stringifier::stringify(o, out);
	return out.str();
}

/// Decoding `wire` must fail with ValidationException; returns its message
/// after checking that it never carries the data value "hunter2".
std::string refused(const std::string& wire, std::size_t maxBytes = Big)
{
	const std::string msg = expectThrow<ValidationException>([&] { CloudEventCodec::decode(wire, maxBytes); }, wire.substr(0, 200));
	CPPUNIT_ASSERT_MESSAGE("message echoes a data value: " + msg, !contains(msg, "hunter2"));
	return msg;
}

/// A refusal names the attribute at fault: it starts with it, or (the field
/// being the envelope) quotes it.
bool namesAttribute(const std::string& message, const std::string& attribute)
{
	return startsWith(message, attribute + ":") || contains(message, "'" + attribute + "'");
}

/// Decoding `wire` must fail naming `attribute` first.
void refusedNaming(const std::string& wire, const std::string& attribute)
{
	const std::string msg = refused(wire);
	CPPUNIT_ASSERT_MESSAGE("expected a message starting with " + attribute + ": " + msg, namesAttribute(msg, attribute));
}

} // namespace

class CodecTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(CodecTest);
	CPPUNIT_TEST(testRoundTripKeepsEveryAttribute);
	CPPUNIT_TEST(testRoundTripKeepsTimeToTheMicrosecond);
	CPPUNIT_TEST(testRoundTripKeepsUnicodeAndEscapesInData);
	CPPUNIT_TEST(testWireIsCloudEventsStructuredJson);
	CPPUNIT_TEST(testEncodeWithPreStringifiedData);
	CPPUNIT_TEST(testFormatTimeIsRfc3339WithMicrosecondsUtc);
	CPPUNIT_TEST(testTimeIsWrittenAsPocoFormatsIt);
	CPPUNIT_TEST(testTimeWithOffsetIsNormalisedToUtc);
	CPPUNIT_TEST(testValidEnvelopeDecodes);
	CPPUNIT_TEST(testNonJsonIsRefused);
	CPPUNIT_TEST(testTruncatedJsonIsRefusedWithoutEchoingIt);
	CPPUNIT_TEST(testJsonArrayIsRefused);
	CPPUNIT_TEST(testMissingSpecversionIsRefused);
	CPPUNIT_TEST(testWrongSpecversionIsRefused);
	CPPUNIT_TEST(testMissingIdIsRefused);
	CPPUNIT_TEST(testEmptyIdIsRefused);
	CPPUNIT_TEST(testMissingSourceIsRefused);
	CPPUNIT_TEST(testMissingTypeIsRefused);
	CPPUNIT_TEST(testInvalidTopicAsTypeIsRefused);
	CPPUNIT_TEST(testMissingTenantIdIsRefused);
	CPPUNIT_TEST(testTenantIdWithDotIsRefused);
	CPPUNIT_TEST(testNonObjectDataIsRefused);
	CPPUNIT_TEST(testStringDataIsRefusedWithoutEchoingIt);
	CPPUNIT_TEST(testBadTimeIsRefused);
	CPPUNIT_TEST(testNonStringExtensionIsRefused);
	CPPUNIT_TEST(testTooManyExtensionsAreRefused);
	CPPUNIT_TEST(testSomeExtensionsAreAccepted);
	CPPUNIT_TEST(testEnvelopeOverMaxBytesIsRefused);
	CPPUNIT_TEST(testDeeplyNestedDataIsRefused);
	CPPUNIT_TEST(testTimeBeforeEpochIsRefused);
	CPPUNIT_TEST(testRefusalNeverContainsDataValue);
	CPPUNIT_TEST(testControlCharacterInAnyPositionOfAnIdIsRefused);
	CPPUNIT_TEST(testStringsAreWrittenAsPocoWritesThem);
	CPPUNIT_TEST(testBytesPastAShortStringsEndAreNotItsOwn);
	CPPUNIT_TEST(testScalarsAreWrittenAsPocoWritesThem);
	CPPUNIT_TEST(testDoublesAreWrittenAsPocoWritesThem);
	CPPUNIT_TEST_SUITE_END();

public:
	void testRoundTripKeepsEveryAttribute()
	{
		const Event in = sampleEvent();
		const Event out = CloudEventCodec::decode(CloudEventCodec::encode(in), Big);
		CPPUNIT_ASSERT_EQUAL(in.id, out.id);
		CPPUNIT_ASSERT_EQUAL(in.source, out.source);
		CPPUNIT_ASSERT_EQUAL(in.type, out.type);
		CPPUNIT_ASSERT_EQUAL(std::string("orders.created"), out.topic());
		CPPUNIT_ASSERT_EQUAL(in.dataContentType, out.dataContentType);
		CPPUNIT_ASSERT_EQUAL(in.tenantId, out.tenantId);
		CPPUNIT_ASSERT_EQUAL(in.correlationId, out.correlationId);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), out.extensions.size());
		CPPUNIT_ASSERT_EQUAL(in.extensions.at("traceparent"), out.extensions.at("traceparent"));
		CPPUNIT_ASSERT_EQUAL(std::string("eu"), out.extensions.at("region"));
		CPPUNIT_ASSERT(!out.data.isNull());
		CPPUNIT_ASSERT_EQUAL(17, out.data->getValue<int>("orderId"));
		CPPUNIT_ASSERT_EQUAL(12.5, out.data->getObject("nested")->getValue<double>("amount"));
		CPPUNIT_ASSERT(out.data->getObject("nested")->getValue<bool>("ok"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), out.data->getArray("items")->size());
		CPPUNIT_ASSERT_EQUAL(std::string("a"), out.data->getArray("items")->getElement<std::string>(0));
	}

	void testRoundTripKeepsTimeToTheMicrosecond()
	{
		const Event out = CloudEventCodec::decode(CloudEventCodec::encode(sampleEvent()), Big);
		CPPUNIT_ASSERT_EQUAL(SomeTime, out.time.epochMicroseconds());
	}

	void testRoundTripKeepsUnicodeAndEscapesInData()
	{
		const Event in = sampleEvent();
		const Event out = CloudEventCodec::decode(CloudEventCodec::encode(in), Big);
		CPPUNIT_ASSERT_EQUAL(in.data->getValue<std::string>("text"), out.data->getValue<std::string>("text"));
	}

	void testWireIsCloudEventsStructuredJson()
	{
		const std::string wire = CloudEventCodec::encode(sampleEvent());
		Poco::JSON::Parser parser;
		Poco::JSON::Object::Ptr o = parser.parse(wire).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT_EQUAL(std::string("1.0"), o->getValue<std::string>("specversion"));
		CPPUNIT_ASSERT_EQUAL(std::string("orders.created"), o->getValue<std::string>("type"));
		CPPUNIT_ASSERT_EQUAL(std::string("acme"), o->getValue<std::string>("tenantid"));
		CPPUNIT_ASSERT_EQUAL(std::string("corr-42"), o->getValue<std::string>("correlationid"));
		CPPUNIT_ASSERT_EQUAL(std::string("application/json"), o->getValue<std::string>("datacontenttype"));
		CPPUNIT_ASSERT_EQUAL(std::string("2023-11-14T22:13:20.123456Z"), o->getValue<std::string>("time"));
		CPPUNIT_ASSERT_EQUAL(std::string("eu"), o->getValue<std::string>("region"));
		CPPUNIT_ASSERT(o->isObject("data"));
	}

	void testEncodeWithPreStringifiedData()
	{
		Event in = sampleEvent();
		const Event out = CloudEventCodec::decode(CloudEventCodec::encode(in, "{\"x\":[1,2,3],\"y\":\"z\"}"), Big);
		CPPUNIT_ASSERT_EQUAL(std::string("z"), out.data->getValue<std::string>("y"));
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), out.data->getArray("x")->size());
		CPPUNIT_ASSERT(!out.data->has("orderId"));
	}

	void testFormatTimeIsRfc3339WithMicrosecondsUtc()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("2023-11-14T22:13:20.123456Z"), CloudEventCodec::formatTime(Poco::Timestamp(SomeTime)));
		CPPUNIT_ASSERT_EQUAL(std::string("2023-11-14T22:13:20.000001Z"), CloudEventCodec::formatTime(Poco::Timestamp(1700000000000001LL)));
	}

	void testTimeIsWrittenAsPocoFormatsIt()
	{
		// The time is written without Poco from 1970 to 9999 (in the
		// envelope straight into the text), by Poco outside: both as
		// DateTimeFormatter writes it, in formatTime and in the envelope.
		const std::vector<Poco::Timestamp::TimeVal> times{0, 1, 999999, 1000000, 951782400000000LL /* 2000-02-29 */,
			SomeTime, 4107542399999999LL /* 2100-02-28T23:59:59.999999 */, 253402300799999999LL /* 9999-12-31T23:59:59.999999 */,
			253402300800000000LL, -1, -1000000, -86400000000LL * 365};
		for (const Poco::Timestamp::TimeVal micros : times)
		{
			const Poco::Timestamp ts(micros);
			const std::string poco = Poco::DateTimeFormatter::format(ts, "%Y-%m-%dT%H:%M:%S.%FZ");
			CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(micros), poco, CloudEventCodec::formatTime(ts));
			Event event;
			event.id = "id-1";
			event.source = "/s";
			event.type = "orders.created";
			event.tenantId = "acme";
			event.time = ts;
			const std::string wire = CloudEventCodec::encode(event, "{}");
			CPPUNIT_ASSERT_MESSAGE(wire, contains(wire, ",\"time\":\"" + poco + "\","));
		}
	}

	void testTimeWithOffsetIsNormalisedToUtc()
	{
		auto o = envelope();
		o->set("time", "2023-11-15T00:13:20.123456+02:00");
		CPPUNIT_ASSERT_EQUAL(SomeTime, CloudEventCodec::decode(str(o), Big).time.epochMicroseconds());
	}

	void testValidEnvelopeDecodes()
	{
		const Event e = CloudEventCodec::decode(str(envelope()), Big);
		CPPUNIT_ASSERT_EQUAL(std::string("acme"), e.tenantId);
		CPPUNIT_ASSERT_EQUAL(std::string("corr-1"), e.correlationId);
		CPPUNIT_ASSERT_EQUAL(SomeTime, e.time.epochMicroseconds());
		CPPUNIT_ASSERT(e.extensions.empty());
	}

	void testNonJsonIsRefused()
	{
		refused("this is not json");
		refused("");
	}

	void testTruncatedJsonIsRefusedWithoutEchoingIt()
	{
		const std::string wire = str(envelope());
		refused(wire.substr(0, wire.find("hunter2") + 7));
	}

	void testJsonArrayIsRefused()
	{
		refused("[" + str(envelope()) + "]");
	}

	void testMissingSpecversionIsRefused()
	{
		auto o = envelope();
		o->remove("specversion");
		refusedNaming(str(o), "specversion");
	}

	void testWrongSpecversionIsRefused()
	{
		auto o = envelope();
		o->set("specversion", "0.3");
		refusedNaming(str(o), "specversion");
	}

	void testMissingIdIsRefused()
	{
		auto o = envelope();
		o->remove("id");
		refusedNaming(str(o), "id");
	}

	void testEmptyIdIsRefused()
	{
		auto o = envelope();
		o->set("id", "");
		refusedNaming(str(o), "id");
	}

	void testMissingSourceIsRefused()
	{
		auto o = envelope();
		o->remove("source");
		refusedNaming(str(o), "source");
	}

	void testMissingTypeIsRefused()
	{
		auto o = envelope();
		o->remove("type");
		refusedNaming(str(o), "type");
	}

	void testInvalidTopicAsTypeIsRefused()
	{
		auto o = envelope();
		o->set("type", "orders.*");
		const std::string msg = refused(str(o));
		CPPUNIT_ASSERT_MESSAGE(msg, namesAttribute(msg, "type") || namesAttribute(msg, "topic"));
	}

	void testMissingTenantIdIsRefused()
	{
		auto o = envelope();
		o->remove("tenantid");
		refusedNaming(str(o), "tenantid");
	}

	void testTenantIdWithDotIsRefused()
	{
		auto o = envelope();
		o->set("tenantid", "acme.evil");
		refusedNaming(str(o), "tenantid");
	}

	void testNonObjectDataIsRefused()
	{
		auto o = envelope();
		Poco::JSON::Array::Ptr arr(new Poco::JSON::Array);
		arr->add(1);
		o->set("data", arr);
		refusedNaming(str(o), "data");
		o->set("data", 5);
		refusedNaming(str(o), "data");
	}

	void testStringDataIsRefusedWithoutEchoingIt()
	{
		auto o = envelope();
		o->set("data", "hunter2");
		refusedNaming(str(o), "data");
	}

	void testBadTimeIsRefused()
	{
		for (const char* t : {"yesterday", "2023-13-45T99:99:99Z", "", "1700000000"})
		{
			auto o = envelope();
			o->set("time", t);
			refusedNaming(str(o), "time");
		}
		auto o = envelope();
		o->set("time", 1700000000);
		refusedNaming(str(o), "time");
	}

	void testNonStringExtensionIsRefused()
	{
		auto o = envelope();
		o->set("myext", 5);
		const std::string msg = refused(str(o));
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, "myext"));
		auto p = envelope();
		Poco::JSON::Array::Ptr arr(new Poco::JSON::Array);
		arr->add("hunter2");
		p->set("secretext", arr);
		const std::string msg2 = refused(str(p));
		CPPUNIT_ASSERT_MESSAGE(msg2, contains(msg2, "secretext"));
	}

	void testTooManyExtensionsAreRefused()
	{
		auto o = envelope();
		for (std::size_t i = 0; i < CloudEventCodec::MaxExtensions + 8; ++i)
			o->set("ext" + std::to_string(i), "v");
		refused(str(o));
	}

	void testSomeExtensionsAreAccepted()
	{
		auto o = envelope();
		for (int i = 0; i < 10; ++i)
			o->set("ext" + std::to_string(i), "v" + std::to_string(i));
		const Event e = CloudEventCodec::decode(str(o), Big);
		CPPUNIT_ASSERT_EQUAL(std::size_t(10), e.extensions.size());
		CPPUNIT_ASSERT_EQUAL(std::string("v7"), e.extensions.at("ext7"));
	}

	void testEnvelopeOverMaxBytesIsRefused()
	{
		const std::string wire = str(envelope());
		refused(wire, wire.size() - 1);
		CloudEventCodec::decode(wire, wire.size()); // exactly at the limit is fine
	}

	void testDeeplyNestedDataIsRefused()
	{
		std::string deep = str(envelope());
		std::string nested;
		for (int i = 0; i < 200; ++i)
			nested += "{\"a\":";
		nested += "1";
		for (int i = 0; i < 200; ++i)
			nested += "}";
		deep.replace(deep.find("\"data\":{") + 7, std::string("{\"n\":1,\"password\":\"hunter2\"}").size(), nested);
		refused(deep);
	}

	void testTimeBeforeEpochIsRefused()
	{
		auto o = envelope();
		o->set("time", "1013-01-01T00:00:00.000000Z");
		refusedNaming(str(o), "time");
	}

	void testRefusalNeverContainsDataValue()
	{
		// Each broken envelope carries data.password = hunter2; refused() checks the message.
		auto a = envelope();
		a->set("tenantid", "bad.tenant");
		refused(str(a));
		auto b = envelope();
		b->set("time", "not-a-time");
		refused(str(b));
		auto c = envelope();
		c->set("specversion", 2);
		refused(str(c));
		refused(str(envelope()), 20);
	}

	void testControlCharacterInAnyPositionOfAnIdIsRefused()
	{
		// id, source and correlationid reach log lines: a control character
		// (below 0x20, or DEL) anywhere in them refuses the envelope; any
		// other byte is kept.
		for (const char* attribute : {"id", "source", "correlationid"})
		{
			for (std::size_t length : {1, 2, 15, 16, 17, 36, 40})
			{
				for (std::size_t at = 0; at < length; ++at)
				{
					for (int c : {1, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f})
					{
						std::string value(length, 'a');
						value[at] = static_cast<char>(c);
						auto o = envelope();
						o->set(attribute, value);
						const std::string msg = refused(str(o));
						CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, std::string("'") + attribute + "' holds a control character"));
					}
					std::string fine(length, 'a');
					fine[at] = ' ';
					auto o = envelope();
					o->set(attribute, fine);
					const Event e = CloudEventCodec::decode(str(o), Big);
					const std::string& got = std::string(attribute) == "id" ? e.id : std::string(attribute) == "source" ? e.source : e.correlationId;
					CPPUNIT_ASSERT_EQUAL(fine, got);
				}
			}
		}
	}

	void testStringsAreWrittenAsPocoWritesThem()
	{
		// The writer tests sixteen or eight bytes at a time whether a string
		// needs escaping: every byte value at every position of strings of
		// 1-34 and 47-49 bytes (the sixteen-byte blocks and the overlapping
		// last one, the words of a string under sixteen and the overlapping
		// last word, the bytes of a string under eight), in keys and values,
		// with and without JSON_ESCAPE_UNICODE, must come out as Poco writes it.
		std::vector<std::size_t> lengths;
		for (std::size_t length = 1; length <= 34; ++length) lengths.push_back(length);
		for (std::size_t length : {47, 48, 49}) lengths.push_back(length);
		for (bool escapeUnicode : {false, true})
		{
			for (int c = 0; c < 256; ++c)
			{
				for (std::size_t length : lengths)
				{
					for (std::size_t at = 0; at < length; ++at)
					{
						std::string s(length, 'a');
						s[at] = static_cast<char>(c);
						Poco::JSON::Object::Ptr data(new Poco::JSON::Object);
						data->setEscapeUnicode(escapeUnicode);
						data->set("k" + s, s);
						std::ostringstream poco;
						data->stringify(poco);
						CPPUNIT_ASSERT_EQUAL_MESSAGE("byte " + std::to_string(c) + " at " + std::to_string(at) + " of " + std::to_string(length),
							poco.str(), CloudEventCodec::encodeData(*data));
					}
				}
			}
		}
	}

	void testBytesPastAShortStringsEndAreNotItsOwn()
	{
		// A string under sixteen bytes is tested with one load of sixteen
		// from its storage: what lies past its end (bytes a longer value
		// left there, in the short-string buffer or in a larger allocation)
		// must neither be written nor make the string look as if it needed
		// escaping.
		for (const char past : {'"', '\\', '/', '\x01', '\x7f', '\x80'})
		{
			for (std::size_t length = 0; length < 16; ++length)
			{
				std::string inBuffer(15, past); // fits the object's own buffer
				inBuffer.assign(length, 'a');
				std::string inAllocation(64, past);
				inAllocation.assign(length, 'b');
				CPPUNIT_ASSERT(inAllocation.capacity() >= 64);
				Event event;
				event.id = "id-1";
				event.source = inBuffer;
				event.type = "orders.created";
				event.tenantId = "acme";
				event.correlationId = inAllocation;
				const std::string wire = CloudEventCodec::encode(event, "{}");
				const std::string what = "past byte " + std::to_string(static_cast<unsigned char>(past)) + ", length " + std::to_string(length) + ": " + wire;
				CPPUNIT_ASSERT_MESSAGE(what, contains(wire, "\"source\":\"" + std::string(length, 'a') + "\","));
				CPPUNIT_ASSERT_MESSAGE(what, contains(wire, "\"correlationid\":\"" + std::string(length, 'b') + "\","));
				// The same short strings, escaped where they need it.
				inBuffer.assign(length, 'a');
				if (length > 0) inBuffer[length - 1] = '"';
				event.source = inBuffer;
				const std::string escaped = CloudEventCodec::encode(event, "{}");
				std::string expected = std::string(length > 0 ? length - 1 : 0, 'a') + (length > 0 ? "\\\"" : "");
				CPPUNIT_ASSERT_MESSAGE(what, contains(escaped, "\"source\":\"" + expected + "\","));
			}
		}
	}

	void testScalarsAreWrittenAsPocoWritesThem()
	{
		// Numbers, booleans and null are written without Poco's per-value
		// string: every integer type at its limits, doubles of every shape
		// (shortest digits, exponents both ways, subnormal, -0), floats,
		// chars and dates (handed to Poco), at the top level, nested and in
		// arrays, must come out byte for byte as Poco writes them.
		std::vector<Poco::Dynamic::Var> values = {
			Poco::Int8(-128), Poco::Int8(127), Poco::UInt8(255), Poco::Int16(-32768), Poco::UInt16(65535),
			Poco::Int32(-2147483647 - 1), Poco::UInt32(4294967295U), std::numeric_limits<Poco::Int64>::min(),
			std::numeric_limits<Poco::Int64>::max(), std::numeric_limits<Poco::UInt64>::max(), 0, -1, 42L, 42UL,
			0.0, -0.0, 1.0, -1.5, 0.1, 9.5, 19.99, 38.99, 1e15, 1e16, 1e17, 1e21, 1e22, 123456789012345678.0,
			1e-5, 1e-6, 1e-7, 5e-324, std::numeric_limits<double>::max(), std::numeric_limits<double>::min(),
			-2.2250738585072014e-308, 3.14159265358979, 1.0f / 3.0f, 2.5f, true, false, Poco::Dynamic::Var(),
			'x', std::string("text"), Poco::DateTime(2026, 12, 5, 6, 7, 8),
		};
		for (std::size_t i = 0; i < values.size(); ++i)
		{
			Poco::JSON::Object::Ptr data(new Poco::JSON::Object);
			data->set("v", values[i]);
			Poco::JSON::Object::Ptr inner(new Poco::JSON::Object);
			inner->set("w", values[i]);
			data->set("nested", inner);
			Poco::JSON::Array::Ptr list(new Poco::JSON::Array);
			list->add(values[i]);
			list->add(values[i]);
			data->set("list", list);
			std::ostringstream poco;
			data->stringify(poco);
			CPPUNIT_ASSERT_EQUAL_MESSAGE("value " + std::to_string(i), poco.str(), CloudEventCodec::encodeData(*data));
		}
	}

	void testDoublesAreWrittenAsPocoWritesThem()
	{
		// Doubles must come out as Poco::doubleToStr writes them, whichever
		// converter the writer uses: every power of ten and its neighbours,
		// both sides of the decimal/exponent boundaries, cents, subnormals and
		// 200,000 random bit patterns.
		std::vector<double> values;
		for (int e = -324; e <= 308; ++e)
		{
			const double p = std::pow(10.0, e);
			for (double d : {p, std::nextafter(p, 0.0), std::nextafter(p, HUGE_VAL), 1.5 * p, 9.999999999999999 * p, 0.3 * p})
			{
				values.push_back(d);
				values.push_back(-d);
			}
		}
		for (int k = 0; k < 20000; ++k)
			values.push_back(k / 100.0);
		// Short decimals (the writer's own path): m / 10^k for up to 16
		// digits and 15 places, either side of 1e-4 and 1e15 and of 2^50.
		std::uint64_t digits = 0x2545f4914f6cdd1dULL;
		for (int k = 0; k < 200000; ++k)
		{
			digits ^= digits << 13;
			digits ^= digits >> 7;
			digits ^= digits << 17;
			const int places = static_cast<int>(digits % 17);
			const int width = 1 + static_cast<int>((digits >> 8) % 16);
			const double m = static_cast<double>((digits >> 16) % static_cast<std::uint64_t>(std::pow(10.0, width)));
			const double d = m / std::pow(10.0, places);
			values.push_back(k % 2 ? d : -d);
		}
		for (double d : {0.0, -0.0, 1e-4, 0.0001000000000000001, 9.999999999999999e-5, 1e15, 999999999999999.0,
				 999999999999999.9, 1125899906842624.0, 1125899906842623.5, 112589990684262.45, 0.1, 0.2, 0.3,
				 0.1 + 0.2, 1.0 / 3.0, 2.0 / 3.0, 5e-324, 123456789012345.6, 12345678901234.56})
		{
			values.push_back(d);
			values.push_back(-d);
			values.push_back(std::nextafter(d, HUGE_VAL));
			values.push_back(std::nextafter(d, -HUGE_VAL));
		}
		std::uint64_t state = 0x9e3779b97f4a7c15ULL;
		for (int k = 0; k < 200000; ++k)
		{
			state ^= state << 13;
			state ^= state >> 7;
			state ^= state << 17;
			double d;
			std::memcpy(&d, &state, sizeof(d));
			values.push_back(d);
		}
		values.push_back(std::numeric_limits<double>::denorm_min());
		values.push_back(std::numeric_limits<double>::max());
		values.push_back(std::numeric_limits<double>::lowest());
		std::size_t checked = 0;
		for (double d : values)
		{
			if (!std::isfinite(d)) continue;
			char buffer[POCO_MAX_FLT_STRING_LEN];
			Poco::doubleToStr(buffer, POCO_MAX_FLT_STRING_LEN, d);
			Poco::JSON::Object data;
			data.set("v", d);
			CPPUNIT_ASSERT_EQUAL(std::string("{\"v\":") + buffer + "}", CloudEventCodec::encodeData(data));
			++checked;
		}
		CPPUNIT_ASSERT(checked > 400000);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(CodecTest);
