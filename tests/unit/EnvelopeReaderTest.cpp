// Suite ID: unit.envelope-reader
//
// EnvelopeReaderTest.cpp
//
// The codec's fast envelope reader against Poco's JSON parser, the
// reference: whatever the codec decodes, its data is exactly the tree Poco
// builds from the same bytes (keys, order, value types, values), and its
// attributes are Poco's strings (integers: exact, where Poco rounds them);
// anything the fast reader does not take is
// decided by Poco, so refusals keep their messages. `receivedData` (set only
// by the fast path) is exactly the data's bytes in the envelope.
//
#include "UnitSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Exceptions.h"
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>
#include <algorithm>
#include <cstring>
#include <random>
#include <vector>
#include <sstream>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::size_t Big = 1024 * 1024;

const std::string Head = "{\"specversion\":\"1.0\",\"id\":\"7d3c2b1a-0000-4000-8000-000000000001\","
	"\"source\":\"/eventbus/unit\",\"type\":\"orders.created\",\"time\":\"2023-11-14T22:13:20.123456Z\","
	"\"datacontenttype\":\"application/json\",\"tenantid\":\"acme\",\"correlationid\":\"corr-1\",\"data\":";

std::string envelopeWith(const std::string& dataJson)
{
	return Head + dataJson + "}";
}

// Describes where two trees differ, "" when they are equal: same types (by
// typeid), same strings and integers, bitwise the same doubles, same key
// order, same object options.
std::string difference(const Poco::Dynamic::Var& a, const Poco::Dynamic::Var& b, const std::string& path);

// Set when an integer differed only by Poco's rounding: the trees' JSON
// text then differs in that number, so stringify is not compared.
bool roundingTolerated = false;

std::string difference(const Poco::JSON::Object& a, const Poco::JSON::Object& b, const std::string& path)
{
	if (a.getEscapeUnicode() != b.getEscapeUnicode()) return path + ": escapeUnicode differs";
	Poco::JSON::Object::NameList na, nb;
	a.getNames(na);
	b.getNames(nb);
	if (na != nb) return path + ": keys differ";
	for (const auto& name : na)
	{
		const std::string d = difference(a.get(name), b.get(name), path + "." + name);
		if (!d.empty()) return d;
	}
	// Insertion order: Poco's stringify shows it when preserved.
	if (roundingTolerated) return std::string();
	std::ostringstream sa, sb;
	a.stringify(sa);
	b.stringify(sb);
	return sa.str() == sb.str() ? std::string() : path + ": stringify differs";
}

std::string difference(const Poco::Dynamic::Var& a, const Poco::Dynamic::Var& b, const std::string& path)
{
	if (a.type() != b.type()) return path + ": type " + a.type().name() + " vs " + b.type().name();
	if (a.isEmpty()) return std::string();
	const std::type_info& t = a.type();
	if (t == typeid(std::string)) return a.extract<std::string>() == b.extract<std::string>() ? "" : path + ": string differs";
	if (t == typeid(Poco::Int64))
	{
		// Poco 1.11 rounds a negative integer through a double; the codec keeps
		// it exact (JsonNumbersTest): equal, or Poco's rounding of the exact value.
		const Poco::Int64 exact = a.extract<Poco::Int64>(), poco = b.extract<Poco::Int64>();
		if (exact == poco) return std::string();
		const bool rounded = exact < 0 && static_cast<Poco::Int64>(static_cast<double>(exact)) == poco;
		roundingTolerated = roundingTolerated || rounded;
		return rounded ? std::string() : path + ": integer differs";
	}
	if (t == typeid(Poco::UInt64)) return a.extract<Poco::UInt64>() == b.extract<Poco::UInt64>() ? "" : path + ": integer differs";
	if (t == typeid(bool)) return a.extract<bool>() == b.extract<bool>() ? "" : path + ": boolean differs";
	if (t == typeid(double))
	{
		const double x = a.extract<double>(), y = b.extract<double>();
		return std::memcmp(&x, &y, sizeof x) == 0 ? "" : path + ": double differs";
	}
	if (t == typeid(Poco::JSON::Object::Ptr))
		return difference(*a.extract<Poco::JSON::Object::Ptr>(), *b.extract<Poco::JSON::Object::Ptr>(), path);
	if (t == typeid(Poco::JSON::Array::Ptr))
	{
		const Poco::JSON::Array& x = *a.extract<Poco::JSON::Array::Ptr>();
		const Poco::JSON::Array& y = *b.extract<Poco::JSON::Array::Ptr>();
		if (x.size() != y.size()) return path + ": array sizes differ";
		for (unsigned i = 0; i < x.size(); ++i)
		{
			const std::string d = difference(x.get(i), y.get(i), path + "[" + std::to_string(i) + "]");
			if (!d.empty()) return d;
		}
		return std::string();
	}
	return path + ": unexpected type " + t.name();
}

