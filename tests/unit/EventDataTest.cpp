// Suite ID: unit.event-data
//
// EventDataTest.cpp
//
// An event's data as text or object, the other built once on first use:
// what each form answers, that the first use from several threads builds one
// object (ThreadSanitizer watches it), that the codec hands compact data over
// unbuilt and builds data that arrived with whitespace (so its text stays one
// line), and that the memory transport gives handlers data nobody built yet.
//
#include "BusTestSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EnvelopeSigner.h"
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
	CPPUNIT_TEST(testSignatureOfUnbuiltDataVerifies);
	CPPUNIT_TEST(testMemoryHandlerGetsUnbuiltData);
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
};

CPPUNIT_TEST_SUITE_REGISTRATION(EventDataTest);
