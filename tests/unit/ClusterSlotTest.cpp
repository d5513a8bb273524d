// Suite ID: unit.cluster_slot
//
// ClusterSlotTest.cpp
//
// Redis Cluster key hashing (CRC16/XMODEM, hash tags) and MOVED / ASK
// parsing, against the values of the Redis Cluster specification. No server.
//
#include "ClusterRedirect.h"
#include "ClusterSlot.h"
#include "ClusterSlotMap.h"
#include <hiredis/read.h>
#include <cppunit/extensions/HelperMacros.h>
#include <set>
#include <string>

using namespace eventbus;

namespace {

/// The reply hiredis reads from `resp`; the caller frees it.
void* parsed(const std::string& resp)
{
	redisReader* reader = redisReaderCreate();
	CPPUNIT_ASSERT_EQUAL(REDIS_OK, redisReaderFeed(reader, resp.data(), resp.size()));
	void* raw = nullptr;
	CPPUNIT_ASSERT_EQUAL(REDIS_OK, redisReaderGetReply(reader, &raw));
	redisReaderFree(reader);
	CPPUNIT_ASSERT(raw != nullptr);
	return raw;
}

} // namespace

class ClusterSlotTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ClusterSlotTest);
	CPPUNIT_TEST(testCrc16CheckValue);
	CPPUNIT_TEST(testKnownSlots);
	CPPUNIT_TEST(testHashTagsShareASlot);
	CPPUNIT_TEST(testHashTagEdgeCases);
	CPPUNIT_TEST(testBusChannelsHashOnTheirFullName);
	CPPUNIT_TEST(testMovedIsParsed);
	CPPUNIT_TEST(testAskIsParsed);
	CPPUNIT_TEST(testOtherErrorsAreNoRedirect);
	CPPUNIT_TEST(testSlotMapFromClusterSlots);
	CPPUNIT_TEST(testSlotMapRefusesAForgedHost);
	CPPUNIT_TEST_SUITE_END();