struct Outcome
{
	bool decoded = false;
	bool fast = false; // receivedData was set
};

// Decodes `wire` and checks the result against Poco's parse of the same bytes.
Outcome check(const std::string& wire)
{
	Outcome outcome;
	Event event;
	std::string received;
	try
	{
		event = CloudEventCodec::decode(wire, Big, received);
	}
	catch (ValidationException&)
	{
		CPPUNIT_ASSERT_MESSAGE("a refusal sets no receivedData", received.empty());
		return outcome;
	}
	outcome.decoded = true;
	outcome.fast = !received.empty();
	Poco::JSON::Parser parser;
	parser.setDepth(64);
	Poco::JSON::Object::Ptr reference;
	try
	{
		reference = parser.parse(wire).extract<Poco::JSON::Object::Ptr>();
	}
	catch (Poco::Exception& exc)
	{
		CPPUNIT_FAIL("decoded what Poco refuses (" + exc.displayText() + "): " + wire.substr(0, 300));
	}
	roundingTolerated = false;
	const std::string d = difference(*event.data, *reference->getObject("data"), "data");
	CPPUNIT_ASSERT_MESSAGE(d + " in " + wire.substr(0, 300), d.empty());
	CPPUNIT_ASSERT_EQUAL(reference->getValue<std::string>("id"), event.id);
	CPPUNIT_ASSERT_EQUAL(reference->getValue<std::string>("source"), event.source);
	CPPUNIT_ASSERT_EQUAL(reference->getValue<std::string>("tenantid"), event.tenantId);
	CPPUNIT_ASSERT_EQUAL(reference->getValue<std::string>("type"), event.type);
	for (const auto& ext : event.extensions)
		CPPUNIT_ASSERT_EQUAL(reference->getValue<std::string>(ext.first), ext.second);
	if (outcome.fast)
	{
		// The data's own bytes, which parse to the same tree.
		Poco::JSON::Parser again;
		Poco::JSON::Object::Ptr data;
		CPPUNIT_ASSERT_NO_THROW(data = again.parse(received).extract<Poco::JSON::Object::Ptr>());
		CPPUNIT_ASSERT_MESSAGE("receivedData is not the data: " + received.substr(0, 100),
			(roundingTolerated = false, difference(*event.data, *data, "data").empty()));
		CPPUNIT_ASSERT_MESSAGE("receivedData is not a slice of the wire", wire.find(received) != std::string::npos);
	}
	return outcome;
}

// Random JSON text built to reach the corners of the grammar: escapes,
// UTF-8 of every length, surrogate pairs, numbers of every form (and ones
// Poco refuses or wraps), duplicate keys, nesting, odd whitespace.
class Generator
{
public:
	explicit Generator(unsigned seed): _random(seed) {}

	std::string object(int depth)
	{
		std::string out = "{" + space();
		const int n = pick(0, depth > 3 ? 2 : 5);
		for (int i = 0; i < n; ++i)
		{
			if (i) out += "," + space();
			out += key() + space() + ":" + space() + value(depth + 1) + space();
		}
		return out + "}";
	}

	int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(_random); }

