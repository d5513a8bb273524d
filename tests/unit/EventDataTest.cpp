// Suite ID: unit.event-data
//
// EventDataTest.cpp
//
// An event's data as text or object, the other built once on first use:
// what each form answers, that the first use from several threads builds one
// object (ThreadSanitizer watches it), that the codec hands compact data over
// unbuilt and builds data that arrived with whitespace (so its text stays one
// line), that the memory transport gives handlers data nobody built yet, and
// that compact payload text is carried as it came and redaction counts on it.
//
#include "BusTestSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Redactor.h"
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <thread>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Compact = "{\"items\":[{\"n\":1},{\"n\":2}],\"note\":\"a \\\"b\\\"\",\"orderId\":\"o-1\",\"total\":12.5}";

Event eventWith(const EventData& data)
{
	Event event = handMadeEvent("acme", "orders.created");
	event.data = data;
	return event;
}

// Payloads whose sensitive values are counted on the text, on the object as
// it is written, and by the walk of the object: all three must agree.
std::vector<std::string> countedTexts()
{
	return {
		"{}",
		"{\"orderId\":\"o-1\",\"total\":3}",
		"{\"password\":\"p\",\"user\":{\"api_key\":{\"token\":\"nested, counted once\"}}}",
		"{\"items\":[{\"secret\":1},{\"n\":\"redis://app:pw@db:6379\"}],\"url\":\"https://tok@host/x\"}",
		"{\"Db-Password\":[1,2],\"note\":\"no url // here\",\"cvv\":null}",
		"{\"a\":[[[\"redis://u:p@h\",{\"PIN\":\"1\"}]]]}",
		// Escapes in names and values (the walk unescapes only these).
		"{\"pass\\u0077ord\":\"x\",\"\\u0074oken\":1,\"api\\u005fkey\":[2]}",
		"{\"url\":\"redis:\\/\\/app:pw@db:6379\\/0\",\"q\":\"a\\\"b https://t@h\"}",
		"{\"db_password\\n\":\"kept: the newline is part of the name\",\"x\":\"\\\\\"}",
		// Non-ASCII around and inside names and values.
		"{\"caf\xc3\xa9_token\":\"\xe2\x82\xac\",\"p\xc3\xa4ssword\":\"not listed\","
		"\"note\":\"\xf0\x9f\x98\x80 https://u:p@h\"}",
		// Long names: the scan stops at the closing quote in every word position.
		"{\"aaaaaaaaaaaaapassword\":\"v\",\"bbbbbbbbbbbbbbbbbb\\u0041PI_KEY\":2,\"cccccccctoken\":{}}",
		// Other value types beside the strings.
		"{\"price\":9.5,\"ok\":true,\"b\":{\"c\":{\"token\":[{\"password\":1}]}},\"n\":null}",
	};
}

} // namespace

class EventDataTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(EventDataTest);
	CPPUNIT_TEST(testNullData);
	CPPUNIT_TEST(testTextIsParsedOnFirstUseOnly);
	CPPUNIT_TEST(testObjectIsWrittenOnFirstUse);
	CPPUNIT_TEST(testBothFormsGivenBuildNothing);
	CPPUNIT_TEST(testCopiesShareOneObject);
	CPPUNIT_TEST(testFirstUseFromManyThreadsBuildsOneObject);
	CPPUNIT_TEST(testDecodedCompactDataIsNotBuilt);
	CPPUNIT_TEST(testDecodedDataWithWhitespaceIsBuiltAndCompact);
	CPPUNIT_TEST(testUnbuiltDataIsCheckedWhenDecoded);
	CPPUNIT_TEST(testSignatureOfUnbuiltDataVerifies);
	CPPUNIT_TEST(testMemoryHandlerGetsUnbuiltData);
	CPPUNIT_TEST(testCompactTextPublishedIsCarriedAsItCame);
	CPPUNIT_TEST(testTextWithWhitespaceIsWrittenCompactly);
	CPPUNIT_TEST(testTextIsRefusedAsBefore);
	CPPUNIT_TEST(testSensitiveValuesCountedInTextAsInTheObject);
	CPPUNIT_TEST(testCheckAndCountDeclinesWhatTheCodecWouldParse);
	CPPUNIT_TEST(testARememberedCountIsOnlyItsRedactors);
	CPPUNIT_TEST(testAnObjectIsCountedAsItIsWritten);
	CPPUNIT_TEST_SUITE_END();