public:
	void testCrc16CheckValue()
	{
		const std::string check = "123456789";
		CPPUNIT_ASSERT_EQUAL(0x31C3, static_cast<int>(ClusterSlot::crc16(check.data(), check.size())));
		CPPUNIT_ASSERT_EQUAL(0, static_cast<int>(ClusterSlot::crc16("", 0)));
	}

	void testKnownSlots()
	{
		CPPUNIT_ASSERT_EQUAL(12182u, ClusterSlot::ofKey("foo"));
		CPPUNIT_ASSERT_EQUAL(5061u, ClusterSlot::ofKey("bar"));
		CPPUNIT_ASSERT_EQUAL(0u, ClusterSlot::ofKey(""));
	}

	void testHashTagsShareASlot()
	{
		CPPUNIT_ASSERT_EQUAL(ClusterSlot::ofKey("{user1000}.following"), ClusterSlot::ofKey("{user1000}.followers"));
		CPPUNIT_ASSERT_EQUAL(ClusterSlot::ofKey("user1000"), ClusterSlot::ofKey("{user1000}.following"));
	}

	void testHashTagEdgeCases()
	{
		// First '{', then the first '}' after it; an empty tag hashes the whole key.
		CPPUNIT_ASSERT_EQUAL(std::string("bar"), ClusterSlot::hashedPart("foo{bar}{zap}"));
		CPPUNIT_ASSERT_EQUAL(std::string("foo{}{bar}"), ClusterSlot::hashedPart("foo{}{bar}"));
		CPPUNIT_ASSERT_EQUAL(std::string("{bar"), ClusterSlot::hashedPart("foo{{bar}}zap"));
		CPPUNIT_ASSERT_EQUAL(std::string("foo{bar"), ClusterSlot::hashedPart("foo{bar"));
		CPPUNIT_ASSERT_EQUAL(std::string("foo}bar{"), ClusterSlot::hashedPart("foo}bar{"));
		CPPUNIT_ASSERT_EQUAL(ClusterSlot::ofKey("bar"), ClusterSlot::ofKey("foo{bar}{zap}"));
	}

	void testBusChannelsHashOnTheirFullName()
	{
		// Channel names carry no braces: each hashes whole, so tenants spread over slots.
		std::set<unsigned> slots;
		for (int tenant = 0; tenant < 100; ++tenant)
		{
			const std::string channel = "c2pro.dev.tenant" + std::to_string(tenant) + ".orders";
			CPPUNIT_ASSERT_EQUAL(channel, ClusterSlot::hashedPart(channel));
			const unsigned slot = ClusterSlot::ofKey(channel);
			CPPUNIT_ASSERT(slot < ClusterSlot::Count);
			slots.insert(slot);
		}
		CPPUNIT_ASSERT(slots.size() > 90);
	}

	void testMovedIsParsed()
	{
		const ClusterRedirect r = ClusterRedirect::parse("MOVED 3999 127.0.0.1:6381");
		CPPUNIT_ASSERT(r.kind == ClusterRedirect::Kind::Moved);
		CPPUNIT_ASSERT_EQUAL(3999u, r.slot);
		CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), r.target.host);
		CPPUNIT_ASSERT_EQUAL(6381, static_cast<int>(r.target.port));
		const ClusterRedirect v6 = ClusterRedirect::parse("MOVED 1 [::1]:7000");
		CPPUNIT_ASSERT(v6.kind == ClusterRedirect::Kind::Moved);
		CPPUNIT_ASSERT_EQUAL(std::string("::1"), v6.target.host);
		const ClusterRedirect noHost = ClusterRedirect::parse("MOVED 2 :7001");
		CPPUNIT_ASSERT(noHost.kind == ClusterRedirect::Kind::Moved);
		CPPUNIT_ASSERT(noHost.target.host.empty());
		CPPUNIT_ASSERT_EQUAL(7001, static_cast<int>(noHost.target.port));
	}

	void testAskIsParsed()
	{
		const ClusterRedirect r = ClusterRedirect::parse("ASK 16383 10.0.0.2:7002");
		CPPUNIT_ASSERT(r.kind == ClusterRedirect::Kind::Ask);
		CPPUNIT_ASSERT_EQUAL(16383u, r.slot);
		CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.2"), r.target.host);
		CPPUNIT_ASSERT_EQUAL(7002, static_cast<int>(r.target.port));
	}

	void testOtherErrorsAreNoRedirect()
	{
		for (const char* text : {"ERR unknown command", "MOVED 16384 127.0.0.1:1", "MOVED x 127.0.0.1:1",
		         "ASK 1 127.0.0.1", "ASK 1 127.0.0.1:0", "MOVED 1 127.0.0.1:70000", "MOVED 1", "TRYAGAIN",
		         "CLUSTERDOWN The cluster is down", "", "MOVED 1 evil\x1b[2J:7000", "MOVED 1 a\rb:7000",
		         "ASK 2 [host\n]:7000", "MOVED 3 h\xc3\xa9:7000"})
			CPPUNIT_ASSERT_MESSAGE(text, ClusterRedirect::parse(text).kind == ClusterRedirect::Kind::None);
	}

	void testSlotMapFromClusterSlots()
	{
		// Two ranges on two masters (one announcing no host), slots 100..16383 uncovered.
		const std::string resp = "*2\r\n"
		                         "*4\r\n:0\r\n:49\r\n*3\r\n$9\r\n127.0.0.1\r\n:7000\r\n$2\r\nid\r\n"
		                         "*3\r\n$9\r\n127.0.0.1\r\n:7003\r\n$2\r\nr1\r\n"
		                         "*3\r\n:50\r\n:99\r\n*3\r\n$0\r\n\r\n:7001\r\n$2\r\ni2\r\n";
		void* raw = parsed(resp);
		const ClusterSlotMap map = ClusterSlotMap::fromSlotsReply(*static_cast<redisReply*>(raw), "10.1.1.1");
		freeReplyObject(raw);
		CPPUNIT_ASSERT_EQUAL(100u, map.coveredSlots());
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), map.masters().size());
		CPPUNIT_ASSERT_EQUAL(7000, static_cast<int>(map.ownerOf(49)->port));
		CPPUNIT_ASSERT_EQUAL(std::string("10.1.1.1"), map.ownerOf(50)->host);
		CPPUNIT_ASSERT_EQUAL(7001, static_cast<int>(map.ownerOf(99)->port));
		CPPUNIT_ASSERT(map.ownerOf(100) == nullptr);
		ClusterSlotMap moved = map;
		moved.assign(100, *map.ownerOf(0));
		CPPUNIT_ASSERT_EQUAL(101u, moved.coveredSlots());
		CPPUNIT_ASSERT_EQUAL(7000, static_cast<int>(moved.ownerOf(100)->port));
	}

	void testSlotMapRefusesAForgedHost()
	{
		// A hostile node announcing a "host" that would forge a log line.
		const std::string host = "1.2.3.4\nWARN forged";
		const std::string resp = "*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n$" + std::to_string(host.size()) + "\r\n" + host
			+ "\r\n:7000\r\n$2\r\nid\r\n";
		void* raw = parsed(resp);
		bool refused = false;
		try
		{
			ClusterSlotMap::fromSlotsReply(*static_cast<redisReply*>(raw), "10.1.1.1");
		}
		catch (Poco::DataFormatException& exc)
		{
			refused = exc.message().find('\n') == std::string::npos;
		}
		freeReplyObject(raw);
		CPPUNIT_ASSERT(refused);
		CPPUNIT_ASSERT(RedisNodeAddress::isPlausibleHost("fe80::1%eth0"));
		CPPUNIT_ASSERT(RedisNodeAddress::isPlausibleHost("redis-0.redis.svc_a"));
		CPPUNIT_ASSERT(!RedisNodeAddress::isPlausibleHost(std::string(256, 'a')));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClusterSlotTest);
