// Suite ID: fault.redis.streams
//
// RedisStreamsFaultTest.cpp
//
// The redis-streams transport under the faults of issue 12, on a real
// redis-server: a subscriber process SIGKILLed in the middle of a batch, a
// consumer paused with SIGSTOP, a server with appendfsync always killed
// between publishes, a server restarted without persistence. Every figure
// (sent, handled, distinct, missing, duplicates) is asserted exactly and
// printed, so a run records the loss of each fault.
//
#include "RedisStreamsSupport.h"
#include "eventbus/Exceptions.h"
#include <cppunit/extensions/HelperMacros.h>
#include <memory>

using namespace eventbus;
using namespace eventbus::test;

namespace {

const std::string Group = "billing";

std::string channelOf(const std::string& tenant)
{
	return "c2pro.production." + tenant + "." + StreamsTopic;
}

void report(const std::string& fault, const Tally& tally, const std::string& more = "")
{
	std::cout << "\n  [" << fault << "] " << tally.describe() << (more.empty() ? "" : ", " + more) << std::endl;
}

} // namespace

class RedisStreamsFaultTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedisStreamsFaultTest);
	CPPUNIT_TEST(testKilledSubscriberProcessLeavesItsUnacknowledgedEventsToTheGroup);
	CPPUNIT_TEST(testPausedConsumersEntriesAreReclaimedByTheOther);
	CPPUNIT_TEST(testSubscribeCountLeavesTheRestToTheGroup);
	CPPUNIT_TEST(testConfirmedPublishesSurviveSigkillOfAnAppendFsyncAlwaysServer);
	CPPUNIT_TEST(testRestartWithoutPersistenceRecoversTheGroupSignalsAGapAndResumes);
	CPPUNIT_TEST_SUITE_END();