private:
	std::string space()
	{
		static const char* const spaces[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
		return spaces[pick(0, 6)];
	}

	std::string key()
	{
		static const char* const keys[] = {"a", "b", "a", "orderId", "k\\u00e9y", "", "x\\ny", "\xc3\xa9t\xc3\xa9",
			"specversion", "z"};
		return "\"" + std::string(keys[pick(0, 9)]) + "\"";
	}

	std::string number()
	{
		static const char* const numbers[] = {"0", "-0", "1", "-1", "42", "2147483647", "2147483648", "-2147483649",
			"999999999999999999", "-999999999999999999", "-999999999999999", "-9007199254740993", "1000000000000000000", "9223372036854775807",
			"9223372036854775808", "18446744073709551615", "18446744073709551616", "123456789012345678901234567890",
			"1.5", "-0.0", "0.1", "19.99", "1e2", "1E+2", "1e-2", "2.5e-308", "1e308", "1e309", "-1e400", "4.9e-324",
			"0.30000000000000004", "01", "1.", ".5", "-", "1e", "+1", "0x10", "1.5e+", "00", "-01"};
		return numbers[pick(0, 40)];
	}

	std::string string()
	{
		static const char* const pieces[] = {"plain", " ", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
			"\\u0041", "\\u00e9", "\\u20ac", "\\uffff", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\u0000", "\\ud800",
			"\\udc00", "\\ud800x", "\\u12", "\\x", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xef\xbf\xbf",
			"\x7f", "\x01", "\xff", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\x80", "\xc3", "/", "'"};
		std::string out = "\"";
		const int n = pick(0, 4);
		for (int i = 0; i < n; ++i) out += pieces[pick(0, 35)];
		return out + "\"";
	}

	std::string value(int depth)
	{
		switch (pick(0, depth > 5 ? 5 : 7))
		{
		case 0: return "true";
		case 1: return "false";
		case 2: return "null";
		case 3: case 4: return number();
		case 5: return string();
		case 6: return object(depth);
		default:
		{
			std::string out = "[" + space();
			const int n = pick(0, 4);
			for (int i = 0; i < n; ++i)
			{
				if (i) out += "," + space();
				out += value(depth + 1) + space();
			}
			return out + "]";
		}
		}
	}

	std::mt19937 _random;
};

} // namespace

class EnvelopeReaderTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EnvelopeReaderTest);
	CPPUNIT_TEST(testEncodedEnvelopeTakesTheFastPath);
	CPPUNIT_TEST(testReceivedDataIsTheDataBytes);
	CPPUNIT_TEST(testValueTypesAreThoseOfPoco);
	CPPUNIT_TEST(testEscapesAndUtf8AreThoseOfPoco);
	CPPUNIT_TEST(testEveryPositionOfASpecialByteReadsAsPocoReadsIt);
	CPPUNIT_TEST(testWhatTheFastPathDeclinesIsDecidedByPoco);
	CPPUNIT_TEST(testLongDecimalsReadAsPocoReadsThem);
	CPPUNIT_TEST(testRefusalsKeepTheirMessages);
	CPPUNIT_TEST(testDuplicateAttributeIsDecidedByPoco);
	CPPUNIT_TEST(testAttributesInAnyOrderReadAsPocoReadsThem);
	CPPUNIT_TEST(testRandomDataDecodesAsPocoParsesIt);
	CPPUNIT_TEST(testMutatedEnvelopesDecodeAsPocoParsesThem);
	CPPUNIT_TEST(testTimesDecodeAsPocoParsesThem);
	CPPUNIT_TEST_SUITE_END();

