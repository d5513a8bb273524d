// Suite ID: unit.concurrency
//
// ConcurrencyTest.cpp
//
// The bus under threads, on the memory transport: many publishers, churn of
// subscriptions, unsubscribe from inside handlers, several buses in one
// process, close() while publishing.
//
#include "BusTestSupport.h"
#include "eventbus/EventBus.h"
#include "eventbus/Exceptions.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

using namespace eventbus;
using namespace eventbus::test;

namespace {

std::unique_ptr<EventBus> memoryBus()
{
	return std::unique_ptr<EventBus>(new EventBus(*makeConfig("memory")));
}

/// Publishes, retrying while the bounded queue is full (back-pressure, not
/// synchronisation: the failed attempt was not accepted, so order holds).
Receipt publishRetrying(EventBus& bus, const std::string& topic, const Poco::JSON::Object::Ptr& data,
	const std::string& tenant, std::atomic<std::uint64_t>& overflows)
{
	for (;;)
	{
		try
		{
			return bus.publish(topic, data, tenant);
		}
		catch (OverflowException&)
		{
			++overflows;
			std::this_thread::yield();
		}
	}
}

Poco::JSON::Object::Ptr sequenced(int publisher, int seq)
{
	Poco::JSON::Object::Ptr o(new Poco::JSON::Object);
	o->set("p", publisher);
	o->set("seq", seq);
	return o;
}

} // namespace

class ConcurrencyTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(ConcurrencyTest);
	CPPUNIT_TEST(testManyPublishersDeliveredExactlyOnceInOrder);
	CPPUNIT_TEST(testConcurrentPublishersOnLoopback);
	CPPUNIT_TEST(testSubscribeUnsubscribeChurnWhilePublishing);
	CPPUNIT_TEST(testUnsubscribeInsideHandlersUnderLoad);
	CPPUNIT_TEST(testTwoBusesInOneProcessTalkToEachOther);
	CPPUNIT_TEST(testCloseWhilePublishing);
	CPPUNIT_TEST(testOverflowOnOneBusReachesNoSubscriber);
	CPPUNIT_TEST_SUITE_END();