public:
	void testNullData()
	{
		EventData data;
		CPPUNIT_ASSERT(data.isNull());
		CPPUNIT_ASSERT(!data);
		CPPUNIT_ASSERT(data.object().isNull());
		CPPUNIT_ASSERT_EQUAL(std::string("{}"), data.json());
		CPPUNIT_ASSERT(!data.hasObject());
		EventData fromNull{Poco::JSON::Object::Ptr()};
		CPPUNIT_ASSERT(fromNull.isNull());
	}

	void testTextIsParsedOnFirstUseOnly()
	{
		EventData data = EventData::fromJson(Compact);
		CPPUNIT_ASSERT(data);
		CPPUNIT_ASSERT(!data.hasObject());
		CPPUNIT_ASSERT_EQUAL(Compact, data.json());
		CPPUNIT_ASSERT(!data.hasObject()); // the text alone does not build it
		CPPUNIT_ASSERT_EQUAL(std::string("o-1"), data->getValue<std::string>("orderId"));
		CPPUNIT_ASSERT(data.hasObject());
		const Poco::JSON::Object* first = data.object().get();
		CPPUNIT_ASSERT(first == data.object().get()); // parsed once
		CPPUNIT_ASSERT_EQUAL(2, static_cast<int>(data->getArray("items")->size()));
		CPPUNIT_ASSERT_EQUAL(Compact, CloudEventCodec::encodeData(*data));
	}

	void testObjectIsWrittenOnFirstUse()
	{
		Poco::JSON::Object::Ptr object = payload("orderId", "o-2");
		EventData data(object);
		CPPUNIT_ASSERT(data.hasObject());
		CPPUNIT_ASSERT(data.is(object));
		CPPUNIT_ASSERT(!data.is(payload("orderId", "o-2")));
		CPPUNIT_ASSERT_EQUAL(std::string("{\"orderId\":\"o-2\"}"), data.json());
		Poco::JSON::Object::Ptr back = data; // reads like the Ptr it replaces
		CPPUNIT_ASSERT(back.get() == object.get());
	}

	void testBothFormsGivenBuildNothing()
	{
		Poco::JSON::Object::Ptr object = payload("orderId", "o-3");
		EventData data = EventData::fromBoth(object, "{\"orderId\":\"o-3\"}");
		CPPUNIT_ASSERT(data.is(object));
		CPPUNIT_ASSERT_EQUAL(std::string("{\"orderId\":\"o-3\"}"), data.json());
	}

	void testCopiesShareOneObject()
	{
		EventData data = EventData::fromJson(Compact);
		EventData copy = data;
		CPPUNIT_ASSERT(copy->has("orderId"));
		CPPUNIT_ASSERT(data.hasObject());
		CPPUNIT_ASSERT(copy.object().get() == data.object().get());
	}

	void testFirstUseFromManyThreadsBuildsOneObject()
	{
		for (int round = 0; round < 50; ++round)
		{
			const EventData data = EventData::fromJson(Compact);
			std::atomic<bool> go{false};
			std::vector<const Poco::JSON::Object*> seen(4, nullptr);
			std::vector<std::thread> threads;
			for (std::size_t i = 0; i < seen.size(); ++i)
			{
				threads.emplace_back([&, i]() {
					while (!go.load()) std::this_thread::yield();
					seen[i] = data.object().get();
					(void)data->getValue<std::string>("orderId");
				});
			}
			go = true;
			for (auto& t : threads) t.join();
			for (const Poco::JSON::Object* s : seen)
			{
				CPPUNIT_ASSERT(s != nullptr);
				CPPUNIT_ASSERT(s == seen[0]);
			}
		}
	}

	void testDecodedCompactDataIsNotBuilt()
	{
		Event sent = eventWith(EventData::fromJson(Compact));
		const std::string wire = CloudEventCodec::encode(sent);
		std::string received;
		Event event = CloudEventCodec::decode(wire, 1 << 20, received);
		CPPUNIT_ASSERT(!event.data.hasObject());
		CPPUNIT_ASSERT_EQUAL(Compact, event.data.json());
		CPPUNIT_ASSERT_EQUAL(Compact, received);
		CPPUNIT_ASSERT_EQUAL(12.5, event.data->getValue<double>("total"));
		// The lazy object is the tree Poco's parser builds from the same text.
		Poco::JSON::Parser parser;
		Poco::JSON::Object::Ptr reference = parser.parse(Compact).extract<Poco::JSON::Object::Ptr>();
		CPPUNIT_ASSERT_EQUAL(CloudEventCodec::encodeData(*reference), CloudEventCodec::encodeData(*event.data));
	}

	void testDecodedDataWithWhitespaceIsBuiltAndCompact()
	{
		const std::string spaced = "{ \"orderId\" : \"o-4\",\n \"items\" : [ 1, 2 ] }";
		Event sent = eventWith(EventData::fromJson("{}"));
		std::string wire = CloudEventCodec::encode(sent);
		const std::string marker = "\"data\":{}";
		const std::size_t at = wire.find(marker);
		CPPUNIT_ASSERT(at != std::string::npos);
		wire.replace(at, marker.size(), "\"data\":" + spaced);
		std::string received;
		Event event = CloudEventCodec::decode(wire, 1 << 20, received);
		CPPUNIT_ASSERT(event.data.hasObject());
		CPPUNIT_ASSERT_EQUAL(spaced, received); // what a signature covers: the bytes as they came
		CPPUNIT_ASSERT_EQUAL(std::string("{\"items\":[1,2],\"orderId\":\"o-4\"}"), event.data.json());
		CPPUNIT_ASSERT(event.data.json().find('\n') == std::string::npos);
	}

	void testUnbuiltDataIsCheckedWhenDecoded()
	{
		// Data handed over as text is checked in full before decode returns:
		// a bad string, number or nesting is refused then, not when a
		// handler reads it.
		const std::string good = CloudEventCodec::encode(eventWith(EventData::fromJson("{\"a\":\"x\"}")));
		const std::string marker = "\"data\":{\"a\":\"x\"}";
		const std::size_t at = good.find(marker);
		CPPUNIT_ASSERT(at != std::string::npos);
		const std::vector<std::string> bad{"{\"a\":\"\x01\"}", "{\"a\":\"\xc3\"}", "{\"a\":\"\\ud800\"}",
"{\"a\":01}", "{\"a\":1e400}", "{\"a\":[1,]}", "{\"a\":\"x\",}", "{\"a\":tru}",
			"{\"a\":" + std::string(70, '[') + std::string(70, ']') + "}", "{\"a\":\"\\x\"}",
			"{\"a\":\"" + std::string(30, 'y') + "\x80" + std::string(30, 'y') + "\"}"};
		for (const auto& data : bad)
		{
			std::string wire = good;
			wire.replace(at, marker.size(), "\"data\":" + data);
			bool refused = false;
			try
			{
				Event event = CloudEventCodec::decode(wire, 1 << 20);
				(void)event.data.json();
			}
			catch (ValidationException&)
			{
				refused = true;
			}
			CPPUNIT_ASSERT_MESSAGE(data, refused);
		}
		// Long strings are read eight bytes at a time: every byte that ends
		// a run, at every place in the word, is still seen.
		for (std::size_t place = 0; place < 16; ++place)
		{
			for (const char c : {'"', '\\', '\n', '\x7f', '\xe9'})
			{
				std::string text(24, 'z');
				text[place] = c;
				std::string wire = good;
				wire.replace(at, marker.size(), "\"data\":{\"a\":\"" + text + "\"}");
				bool refused = false;
				try
				{
					(void)CloudEventCodec::decode(wire, 1 << 20);
				}
				catch (ValidationException&)
				{
					refused = true;
				}
				// A bare quote ends the string early, a lone backslash escapes
				// 'z', a newline and a lone 0xe9 are not allowed: all refused;
				// DEL is a plain character in a JSON string.
				CPPUNIT_ASSERT_EQUAL_MESSAGE(std::to_string(place) + " " + std::to_string(static_cast<unsigned char>(c)), c != '\x7f', refused);
			}
		}
	}

	void testSignatureOfUnbuiltDataVerifies()
	{
		auto signer = std::unique_ptr<EnvelopeSigner>(new EnvelopeSigner("k1", "0123456789abcdef0123456789abcdef", {}));
		Event sent = eventWith(EventData::fromJson(Compact));
		signer->sign(sent, Compact);
		std::string received;
		Event event = CloudEventCodec::decode(CloudEventCodec::encode(sent), 1 << 20, received);
		CPPUNIT_ASSERT_EQUAL(std::string(), signer->verify(event, received));
		CPPUNIT_ASSERT_EQUAL(std::string(), signer->verify(event, std::string()));
		CPPUNIT_ASSERT(!event.data.hasObject());
	}

	void testMemoryHandlerGetsUnbuiltData()
	{
		std::atomic<int> built{-1};
		std::atomic<int> value{-1};
		auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory")));
		bus->subscribe("orders.lazy", [&](const Event& e) {
			built = e.data.hasObject() ? 1 : 0;
			value = e.data->getValue<int>("x");
		}, TenantScope::tenant("mem-lazy"));
		bus->publish("orders.lazy", payload("x", 7), "mem-lazy");
		CPPUNIT_ASSERT(waitUntil([&] { return value.load() != -1; }));
		CPPUNIT_ASSERT_EQUAL(0, built.load()); // the handler's own thread built it, when it read it
		CPPUNIT_ASSERT_EQUAL(7, value.load());
	}

	void testCompactTextPublishedIsCarriedAsItCame()
	{
		// Not sorted, as the caller wrote it: checked, not rebuilt.
		const std::string text = "{\"z\":1,\"a\":{\"k\":[true,null,\"s\"]},\"m\":\"\\u00e9\"}";
		std::mutex mutex;
		std::string seen;
		int built = -1;
		auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory")));
		bus->subscribe("orders.text", [&](const Event& e) {
			std::lock_guard<std::mutex> lock(mutex);
			built = e.data.hasObject() ? 1 : 0;
			seen = e.data.json();
		}, TenantScope::tenant("mem-text"));
		bus->publish("orders.text", text, "mem-text");
		CPPUNIT_ASSERT(waitUntil([&] { std::lock_guard<std::mutex> lock(mutex); return !seen.empty(); }));
		std::lock_guard<std::mutex> lock(mutex);
		CPPUNIT_ASSERT_EQUAL(text, seen);
		CPPUNIT_ASSERT_EQUAL(0, built);

		// Through the codec (loopback) the same bytes arrive, and read alike.
		Collector collector;
		auto loop = std::unique_ptr<EventBus>(new EventBus(*makeConfig("loopback")));
		loop->subscribe("orders.text", collector.handler(), TenantScope::tenant("loop-text"));
		loop->publish("orders.text", text, "loop-text");
		CPPUNIT_ASSERT(collector.waitFor(1));
		const Event got = collector.at(0);
		CPPUNIT_ASSERT_EQUAL(text, got.data.json());
		CPPUNIT_ASSERT_EQUAL(std::string("\xc3\xa9"), got.data->getValue<std::string>("m"));
		CPPUNIT_ASSERT_EQUAL(1, got.data->getValue<int>("z"));
	}

	void testTextWithWhitespaceIsWrittenCompactly()
	{
		Collector collector;
		auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("loopback")));
		bus->subscribe("orders.text", collector.handler(), TenantScope::tenant("loop-text"));
		bus->publish("orders.text", " {\"z\": 1,\n \"a\": [1, 2]} ", "loop-text");
		CPPUNIT_ASSERT(collector.waitFor(1));
		CPPUNIT_ASSERT_EQUAL(std::string("{\"a\":[1,2],\"z\":1}"), collector.at(0).data.json());
	}

	void testTextIsRefusedAsBefore()
	{
		auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory", {{"eventbus.maxPayloadBytes", "64"}})));
		const std::vector<std::pair<std::string, std::string>> cases{
			{"{\"a\":", "payload: not valid JSON"},
			{"[1,2]", "payload: must be a JSON object"},
			{"\"x\"", "payload: must be a JSON object"},
			{"{\"a\":1e400}", "payload: number out of range"},
			{"{\"a\":123456789012345678901234567890}", "payload: integer out of range"},
			{"{\"a\":\"" + std::string(80, 'x') + "\"}", "payload: 88 bytes exceeds eventbus.maxPayloadBytes (64)"},
		};
		for (const auto& c : cases)
		{
			const std::string msg = expectThrow<ValidationException>([&] { bus->publish("orders.text", c.first, "mem-text"); }, c.first);
			CPPUNIT_ASSERT_MESSAGE(c.first + ": " + msg, startsWith(msg, c.second));
		}
	}

	void testSensitiveValuesCountedInTextAsInTheObject()
	{
		const Redactor redactor;
		const std::vector<std::string> texts = countedTexts();
		for (const auto& text : texts)
		{
			Poco::JSON::Parser parser;
			Poco::JSON::Object::Ptr object = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
			const EventData data = EventData::fromJson(text);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, redactor.countSensitive(*object), redactor.countSensitive(data));
			CPPUNIT_ASSERT_MESSAGE(text, !data.hasObject()); // counted on the text
			// Checked and counted in one walk: the same count, remembered.
			const EventData counted = redactor.checkAndCount(text);
			CPPUNIT_ASSERT_MESSAGE(text, static_cast<bool>(counted));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, text, counted.json());
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, redactor.countSensitive(*object), redactor.countSensitive(counted));
			CPPUNIT_ASSERT_MESSAGE(text, !counted.hasObject());
		}
		// Every length of name and value prefix, so that the special byte
		// falls in every position of the reader's eight-byte scan.
		for (std::size_t n = 0; n <= 17; ++n)
		{
			const std::string pad(n, 'x');
			const std::string text = "{\"" + pad + "password\":1,\"" + pad + "db_pass\\u0077ord\":2,\"" + pad
				+ "\xc3\xa9token\":3,\"v\":\"" + pad + "https://u:p@h\",\"w\":\"" + pad + "https:\\/\\/u:p@h\"}";
			Poco::JSON::Parser parser;
			Poco::JSON::Object::Ptr object = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::size_t(5), redactor.countSensitive(*object));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::size_t(5), redactor.countSensitive(EventData::fromJson(text)));
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::size_t(5), redactor.countSensitive(redactor.checkAndCount(text)));
		}
		// A name given twice: the object keeps the last value, the text
		// walk counts both: more, never less.
		const std::string twice = "{\"password\":\"a\",\"password\":\"b\"}";
		Poco::JSON::Parser parser;
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), redactor.countSensitive(*parser.parse(twice).extract<Poco::JSON::Object::Ptr>()));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), redactor.countSensitive(EventData::fromJson(twice)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), redactor.countSensitive(redactor.checkAndCount(twice)));
	}

	void testCheckAndCountDeclinesWhatTheCodecWouldParse()
	{
		// Null data for text the fast reader does not keep as it came: not
		// compact, not an object, invalid, or what it leaves to Poco.
		const Redactor redactor;
		for (const char* text : {"", "{", "{\"password\": 1}", " {}", "{} ", "[1]", "\"x\"", "{\"a\":1,}", "{\"s\":\"\\u0000\"}",
				"{\"n\":1e400}", "{\"bad\\q\":1}", "{\"s\":\"\x01\"}", "{\"s\":\"\xc3\"}"})
			CPPUNIT_ASSERT_MESSAGE(text, !redactor.checkAndCount(text));
		// payloadData with a counter takes the same texts and refuses the same
		// (the messages are the codec's).
		for (const char* text : {"{\"password\": 1}", "{\"n\":1e400}"})
		{
			std::string plain, counted;
			try { CloudEventCodec::payloadData(text, 1024); } catch (ValidationException& e) { plain = e.what(); }
			try { CloudEventCodec::payloadData(text, 1024, &redactor); } catch (ValidationException& e) { counted = e.what(); }
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, plain, counted);
		}
		const EventData spaced = CloudEventCodec::payloadData("{\"password\": 1}", 1024, &redactor);
		CPPUNIT_ASSERT_EQUAL(std::string("{\"password\":1}"), spaced.json()); // parsed, written compactly
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), redactor.countSensitive(spaced));
	}

	void testAnObjectIsCountedAsItIsWritten()
	{
		// writeAndCount writes what json() writes and counts what the walk of
		// the object counts, for every shape the text walk is tested with.
		const Redactor redactor;
		const std::vector<std::string> texts = countedTexts();
		Poco::JSON::Parser parser;
		for (const auto& text : texts)
		{
			Poco::JSON::Object::Ptr object = parser.parse(text).extract<Poco::JSON::Object::Ptr>();
			const EventData data(object);
			const std::string& written = redactor.writeAndCount(data);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, CloudEventCodec::encodeData(*object), written);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, &data.json(), &written); // the data's own text, written once
			CPPUNIT_ASSERT_EQUAL_MESSAGE(text, redactor.countSensitive(*object), redactor.countSensitive(data));
		}
		{
			// Remembered: a key added behind the data's back after the text was
			// written is not in the text, and not in the count of the text.
			Poco::JSON::Object::Ptr object = parser.parse(texts[1]).extract<Poco::JSON::Object::Ptr>();
			const EventData data(object);
			redactor.writeAndCount(data);
			object->set("password", "added after");
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), redactor.countSensitive(data));
			CPPUNIT_ASSERT(data.json().find("added after") == std::string::npos);
			// Reached through the mutable operator->: counted afresh.
			EventData writable = data;
			writable->set("token", "t");
			CPPUNIT_ASSERT_EQUAL(std::size_t(2), redactor.countSensitive(data));
		}
		{
			// An object that keeps insertion order is written by Poco: not
			// counted in the writing, counted by the walk of the object.
			Poco::JSON::Object::Ptr ordered = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
			ordered->set("z", "redis://u:p@h");
			ordered->set("password", "p");
			Poco::JSON::Object::Ptr outer = new Poco::JSON::Object;
			outer->set("inner", ordered);
			outer->set("token", 1);
			const EventData data(outer);
			CPPUNIT_ASSERT_EQUAL(CloudEventCodec::encodeData(*outer), redactor.writeAndCount(data));
			CPPUNIT_ASSERT_EQUAL(std::size_t(3), redactor.countSensitive(data));
			ordered->set("secret", "s"); // seen: the walk of the object counts it
			CPPUNIT_ASSERT_EQUAL(std::size_t(4), redactor.countSensitive(data));
		}
		// Text data is returned as it is (its count, if any, is checkAndCount's).
		const EventData text = EventData::fromJson("{\"password\":1}");
		CPPUNIT_ASSERT_EQUAL(std::string("{\"password\":1}"), redactor.writeAndCount(text));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), redactor.countSensitive(text));
	}

	void testARememberedCountIsOnlyItsRedactors()
	{
		// A count remembered by one redactor is not another's: a redactor with
		// other keys walks the text itself. Copies of the data keep the count.
		const Redactor defaults;
		const Redactor custom({"sku"});
		const std::string text = "{\"password\":\"p\",\"sku\":\"A\",\"items\":[{\"sku\":\"B\"}]}";
		const EventData counted = defaults.checkAndCount(text);
		EventData copy = counted;
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), defaults.countSensitive(copy));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), custom.countSensitive(counted));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), custom.countSensitive(custom.checkAndCount(text)));
		// Once the object is built, it is what is counted (as for any data).
		copy->set("token", "t");
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), defaults.countSensitive(copy));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventDataTest);