public:
	/// Publishes 0..count-1 for acme, each confirmed.
	static void publishAll(const RedisServer& server, int from, int count)
	{
		EventBus publisher(*streamsConfig(server.url()));
		for (int n = from; n < from + count; ++n)
			publisher.publish(StreamsTopic, numbered(n), "acme");
		publisher.close();
	}

	/// A consumer process of the group that stops reading its stdout after a
	/// few lines, so it blocks in its handler with a batch in flight; it
	/// never reclaims (claimIdleMs 60 s). Returns once it holds entries.
	static std::unique_ptr<StreamsChild> stuckConsumer(const RedisServer& server, int count)
	{
		std::vector<std::string> args = streamsArgs(server.url(), {{"eventbus.redis.streams.batch", "20"},
			{"eventbus.redis.streams.claimIdleMs", "60000"}});
		args.insert(args.end(), {"subscribe", "--tenant", "acme", "--topic", StreamsTopic, "--group", Group,
			"--count", std::to_string(count)});
		std::unique_ptr<StreamsChild> child(new StreamsChild(args, 10));
		const std::string key = channelOf("acme");
		// Blocked once the pipe is full: entries pending, and nothing
		// acknowledged or read any more (the pending list holds still).
		CPPUNIT_ASSERT_MESSAGE(child->err(), waitUntil([&]() {
			if (child->lines() < 10)
				return false;
			const std::size_t before = pendingEntries(server, key, Group).size();
			return before > 0 && !waitUntil([&]() { return pendingEntries(server, key, Group).size() != before; },
				std::chrono::milliseconds(500));
		}, std::chrono::milliseconds(30000)));
		return child;
	}

	/// The numbers of the entries pending in the group now.
	static std::set<int> pendingNumbers(const RedisServer& server)
	{
		const std::string key = channelOf("acme");
		const std::map<std::string, int> numbers = entryNumbers(server, key);
		std::set<int> pending;
		for (const auto& entry : pendingEntries(server, key, Group))
			pending.insert(numbers.at(entry.first));
		return pending;
	}

	/// The other consumer of the group, in this process, until every number
	/// of `sent` was handled by it or by `first`, and nothing is pending.
	static std::vector<int> takeOver(const RedisServer& server, const std::set<int>& sent, const std::vector<int>& first)
	{
		NumberLog log;
		EventBus other(*streamsConfig(server.url()));
		other.subscribe(StreamsTopic, log.handler(), TenantScope::tenant("acme"), SubscribeOptions{Group});
		const bool all = waitUntil([&]() {
			std::vector<int> both = first;
			const std::vector<int> mine = log.numbers();
			both.insert(both.end(), mine.begin(), mine.end());
			return Tally::of(sent, both).missing == 0;
		}, std::chrono::milliseconds(30000));
		CPPUNIT_ASSERT_MESSAGE(Tally::of(sent, log.numbers()).describe(), all);
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingEntries(server, channelOf("acme"), Group).empty(); },
			std::chrono::milliseconds(10000)));
		other.close();
		return log.numbers();
	}

	/// Checks the figures of a consumer `first` (what it printed) that
	/// stopped with `pendingAtFault` unacknowledged, and `second`, which took over.
	static void assertTakeOver(const std::string& fault, const std::set<int>& sent, const std::vector<int>& first,
		const std::set<int>& pendingAtFault, const std::vector<int>& second)
	{
		std::vector<int> both = first;
		both.insert(both.end(), second.begin(), second.end());
		const Tally tally = Tally::of(sent, both);
		// The events the first printed whose acknowledgement never happened:
		// handled again by the second, and only those.
		std::size_t printedNotAcked = 0;
		for (int n : std::set<int>(first.begin(), first.end()))
			printedNotAcked += pendingAtFault.count(n);
		std::size_t secondOfAcked = 0;
		for (int n : second)
			secondOfAcked += std::count(first.begin(), first.end(), n) > 0 && pendingAtFault.count(n) == 0 ? 1 : 0;
		report(fault, tally, "first consumer printed " + std::to_string(first.size()) + ", pending at the fault "
			+ std::to_string(pendingAtFault.size()) + " (printed, not acknowledged: " + std::to_string(printedNotAcked)
			+ "), second consumer handled " + std::to_string(second.size()));
		CPPUNIT_ASSERT_EQUAL(sent.size(), tally.sent);
		CPPUNIT_ASSERT_EQUAL(sent.size(), tally.distinct);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.missing);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.unknown);
		CPPUNIT_ASSERT(!pendingAtFault.empty());
		CPPUNIT_ASSERT_EQUAL(printedNotAcked, tally.duplicates);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), secondOfAcked);
		// Each consumer handled an event at most once.
		CPPUNIT_ASSERT_EQUAL(second.size(), std::set<int>(second.begin(), second.end()).size());
	}

	void testKilledSubscriberProcessLeavesItsUnacknowledgedEventsToTheGroup()
	{
		if (skipWithoutStreams(__func__)) return;
		RedisServer server;
		const int count = 400;
		publishAll(server, 0, count);
		std::unique_ptr<StreamsChild> child = stuckConsumer(server, count);
		child->kill(); // SIGKILL in the middle of its batch
		child->release();
		CPPUNIT_ASSERT(child->waitDrained(std::chrono::milliseconds(5000)));
		const std::set<int> pending = pendingNumbers(server);
		const std::vector<int> second = takeOver(server, range(count), child->numbers());
		assertTakeOver("SIGKILL of a subscriber process", range(count), child->numbers(), pending, second);
	}

	void testPausedConsumersEntriesAreReclaimedByTheOther()
	{
		if (skipWithoutStreams(__func__)) return;
		RedisServer server;
		const int count = 400;
		publishAll(server, 0, count);
		std::unique_ptr<StreamsChild> child = stuckConsumer(server, count);
		child->signal(SIGSTOP);
		// What it printed before it stopped, the lines still in the pipe included.
		CPPUNIT_ASSERT(child->drainStopped(std::chrono::milliseconds(5000)));
		const std::vector<int> printed = child->numbers();
		const std::set<int> pending = pendingNumbers(server);
		const std::vector<int> second = takeOver(server, range(count), printed);
		// Reclaimed from a consumer that is alive, only stopped.
		CPPUNIT_ASSERT_EQUAL(-1, child->waitExit(std::chrono::milliseconds(0)));
		assertTakeOver("SIGSTOP of a consumer", range(count), printed, pending, second);
		child->kill();
	}

	void testSubscribeCountLeavesTheRestToTheGroup()
	{
		if (skipWithoutStreams(__func__)) return;
		RedisServer server;
		publishAll(server, 0, 10);
		// It reads the whole batch, prints 2 and exits: the other 8 are not
		// acknowledged, they stay pending for the group.
		std::vector<std::string> args = streamsArgs(server.url(), {{"eventbus.redis.streams.claimIdleMs", "60000"},
			{"eventbus.redis.streams.retryBackoffMs", "1000"}, {"eventbus.redis.streams.retryBackoffMaxMs", "1000"}});
		args.insert(args.end(), {"subscribe", "--tenant", "acme", "--topic", StreamsTopic, "--group", Group,
			"--count", "2", "--timeout", "20"});
		StreamsChild child(args);
		const int code = child.waitExit(std::chrono::milliseconds(20000));
		CPPUNIT_ASSERT_EQUAL_MESSAGE(child.err(), 0, code);
		CPPUNIT_ASSERT(child.waitDrained(std::chrono::milliseconds(5000)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), child.lines());
		// What it printed is acknowledged, what it read beyond is not.
		const std::set<int> pending = pendingNumbers(server);
		for (int n : child.numbers())
			CPPUNIT_ASSERT_EQUAL(std::size_t(0), pending.count(n));
		const std::vector<int> second = takeOver(server, range(10), child.numbers());
		std::vector<int> both = child.numbers();
		both.insert(both.end(), second.begin(), second.end());
		const Tally tally = Tally::of(range(10), both);
		report("subscribe --group --count 2 of 10", tally);
		CPPUNIT_ASSERT_EQUAL(std::size_t(10), tally.distinct);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.missing);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.duplicates);
		CPPUNIT_ASSERT_EQUAL(std::size_t(8), second.size());
	}

	void testConfirmedPublishesSurviveSigkillOfAnAppendFsyncAlwaysServer()
	{
		if (skipWithoutStreams(__func__)) return;
		RedisServer server({"--appendonly", "yes", "--appendfsync", "always"});
		std::set<int> confirmed;
		std::size_t refused = 0;
		int n = 0;
		{
			EventBus publisher(*streamsConfig(server.url()));
			for (int round = 0; round < 4; ++round)
			{
				for (int i = 0; i < 50; ++i, ++n)
				{
					publisher.publish(StreamsTopic, numbered(n), "acme");
					confirmed.insert(n);
				}
				if (round == 3)
					break;
				server.kill();
				// Not confirmed while the server is gone: refused, never counted as sent.
				try
				{
					publisher.publish(StreamsTopic, numbered(100000 + round), "acme");
					CPPUNIT_FAIL("a publish to a killed server was confirmed");
				}
				catch (TransportException&)
				{
					++refused;
				}
				server.restart();
				CPPUNIT_ASSERT(waitUntil([&]() { return publisher.health().ready; }, std::chrono::milliseconds(10000)));
			}
			publisher.close();
		}
		NumberLog log;
		EventBus consumer(*streamsConfig(server.url()));
		consumer.subscribe(StreamsTopic, log.handler(), TenantScope::tenant("acme"), SubscribeOptions{Group});
		CPPUNIT_ASSERT(waitUntil([&]() { return Tally::of(confirmed, log.numbers()).missing == 0; },
			std::chrono::milliseconds(20000)));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingEntries(server, channelOf("acme"), Group).empty(); },
			std::chrono::milliseconds(10000)));
		consumer.close();
		const Tally tally = Tally::of(confirmed, log.numbers());
		report("appendfsync always, SIGKILL x3 between publishes", tally,
			"refused while down " + std::to_string(refused));
		CPPUNIT_ASSERT_EQUAL(std::size_t(200), tally.sent);
		CPPUNIT_ASSERT_EQUAL(std::size_t(200), tally.distinct);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.missing);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.duplicates);
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), refused);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.unknown); // no refused publish reached the stream
		CPPUNIT_ASSERT_EQUAL(200LL, server.command({"XLEN", channelOf("acme")}).integer);
	}

	void testRestartWithoutPersistenceRecoversTheGroupSignalsAGapAndResumes()
	{
		if (skipWithoutStreams(__func__)) return;
		RedisServer server;
		NumberLog log;
		EventBus consumer(*streamsConfig(server.url()));
		GapCounter gaps(consumer);
		consumer.subscribe(StreamsTopic, log.handler(), TenantScope::tenant("acme"), SubscribeOptions{Group});
		CPPUNIT_ASSERT(waitUntil([&]() { return consumer.health().ready; }, std::chrono::milliseconds(10000)));
		publishAll(server, 0, 20);
		CPPUNIT_ASSERT(waitUntil([&]() { return log.numbers().size() == 20; }, std::chrono::milliseconds(10000)));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), gaps.count());

		server.restart(); // no persistence: the stream and its group are gone
		CPPUNIT_ASSERT_MESSAGE(server.logTail(), waitUntil([&]() { return gaps.count() >= 1; },
			std::chrono::milliseconds(15000)));
		// The group is back without anyone creating it by hand.
		CPPUNIT_ASSERT(waitUntil([&]() {
			RedisValue groups = server.command({"XINFO", "GROUPS", channelOf("acme")});
			return !groups.isError() && groups.elements.size() == 1;
		}, std::chrono::milliseconds(10000)));
		publishAll(server, 20, 20);
		CPPUNIT_ASSERT(waitUntil([&]() { return Tally::of(range(40), log.numbers()).missing == 0; },
			std::chrono::milliseconds(15000)));
		CPPUNIT_ASSERT(waitUntil([&]() { return pendingEntries(server, channelOf("acme"), Group).empty(); },
			std::chrono::milliseconds(10000)));
		const std::size_t gapCount = gaps.count();
		consumer.close();
		const Tally tally = Tally::of(range(40), log.numbers());
		report("restart without persistence", tally, "gaps signalled " + std::to_string(gapCount) + " ("
			+ gaps.lastReason() + ")");
		CPPUNIT_ASSERT_EQUAL(std::size_t(40), tally.distinct);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.missing);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), tally.duplicates);
		CPPUNIT_ASSERT(gapCount >= 1);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisStreamsFaultTest);