public:
	void testManyPublishersDeliveredExactlyOnceInOrder()
	{
		const int publishers = 8, perPublisher = 2000;
		std::mutex mutex;
		std::vector<int> next(publishers, 0);
		std::atomic<int> total{0}, outOfOrder{0};
		std::atomic<std::uint64_t> overflows{0};
		auto bus = memoryBus();
		bus->subscribe("load.ordered", [&](const Event& e) {
			const int p = e.data->getValue<int>("p");
			const int seq = e.data->getValue<int>("seq");
			std::lock_guard<std::mutex> lock(mutex);
			if (seq != next[p])
				++outOfOrder;
			next[p] = seq + 1;
			++total;
		}, TenantScope::tenant("conc-load"));

		std::vector<std::thread> threads;
		for (int p = 0; p < publishers; ++p)
			threads.emplace_back([&, p]() {
				for (int i = 0; i < perPublisher; ++i)
					publishRetrying(*bus, "load.ordered", sequenced(p, i), "conc-load", overflows);
			});
		for (auto& t : threads)
			t.join();

		CPPUNIT_ASSERT_MESSAGE(std::to_string(total.load()),
			waitUntil([&] { return total.load() >= publishers * perPublisher; }, std::chrono::milliseconds(30000)));
		CPPUNIT_ASSERT_EQUAL(0, outOfOrder.load());
		CPPUNIT_ASSERT_EQUAL(publishers * perPublisher, total.load());
		std::lock_guard<std::mutex> lock(mutex);
		for (int p = 0; p < publishers; ++p)
			CPPUNIT_ASSERT_EQUAL(perPublisher, next[p]);
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(0), bus->metrics().counterValue(Metrics::Duplicates));
	}

	void testConcurrentPublishersOnLoopback()
	{
		std::atomic<int> received{0};
		auto bus = std::unique_ptr<EventBus>(new EventBus(*makeConfig("loopback")));
		bus->subscribe("load.loop", [&](const Event&) { ++received; }, TenantScope::tenant("conc-loop"));
		std::vector<std::thread> threads;
		for (int p = 0; p < 4; ++p)
			threads.emplace_back([&, p]() {
				for (int i = 0; i < 500; ++i)
					bus->publish("load.loop", sequenced(p, i), "conc-loop");
			});
		for (auto& t : threads)
			t.join();
		CPPUNIT_ASSERT_EQUAL(2000, received.load());
		CPPUNIT_ASSERT_EQUAL(std::uint64_t(2000), bus->metrics().counterValue(Metrics::Published));
	}

	void testSubscribeUnsubscribeChurnWhilePublishing()
	{
		std::atomic<int> steady{0}, violations{0}, churnCalls{0};
		std::atomic<bool> stop{false};
		std::atomic<int> published{0};
		std::atomic<std::uint64_t> overflows{0};
		auto bus = memoryBus();
		bus->subscribe("load.churn", [&](const Event&) { ++steady; }, TenantScope::tenant("conc-churn"));

		std::thread publisher([&]() {
			for (int i = 0; !stop.load(); ++i)
			{
				publishRetrying(*bus, "load.churn", sequenced(0, i), "conc-churn", overflows);
				++published;
			}
		});
		std::thread churn([&]() {
			for (int i = 0; i < 300; ++i)
			{
				auto unsubscribed = std::make_shared<std::atomic<bool>>(false);
				const auto token = bus->subscribe("load.churn", [unsubscribed, &violations, &churnCalls](const Event&) {
					++churnCalls;
					if (unsubscribed->load())
						++violations;
				}, TenantScope::tenant("conc-churn"));
				if (i % 3 == 0)
					waitUntil([&] { return churnCalls.load() > 0; }, std::chrono::milliseconds(50));
				bus->unsubscribe(token);
				unsubscribed->store(true);
			}
		});
		churn.join();
		stop = true;
		publisher.join();

		CPPUNIT_ASSERT(waitUntil([&] { return steady.load() >= published.load(); }, std::chrono::milliseconds(20000)));
		CPPUNIT_ASSERT_EQUAL(published.load(), steady.load());
		CPPUNIT_ASSERT_EQUAL(0, violations.load());
		CPPUNIT_ASSERT(churnCalls.load() > 0);
	}

	void testUnsubscribeInsideHandlersUnderLoad()
	{
		const int subscribers = 20, publishers = 4, perPublisher = 200;
		std::vector<std::atomic<int>> calls(subscribers);
		std::vector<std::atomic<SubscriptionToken>> tokens(subscribers);
		std::atomic<int> witness{0};
		std::atomic<std::uint64_t> overflows{0};
		auto bus = memoryBus();
		EventBus* b = bus.get();
		for (int s = 0; s < subscribers; ++s)
		{
			calls[s] = 0;
			tokens[s] = 0;
		}
		for (int s = 0; s < subscribers; ++s)
			tokens[s] = bus->subscribe("load.selfunsub", [&, s, b](const Event&) {
				++calls[s];
				while (tokens[s].load() == 0)
					std::this_thread::yield(); // the first event may beat subscribe()'s return
				b->unsubscribe(tokens[s].load());
			}, TenantScope::tenant("conc-self"));
		bus->subscribe("load.selfunsub", [&](const Event&) { ++witness; }, TenantScope::tenant("conc-self"));

		std::vector<std::thread> threads;
		for (int p = 0; p < publishers; ++p)
			threads.emplace_back([&, p]() {
				for (int i = 0; i < perPublisher; ++i)
					publishRetrying(*bus, "load.selfunsub", sequenced(p, i), "conc-self", overflows);
			});
		for (auto& t : threads)
			t.join();

		CPPUNIT_ASSERT(waitUntil([&] { return witness.load() == publishers * perPublisher; }, std::chrono::milliseconds(20000)));
		CPPUNIT_ASSERT(waitUntil([&] {
			for (auto& c : calls)
				if (c.load() == 0)
					return false;
			return true;
		}));
		for (int s = 0; s < subscribers; ++s)
			CPPUNIT_ASSERT_EQUAL_MESSAGE("subscriber " + std::to_string(s), 1, calls[s].load());
	}

	void testTwoBusesInOneProcessTalkToEachOther()
	{
		Collector onA, onB;
		auto a = memoryBus();
		auto b = memoryBus();
		a->subscribe("load.twobus", onA.handler(), TenantScope::tenant("conc-two"));
		b->subscribe("load.twobus", onB.handler(), TenantScope::tenant("conc-two"));
		for (int i = 0; i < 50; ++i)
			a->publish("load.twobus", sequenced(1, i), "conc-two");
		for (int i = 0; i < 50; ++i)
			b->publish("load.twobus", sequenced(2, i), "conc-two");
		CPPUNIT_ASSERT(onA.waitFor(100));
		CPPUNIT_ASSERT(onB.waitFor(100));
		CPPUNIT_ASSERT_EQUAL(std::size_t(100), onA.size());
		CPPUNIT_ASSERT_EQUAL(std::size_t(100), onB.size());
	}

	void testOverflowOnOneBusReachesNoSubscriber()
	{
		// Bus `slow` holds one queued event and is stuck in its handler; bus
		// `fast` has room. An event that overflows `slow` must not reach `fast`
		// either, or a retried publish would deliver it there twice.
		Collector onFast;
		std::atomic<int> slowEntered{0};
		std::mutex gateMutex;
		std::condition_variable gateCv;
		bool open = false;
		auto fast = memoryBus();
		std::unique_ptr<EventBus> slow(new EventBus(*makeConfig("memory",
			{{"eventbus.memory.queueCapacity", "1"}, {"eventbus.memory.enqueueTimeoutMs", "0"}})));
		fast->subscribe("load.allornothing", onFast.handler(), TenantScope::tenant("conc-aon"));
		slow->subscribe("load.allornothing", [&](const Event&) {
			++slowEntered;
			std::unique_lock<std::mutex> lock(gateMutex);
			gateCv.wait(lock, [&] { return open; });
		}, TenantScope::tenant("conc-aon"));

		fast->publish("load.allornothing", sequenced(1, 0), "conc-aon");
		CPPUNIT_ASSERT(waitUntil([&] { return slowEntered.load() == 1; })); // slow's queue is empty again
		fast->publish("load.allornothing", sequenced(1, 1), "conc-aon");  // slow's queue is now full
		bool overflowed = false;
		try
		{
			fast->publish("load.allornothing", sequenced(1, 2), "conc-aon");
		}
		catch (OverflowException&)
		{
			overflowed = true;
		}
		CPPUNIT_ASSERT(overflowed);
		{
			std::lock_guard<std::mutex> lock(gateMutex);
			open = true;
		}
		gateCv.notify_all();
		// seq 1 taken out of slow's one-place queue (its handler entered): room again.
		CPPUNIT_ASSERT(waitUntil([&] { return slowEntered.load() == 2; }));
		fast->publish("load.allornothing", sequenced(1, 3), "conc-aon");
		CPPUNIT_ASSERT(waitUntil([&] { return slowEntered.load() == 3; }));
		CPPUNIT_ASSERT(onFast.waitFor(3));
		std::vector<int> seqs;
		for (const auto& e : onFast.events())
			seqs.push_back(e.data->getValue<int>("seq"));
		CPPUNIT_ASSERT(seqs == std::vector<int>({0, 1, 3}));
	}

	void testCloseWhilePublishing()
	{
		std::atomic<int> delivered{0}, afterClose{0}, refused{0};
		std::atomic<bool> closed{false}, stop{false};
		auto bus = memoryBus();
		bus->subscribe("load.close", [&](const Event&) {
			++delivered;
			if (closed.load())
				++afterClose;
		}, TenantScope::tenant("conc-close"));

		std::vector<std::thread> threads;
		for (int p = 0; p < 4; ++p)
			threads.emplace_back([&, p]() {
				for (int i = 0; !stop.load(); ++i)
				{
					try
					{
						bus->publish("load.close", sequenced(p, i), "conc-close");
					}
					catch (Poco::Exception&)
					{
						++refused;
						if (closed.load())
							std::this_thread::yield();
					}
				}
			});
		CPPUNIT_ASSERT(waitUntil([&] { return delivered.load() >= 200; }));
		runOrAbort("close() while publishing", [&] { bus->close(); });
		closed = true;
		// Keep publishing against the closed bus for a while: no crash, no delivery.
		const int refusedAtClose = refused.load();
		waitUntil([&] { return refused.load() > refusedAtClose + 100; }, std::chrono::milliseconds(500));
		stop = true;
		for (auto& t : threads)
			t.join();
		CPPUNIT_ASSERT_EQUAL(0, afterClose.load());
		bus.reset();
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConcurrencyTest);