public:
	void testEncodedEnvelopeTakesTheFastPath()
	{
		Event e;
		e.id = CloudEventCodec::newId();
		e.source = "/eventbus/unit";
		e.type = "orders.created";
		e.tenantId = "acme";
		e.correlationId = "corr-1";
		e.extensions["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
		e.data = new Poco::JSON::Object;
		e.data->set("text", std::string("Gr\xc3\xbc\xc3\x9f" "e \"q\" \\ \n \x01"));
		e.data->set("n", 17);
		e.data->set("price", 19.99);
		const std::string wire = CloudEventCodec::encode(e);
		const Outcome outcome = check(wire);
		CPPUNIT_ASSERT(outcome.decoded);
		CPPUNIT_ASSERT_MESSAGE("the codec's own output must take the fast path", outcome.fast);
	}

	void testReceivedDataIsTheDataBytes()
	{
		const std::string data = "{ \"b\" : [1, 2.5, \"x\"],\n\"a\":{} }";
		std::string received;
		CloudEventCodec::decode(envelopeWith(data), Big, received);
		CPPUNIT_ASSERT_EQUAL(data, received);
	}

	void testValueTypesAreThoseOfPoco()
	{
		for (const char* data : {"{\"i\":1,\"n\":-2147483649,\"m\":999999999999999999,\"d\":1.5,\"e\":1e2,\"z\":-0.0,"
				"\"t\":true,\"f\":false,\"u\":null,\"s\":\"x\",\"o\":{\"p\":[[],{}]}}",
				"{\"tiny\":4.9e-324,\"big\":1e308,\"third\":0.30000000000000004}"})
		{
			const Outcome outcome = check(envelopeWith(data));
			CPPUNIT_ASSERT(outcome.decoded && outcome.fast);
		}
	}

	void testEscapesAndUtf8AreThoseOfPoco()
	{
		const Outcome outcome = check(envelopeWith("{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac\\uffff"
			"\\ud83d\\ude00\\uD83D\\uDE00 \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\x7f\",\"\\u00e9\":1}"));
		CPPUNIT_ASSERT(outcome.decoded && outcome.fast);
	}

	void testEveryPositionOfASpecialByteReadsAsPocoReadsIt()
	{
		// The reader scans strings eight bytes at a time and stops at the
		// first byte that ends a plain run: an escape, a non-ASCII sequence, a
		// control character (refused) or the closing quote, in every position
		// of strings of 0 to 33 bytes, as names and as values.
		const std::vector<std::string> specials{"\\n", "\\u0041", "\xc3\xa9", "\xf0\x9f\x98\x80", "\x01", "\x7f", "\\\""};
		std::size_t fast = 0, cases = 0;
		for (std::size_t length = 0; length <= 33; ++length)
		{
			for (std::size_t at = 0; at <= length; ++at)
			{
				for (const std::string& special : specials)
				{
					const std::string text = std::string(at, 'a') + special + std::string(length - at, 'b');
					const Outcome outcome = check(envelopeWith("{\"" + text + "\":\"" + text + "\",\"n\":1}"));
					fast += outcome.fast;
					++cases;
				}
			}
		}
		CPPUNIT_ASSERT_MESSAGE("fast " + std::to_string(fast) + " of " + std::to_string(cases), fast > cases / 2);
	}

	void testWhatTheFastPathDeclinesIsDecidedByPoco()
	{
		// Poco accepts these; the fast path leaves them to it (or, for the
		// integers, reads them exactly). 9223372036854775808 is a UInt64 for Poco.
		for (const char* data : {"{\"s\":\"\\u0000\"}", "{\"n\":-9007199254740993}", "{\"u\":9223372036854775808}",
				"{\"a\":1,\"a\":2}"})
		{
			const Outcome outcome = check(envelopeWith(data));
			CPPUNIT_ASSERT_MESSAGE(data, outcome.decoded);
		}
		// Refused: Poco refuses these, or would change them.
		for (const char* data : {"{\"s\":\"\\ud800\"}", "{\"s\":\"\\udc00\"}", "{\"s\":\"\x01\"}", "{\"s\":\"\xff\"}",
				"{\"s\":\"\xc0\x80\"}", "{\"s\":\"\xed\xa0\x80\"}", "{\"n\":01}", "{\"n\":1.}", "{\"n\":.5}",
				"{\"n\":1e400}", "{\"n\":123456789012345678901234567890}", "{\"a\":1,}", "{\"s\":\"\\x\"}", "{\"t\":tru}",
				"{\"t\":truex}", "{\"a\" 1}",
				// Poco accepts these but changes them: 0 and -9223372036854775808.
				"{\"w\":18446744073709551616}", "{\"n\":-9223372036854775809}"})
		{
			const Outcome outcome = check(envelopeWith(data));
			CPPUNIT_ASSERT_MESSAGE(data, !outcome.decoded);
		}
		CPPUNIT_ASSERT(!check(envelopeWith("{}") + " x").decoded);
		CPPUNIT_ASSERT(check(envelopeWith("{}") + " \n").decoded);
	}

	void testLongDecimalsReadAsPocoReadsThem()
	{
		// The check takes a decimal without an exponent under 300 characters
		// as finite without converting it; longer ones, and those with an
		// exponent, are converted (or left to Poco). Either way the result
		// is Poco's, and the short ones take the fast path.
		for (std::size_t zeros : {0, 1, 100, 280, 294, 295, 296, 297, 298, 299, 300, 307, 308, 309, 310, 330, 400})
		{
			for (const std::string& number : {"1" + std::string(zeros, '0') + ".5", "-" + std::string(zeros + 1, '9') + ".25",
					"0." + std::string(zeros, '0') + "1", "-0." + std::string(zeros, '0') + "7", "0.0" + std::string(zeros, '0')})
			{
				const Outcome outcome = check(envelopeWith("{\"n\":" + number + ",\"m\":[" + number + "]}"));
				const std::string what = number.substr(0, 40) + " (" + std::to_string(number.size()) + " characters)";
				if (number.size() < 300) CPPUNIT_ASSERT_MESSAGE(what, outcome.decoded && outcome.fast);
				// Past the doubles, as 1e400 is: refused, on receipt and as a
				// payload to publish; under 300 characters a payload is
				// carried as its text.
				const std::string payload = "{\"n\":" + number + "}";
				bool refused = false;
				EventData data;
				try
				{
					data = CloudEventCodec::payloadData(payload, Big, nullptr);
				}
				catch (std::exception&)
				{
					refused = true;
				}
				if (number.size() < 300) CPPUNIT_ASSERT_MESSAGE(what, !refused && !data.hasObject() && data.json() == payload);
				if (number[0] == '1' && zeros >= 309) CPPUNIT_ASSERT_MESSAGE(what, !outcome.decoded && refused);
			}
		}
		for (const char* number : {"1.5e3", "2E-3", "-0.5e+10", "1e308", "1e-307", "4.9e-324"})
		{
			const Outcome outcome = check(envelopeWith(std::string("{\"n\":") + number + "}"));
			CPPUNIT_ASSERT_MESSAGE(number, outcome.decoded && outcome.fast);
		}
	}

	void testRefusalsKeepTheirMessages()
	{
		auto message = [](const std::string& wire) {
			return expectThrow<ValidationException>([&] { CloudEventCodec::decode(wire, Big); }, wire.substr(0, 100));
		};
		CPPUNIT_ASSERT_EQUAL(std::string("envelope: attribute 'data' must be a JSON object"),
			message(Head + "\"text\"}"));
		CPPUNIT_ASSERT_EQUAL(std::string("envelope: extension attribute 'region' must be a string"),
			message(Head + "{},\"region\":7}"));
		CPPUNIT_ASSERT_EQUAL(std::string("envelope: attribute 'tenantid' is not a valid tenant id"),
			message(Head + "{},\"tenantid\":\"a.b\"}"));
		CPPUNIT_ASSERT_EQUAL(std::string("envelope: not valid JSON"), message(Head + "{\"s\":\"\\ud800\"}}"));
		CPPUNIT_ASSERT_EQUAL(std::string("envelope: missing attribute 'data'"),
			message("{\"specversion\":\"1.0\",\"id\":\"x\",\"source\":\"s\",\"type\":\"t\",\"tenantid\":\"a\","
				"\"time\":\"2023-11-14T22:13:20.123456Z\"}"));
	}

	void testDuplicateAttributeIsDecidedByPoco()
	{
		// Poco keeps the last value of a repeated name; so does the codec.
		std::string wire = envelopeWith("{}");
		wire.insert(1, "\"tenantid\":\"other\",");
		Event e = CloudEventCodec::decode(wire, Big);
		CPPUNIT_ASSERT_EQUAL(std::string("acme"), e.tenantId);
		e = CloudEventCodec::decode(Head + "{\"a\":1},\"data\":{\"b\":2}}", Big);
		CPPUNIT_ASSERT(e.data->has("b") && !e.data->has("a"));
		// Repeated extensions among names that share their first eight bytes
		// (adjacent only once the whole names are ordered), in any order.
		const std::vector<std::string> names{"extensionb", "extensiona", "extensionb", "extension", "extensionab"};
		std::vector<std::size_t> positions{0, 1, 2, 3, 4};
		do
		{
			std::string repeated = "{";
			for (std::size_t p : positions) repeated += "\"" + names[p] + "\":\"" + std::to_string(p) + "\",";
			repeated += envelopeWith("{}").substr(1);
			// Decoded as Poco reads it: the last "extensionb" holds.
			CPPUNIT_ASSERT_MESSAGE(repeated, check(repeated).decoded);
		} while (std::next_permutation(positions.begin(), positions.end()));
	}

	void testAttributesInAnyOrderReadAsPocoReadsThem()
	{
		// The reader sorts the attributes by name (positions first, then each
		// pair moved once): any order, sorted or reversed, with few or many
		// extensions (over 64 attributes the pairs are sorted directly; the
		// codec then refuses more than 32 extensions, as Poco's path does).
		std::vector<std::string> members{"\"specversion\":\"1.0\"", "\"id\":\"7d3c2b1a-0000-4000-8000-000000000001\"",
			"\"source\":\"/eventbus/unit\"", "\"type\":\"orders.created\"", "\"time\":\"2023-11-14T22:13:20.123456Z\"",
			"\"datacontenttype\":\"application/json\"", "\"tenantid\":\"acme\"", "\"correlationid\":\"corr-1\"",
			"\"data\":{\"a\":1}"};
		std::mt19937 random(7);
		for (std::size_t extensions : {0, 1, 5, 20, 32, 33, 70})
		{
			std::vector<std::string> all = members;
			// Half of them share their first eight bytes (the sort's prefix
			// key), so their order is the whole names'.
			for (std::size_t i = 0; i < extensions; ++i)
				all.push_back(std::string(i % 2 ? "\"extensionx" : "\"x") + std::to_string(i) + "\":\"v" + std::to_string(i) + "\"");
			for (int round = 0; round < 12; ++round)
			{
				if (round == 1) std::sort(all.begin(), all.end());
				else if (round == 2) std::reverse(all.begin(), all.end());
				else if (round > 2) std::shuffle(all.begin(), all.end(), random);
				std::string wire = "{";
				for (std::size_t i = 0; i < all.size(); ++i) wire += (i ? "," : "") + all[i];
				wire += "}";
				const Outcome outcome = check(wire);
				CPPUNIT_ASSERT_MESSAGE(wire.substr(0, 200), outcome.decoded == (extensions <= CloudEventCodec::MaxExtensions));
				if (outcome.decoded) CPPUNIT_ASSERT_MESSAGE(wire.substr(0, 200), outcome.fast);
			}
		}
	}

	void testRandomDataDecodesAsPocoParsesIt()
	{
		Generator generator(20240601);
		std::size_t decoded = 0, fast = 0;
		const std::size_t cases = 6000;
		for (std::size_t i = 0; i < cases; ++i)
		{
			const Outcome outcome = check(envelopeWith(generator.object(0)));
			decoded += outcome.decoded;
			fast += outcome.fast;
		}
		// Both paths are exercised: most decode, most of those on the fast path.
		CPPUNIT_ASSERT_MESSAGE("decoded " + std::to_string(decoded), decoded > cases / 4);
		CPPUNIT_ASSERT_MESSAGE("fast " + std::to_string(fast), fast > decoded / 2 && fast < decoded);
	}

	void testMutatedEnvelopesDecodeAsPocoParsesThem()
	{
		Generator generator(7);
		static const char bytes[] = {'"', '\\', '{', '}', '[', ']', ',', ':', ' ', '0', '-', 'e', '.', 'u', '\0',
			'\x01', '\x7f', '\x80', '\xc3', '\xed', '\xff', 't', 'n'};
		std::size_t decoded = 0;
		for (std::size_t i = 0; i < 6000; ++i)
		{
			std::string wire = envelopeWith(generator.object(0));
			const int edits = generator.pick(1, 3);
			for (int k = 0; k < edits && !wire.empty(); ++k)
			{
				const std::size_t at = static_cast<std::size_t>(generator.pick(0, static_cast<int>(wire.size()) - 1));
				const char b = bytes[generator.pick(0, sizeof(bytes) - 1)];
				switch (generator.pick(0, 3))
				{
				case 0: wire[at] = b; break;
				case 1: wire.insert(at, 1, b); break;
				case 2: wire.erase(at, 1); break;
				default: wire.resize(at); break;
				}
			}
			decoded += check(wire).decoded;
		}
		CPPUNIT_ASSERT_MESSAGE("decoded " + std::to_string(decoded), decoded > 100);
	}

	void testTimesDecodeAsPocoParsesThem()
	{
		// The codec's own time form is read without Poco's date arithmetic:
		// the same instant as Poco's ISO 8601 parser, to the microsecond.
		std::mt19937_64 random(42);
		std::vector<Poco::Timestamp::TimeVal> times = {0, 951782400000000LL, 951868799999999LL, 4107542399999999LL,
			253402300799999999LL};
		for (int i = 0; i < 20000; ++i) times.push_back(static_cast<Poco::Timestamp::TimeVal>(random() % 253402300800000000ULL));
		for (Poco::Timestamp::TimeVal micros : times)
		{
			const std::string text = CloudEventCodec::formatTime(Poco::Timestamp(micros));
			std::string wire = envelopeWith("{}");
			wire.replace(wire.find("2023-11-14T22:13:20.123456Z"), 27, text);
			int tzd = 0;
			const Poco::DateTime reference = Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, tzd);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, reference.timestamp().epochMicroseconds(),
				CloudEventCodec::decode(wire, Big).time.epochMicroseconds());
			CPPUNIT_ASSERT_EQUAL(micros, reference.timestamp().epochMicroseconds());
		}
		// Not a day of the calendar: refused as before.
		std::string wire = envelopeWith("{}");
		wire.replace(wire.find("2023-11-14"), 10, "2100-02-29");
		CPPUNIT_ASSERT_THROW(CloudEventCodec::decode(wire, Big), ValidationException);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(EnvelopeReaderTest);
