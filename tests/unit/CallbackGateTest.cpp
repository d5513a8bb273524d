// Suite ID: unit.callback-gate
//
// CallbackGateTest.cpp
//
// The one "never called after unsubscribe returned" mechanism on its own:
// a closed gate runs nothing, close() waits for a call on another thread,
// close() from inside the call does not wait for itself.
//
#include "UnitSupport.h"
#include "eventbus/CallbackGate.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

using namespace eventbus;
using namespace eventbus::test;

class CallbackGateTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(CallbackGateTest);
	CPPUNIT_TEST(testOpenGateRunsTheCall);
	CPPUNIT_TEST(testClosedGateRunsNothing);
	CPPUNIT_TEST(testCloseWaitsForACallOnAnotherThread);
	CPPUNIT_TEST(testCloseFromInsideTheCallDoesNotWaitForItself);
	CPPUNIT_TEST(testAThrowingCallLeavesTheGate);
	CPPUNIT_TEST(testCloseWithoutWaitingReturnsWhileACallRuns);
	CPPUNIT_TEST_SUITE_END();

public:
	void testOpenGateRunsTheCall()
	{
		CallbackGate gate;
		int calls = 0;
		CPPUNIT_ASSERT(gate.pass([&]() { ++calls; }));
		CPPUNIT_ASSERT_EQUAL(1, calls);
		CPPUNIT_ASSERT(gate.isOpen());
	}

	void testClosedGateRunsNothing()
	{
		CallbackGate gate;
		gate.close();
		gate.close(); // idempotent
		int calls = 0;
		CPPUNIT_ASSERT(!gate.pass([&]() { ++calls; }));
		CPPUNIT_ASSERT_EQUAL(0, calls);
		CPPUNIT_ASSERT(!gate.isOpen());
	}

	void testCloseWaitsForACallOnAnotherThread()
	{
		CallbackGate gate;
		std::promise<void> entered;
		std::promise<void> release;
		std::shared_future<void> released = release.get_future().share();
		std::atomic<bool> finished{false};
		std::thread caller([&]() {
			gate.pass([&]() {
				entered.set_value();
				released.wait();
				finished = true;
			});
		});
		entered.get_future().wait();
		std::atomic<bool> closed{false};
		std::thread closer([&]() {
			gate.close();
			// The call must be over when close() returns.
			closed = finished.load();
		});
		// close() cannot return while the call is inside: it stays blocked
		// until the call is released.
		CPPUNIT_ASSERT(!waitUntil([&]() { return closed.load(); }, std::chrono::milliseconds(100)));
		release.set_value();
		caller.join();
		closer.join();
		CPPUNIT_ASSERT(closed.load());
	}

	void testCloseFromInsideTheCallDoesNotWaitForItself()
	{
		CallbackGate gate;
		auto done = std::async(std::launch::async, [&]() {
			return gate.pass([&]() { gate.close(); });
		});
		CPPUNIT_ASSERT(done.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
		CPPUNIT_ASSERT(done.get());
		CPPUNIT_ASSERT(!gate.pass([]() {}));
	}

	void testAThrowingCallLeavesTheGate()
	{
		CallbackGate gate;
		bool threw = false;
		try
		{
			gate.pass([]() { throw std::runtime_error("handler"); });
		}
		catch (std::runtime_error&)
		{
			threw = true;
		}
		CPPUNIT_ASSERT(threw);
		// Nothing is left inside: close() returns at once on another thread.
		auto closed = std::async(std::launch::async, [&]() { gate.close(); });
		CPPUNIT_ASSERT(closed.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
	}

	void testCloseWithoutWaitingReturnsWhileACallRuns()
	{
		CallbackGate gate;
		std::promise<void> entered;
		std::promise<void> release;
		std::shared_future<void> released = release.get_future().share();
		std::thread caller([&]() {
			gate.pass([&]() {
				entered.set_value();
				released.wait();
			});
		});
		entered.get_future().wait();
		gate.closeWithoutWaiting(); // must not block on the running call
		CPPUNIT_ASSERT(!gate.pass([]() {}));
		release.set_value();
		caller.join();
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(CallbackGateTest);
