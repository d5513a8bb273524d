// Suite ID: unit.json-numbers
//
// JsonNumbersTest.cpp
//
// A number a publisher sends arrives as the value it spells, or is refused
// naming the problem: payload text through CloudEventCodec::parsePayload,
// encodeData, encode and decode (Poco 1.11's parser alone turns
// -123456789012345678 into -123456789012345680, -9223372036854775809 into
// -9223372036854775808 and 18446744073709551616 into 0), and an object
// published through the loopback transport.
//
#include "BusTestSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <cppunit/extensions/HelperMacros.h>
#include <limits>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::size_t Big = 1024 * 1024;

// The value of "n" after the payload went through the whole wire path.
Poco::Dynamic::Var roundTrip(const std::string& payloadJson, std::string* receivedData = nullptr)
{
	Poco::JSON::Object::Ptr data = CloudEventCodec::parsePayload(payloadJson, Big);
	Event e = handMadeEvent("acme", "orders.created");
	e.data = data;
	const std::string wire = CloudEventCodec::encode(e, CloudEventCodec::encodeData(*data));
	std::string received;
	Event decoded = CloudEventCodec::decode(wire, Big, received);
	if (receivedData) *receivedData = received;
	return decoded.data->get("n");
}

std::string refusalOf(const std::string& payloadJson)
{
	return expectThrow<ValidationException>([&] { CloudEventCodec::parsePayload(payloadJson, Big); }, payloadJson);
}

std::string decodeRefusalOf(const std::string& dataJson)
{
	Event e = handMadeEvent("acme", "orders.created");
	std::string wire = CloudEventCodec::encode(e, dataJson);
	return expectThrow<ValidationException>([&] { CloudEventCodec::decode(wire, Big); }, dataJson);
}

} // namespace

class JsonNumbersTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(JsonNumbersTest);
	CPPUNIT_TEST(testIntegersInRangeArriveExactly);
	CPPUNIT_TEST(testIntegersOutOfRangeAreRefusedClearly);
	CPPUNIT_TEST(testNumbersBeyondADoubleAreRefusedClearly);
	CPPUNIT_TEST(testDoublesAndNegativeZeroArriveEqualInValue);
	CPPUNIT_TEST(testDecodeKeepsLargeNegativeIntegersExact);
	CPPUNIT_TEST(testDecodeRefusesNumbersPocoWouldChange);
	CPPUNIT_TEST(testTextPocoReadsStillRefusesWhatItWouldRound);
	CPPUNIT_TEST(testEncodeRefusesNonFiniteDoubles);
	CPPUNIT_TEST(testPublishedObjectArrivesExactThroughLoopback);
	CPPUNIT_TEST(testPayloadRefusalsKeepTheirMessages);
	CPPUNIT_TEST_SUITE_END();

public:
	void testIntegersInRangeArriveExactly()
	{
		for (const char* n : {"-123456789012345678", "-9223372036854775808", "-9223372036854775807", "-9007199254740993",
				"18446744073709551615", "9223372036854775807", "9223372036854775808", "123456789012345678", "0", "-1"})
		{
			std::string received;
			const Poco::Dynamic::Var value = roundTrip(std::string("{\"n\":") + n + "}", &received);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(n, std::string(n), value.convert<std::string>());
			CPPUNIT_ASSERT_EQUAL_MESSAGE(n, std::string("{\"n\":") + n + "}", received);
		}
		CPPUNIT_ASSERT(roundTrip("{\"n\":-9223372036854775808}").type() == typeid(Poco::Int64));
		CPPUNIT_ASSERT(roundTrip("{\"n\":18446744073709551615}").type() == typeid(Poco::UInt64));
		CPPUNIT_ASSERT_EQUAL(std::numeric_limits<Poco::Int64>::min(),
			roundTrip("{\"n\":-9223372036854775808}").extract<Poco::Int64>());
	}

	void testIntegersOutOfRangeAreRefusedClearly()
	{
		for (const char* n : {"-9223372036854775809", "18446744073709551616", "18446744073709551619",
				"-99999999999999999999", "123456789012345678901234567890"})
			CPPUNIT_ASSERT_EQUAL_MESSAGE(n, std::string("payload: integer out of range"),
				refusalOf(std::string("{\"a\":{\"n\":[") + n + "]}}"));
	}

	void testNumbersBeyondADoubleAreRefusedClearly()
	{
		for (const char* n : {"1e400", "-1e400", "1.5E+309"})
			CPPUNIT_ASSERT_EQUAL_MESSAGE(n, std::string("payload: number out of range"), refusalOf(std::string("{\"n\":") + n + "}"));
	}

	void testDoublesAndNegativeZeroArriveEqualInValue()
	{
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(0), roundTrip("{\"n\":-0}").convert<Poco::Int64>());
		CPPUNIT_ASSERT_EQUAL(0.0, roundTrip("{\"n\":-0.0}").convert<double>());
		for (double d : {0.1, 19.99, 1e308, -2.5e-308, 4.9e-324, 0.30000000000000004, -123456789012345678.0})
		{
			Poco::JSON::Object o;
			o.set("n", d);
			CPPUNIT_ASSERT_EQUAL(d, roundTrip(CloudEventCodec::encodeData(o)).convert<double>());
		}
	}

	void testDecodeKeepsLargeNegativeIntegersExact()
	{
		// As another publisher may put it on the wire: the fast path reads it.
		Event e = handMadeEvent("acme", "orders.created");
		const std::string wire = CloudEventCodec::encode(e, "{\"n\":-123456789012345678,\"m\":[-9223372036854775807]}");
		std::string received;
		const Event decoded = CloudEventCodec::decode(wire, Big, received);
		CPPUNIT_ASSERT_EQUAL(Poco::Int64(-123456789012345678LL), decoded.data->getValue<Poco::Int64>("n"));
		CPPUNIT_ASSERT_EQUAL(std::numeric_limits<Poco::Int64>::min() + 1,
			decoded.data->getArray("m")->getElement<Poco::Int64>(0));
		CPPUNIT_ASSERT_EQUAL(std::string("{\"n\":-123456789012345678,\"m\":[-9223372036854775807]}"), received);
	}

	void testDecodeRefusesNumbersPocoWouldChange()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("envelope: integer out of range"), decodeRefusalOf("{\"w\":18446744073709551616}"));
		CPPUNIT_ASSERT_EQUAL(std::string("envelope: integer out of range"), decodeRefusalOf("{\"n\":-9223372036854775809}"));
		CPPUNIT_ASSERT_EQUAL(std::string("envelope: number out of range"), decodeRefusalOf("{\"d\":1e400}"));
	}

	void testTextPocoReadsStillRefusesWhatItWouldRound()
	{
		// "\u0000" is left to Poco's parser: there a large negative integer
		// would be rounded, so it is refused rather than changed.
		CPPUNIT_ASSERT_EQUAL(std::string("payload: integer out of range"),
			refusalOf("{\"s\":\"a\\u0000\",\"n\":-123456789012345678}"));
		CPPUNIT_ASSERT_EQUAL(std::string("-9007199254740992"),
			CloudEventCodec::parsePayload("{\"s\":\"a\\u0000\",\"n\":-9007199254740992}", Big)->get("n").convert<std::string>());
		// Digits inside strings are text.
		CPPUNIT_ASSERT_NO_THROW(CloudEventCodec::parsePayload("{\"s\":\"\\u0000 -123456789012345678 1e400\"}", Big));
		Event e = handMadeEvent("acme", "orders.created");
		const std::string wire = CloudEventCodec::encode(e, "{\"s\":\"a\\u0000\",\"n\":-123456789012345678}");
		CPPUNIT_ASSERT_EQUAL(std::string("envelope: integer out of range"),
			expectThrow<ValidationException>([&] { CloudEventCodec::decode(wire, Big); }));
	}

	void testEncodeRefusesNonFiniteDoubles()
	{
		for (double d : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
				std::numeric_limits<double>::quiet_NaN()})
		{
			Poco::JSON::Object o;
			o.set("ok", true);
			o.set("n", d);
			CPPUNIT_ASSERT_EQUAL(std::string("payload: number out of range (not finite)"),
				expectThrow<ValidationException>([&] { CloudEventCodec::encodeData(o); }));
		}
		Poco::JSON::Object booleans;
		booleans.set("t", true);
		booleans.set("f", false);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"f\":false,\"t\":true}"), CloudEventCodec::encodeData(booleans));
	}

	void testPublishedObjectArrivesExactThroughLoopback()
	{
		Collector collector;
		EventBus bus(*makeConfig("loopback"));
		bus.subscribe("orders.created", collector.handler(), TenantScope::tenant("acme"));
		Poco::JSON::Object::Ptr data(new Poco::JSON::Object);
		data->set("n", Poco::Int64(-123456789012345678LL));
		data->set("min", std::numeric_limits<Poco::Int64>::min());
		data->set("max", std::numeric_limits<Poco::UInt64>::max());
		bus.publish("orders.created", data, "acme");
		CPPUNIT_ASSERT(collector.waitFor(1));
		const Event got = collector.at(0);
		CPPUNIT_ASSERT_EQUAL(std::string("-123456789012345678"), got.data->get("n").convert<std::string>());
		CPPUNIT_ASSERT_EQUAL(std::string("-9223372036854775808"), got.data->get("min").convert<std::string>());
		CPPUNIT_ASSERT_EQUAL(std::string("18446744073709551615"), got.data->get("max").convert<std::string>());
	}

	void testPayloadRefusalsKeepTheirMessages()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("payload: not valid JSON"), refusalOf("{\"a\":"));
		CPPUNIT_ASSERT_EQUAL(std::string("payload: not valid JSON"), refusalOf("{\"a\":1} x"));
		CPPUNIT_ASSERT_EQUAL(std::string("payload: must be a JSON object"), refusalOf("[1]"));
		CPPUNIT_ASSERT_EQUAL(std::string("payload: must be a JSON object"), refusalOf("7")); // valid JSON, not an object
		CPPUNIT_ASSERT_EQUAL(std::string("payload: 12 bytes exceeds eventbus.maxPayloadBytes (4)"),
			expectThrow<ValidationException>([] { CloudEventCodec::parsePayload("{\"a\":123456}", 4); }));
		std::string deep;
		for (int i = 0; i < 70; ++i) deep += "{\"a\":";
		deep += "1" + std::string(70, '}');
		CPPUNIT_ASSERT_EQUAL(std::string("payload: not valid JSON"), refusalOf(deep));
		std::string ok;
		for (int i = 0; i < 40; ++i) ok += "{\"a\":";
		ok += "-123" + std::string(40, '}');
		CPPUNIT_ASSERT_NO_THROW(CloudEventCodec::parsePayload(ok, Big));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(JsonNumbersTest);
