// Suite ID: contract.transport
//
// TransportContractTest.cpp
//
// The Transport contract (eventbus/Transport.h) on the transport that
// eventbus::contract::contractTarget() makes, driven directly: raw
// DeliveryCallbacks, OutboundMessages with real CloudEvents wires, no
// EventBus in between (whose own gates would hide a transport calling back
// after unsubscribe() returned). The target's TransportFeatures decide which
// behaviours run; a skipped one prints "SKIPPED <test>: <reason>". Every test
// uses topics of its own, so one broker serves the whole run. A negative
// ("nothing arrives") is proved with a barrier: a later message that arrives.
// Recorders are declared before the session, so they outlive its subscriptions.
//
#include "ContractRecorder.h"
#include "ContractSession.h"
#include "TransportContract.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include <cppunit/extensions/HelperMacros.h>
#include <atomic>
#include <iostream>
#include <memory>
#include <set>
#include <thread>
#include <vector>

using namespace eventbus;
using namespace eventbus::contract;

namespace {

const std::string TenantA = "tenant-a";
const std::string TenantB = "tenant-b";

void skip(const std::string& test, const std::string& reason)
{
	std::cout << "\nSKIPPED " << test << ": " << reason << std::endl;
}

} // namespace

class TransportContractTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(TransportContractTest);
	CPPUNIT_TEST(identityMatchesTheFeatures);
	CPPUNIT_TEST(healthIsReadyAfterStart);
	CPPUNIT_TEST(publishedMessageReachesItsSubscriptionExactlyOnce);
	CPPUNIT_TEST(otherChannelsGetNothing);
	CPPUNIT_TEST(twoSubscriptionsOfOneChannelEachGetIt);
	CPPUNIT_TEST(patternSubscriptionMatchesEveryTenant);
	CPPUNIT_TEST(oneChannelKeepsPublishOrder);
	CPPUNIT_TEST(publishAsyncCallsDoneOncePerMessage);
	CPPUNIT_TEST(noCallbackAfterUnsubscribeReturned);
	CPPUNIT_TEST(unsubscribeInsideTheCallbackDoesNotDeadlock);
	CPPUNIT_TEST(unsubscribeIsIdempotent);
	CPPUNIT_TEST(noCallbackAfterStopReturnedAndPublishThrows);
	CPPUNIT_TEST(stopIsIdempotent);
	CPPUNIT_TEST(failedDeliveryIsRedelivered);
	CPPUNIT_TEST(deliveryResumesAfterABrokerRestart);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_target = contractTarget();
	}

	void identityMatchesTheFeatures()
	{
		ContractSession session(_target);
		CPPUNIT_ASSERT_EQUAL(_target.transport, session.transport().name());
		CPPUNIT_ASSERT_EQUAL(_target.features.inProcess, session.transport().isInProcess());
	}

	void healthIsReadyAfterStart()
	{
		ContractSession session(_target);
		CPPUNIT_ASSERT_MESSAGE(session.transport().health().reason, session.waitReady(_target.timeout));
	}

	void publishedMessageReachesItsSubscriptionExactlyOnce()
	{
		ContractRecorder recorder;
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("once");
		session.transport().subscribe(ChannelSubscription(ContractSession::channel(TenantA, topic)), recorder.callback());
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		std::vector<OutboundMessage> sent;
		for (int i = 0; i < 50; ++i)
		{
			sent.push_back(ContractSession::message(TenantA, topic, i));
			session.transport().publish(sent.back());
		}
		recorder.waitFor(sent.size(), _target.timeout);
		// A duplicate would come right behind: give it a moment to show.
		recorder.waitFor(sent.size() + 1, std::chrono::milliseconds(100));
		expectExactly(sent, recorder);
		for (const auto& r : recorder.received())
		{
			CPPUNIT_ASSERT_EQUAL(ContractSession::channel(TenantA, topic), r.channel);
			CPPUNIT_ASSERT(r.deliveryCount >= 1);
		}
	}

	void otherChannelsGetNothing()
	{
		ContractRecorder recorder;
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("isolation");
		session.transport().subscribe(ChannelSubscription(ContractSession::channel(TenantA, topic)), recorder.callback());
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		session.transport().publish(ContractSession::message(TenantB, topic, 1));        // other tenant
		session.transport().publish(ContractSession::message(TenantA, topic + ".x", 2)); // longer topic
		session.transport().publish(ContractSession::message(TenantA, "other." + topic, 3));
		session.transport().publish(ContractSession::message(TenantA, topic, 4));        // the barrier
		CPPUNIT_ASSERT(recorder.waitFor(1, _target.timeout));
		CPPUNIT_ASSERT(!recorder.waitFor(2, std::chrono::milliseconds(100)));
		CPPUNIT_ASSERT_EQUAL(4, recorder.received().at(0).seq);
	}

	void twoSubscriptionsOfOneChannelEachGetIt()
	{
		ContractRecorder first, second;
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("fanout");
		const ChannelSubscription subscription(ContractSession::channel(TenantA, topic));
		const std::uint64_t a = session.transport().subscribe(subscription, first.callback());
		const std::uint64_t b = session.transport().subscribe(subscription, second.callback());
		CPPUNIT_ASSERT(a > 0 && b > 0 && a != b);
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		std::vector<OutboundMessage> sent;
		for (int i = 0; i < 20; ++i)
		{
			sent.push_back(ContractSession::message(TenantA, topic, i));
			session.transport().publish(sent.back());
		}
		first.waitFor(sent.size(), _target.timeout);
		second.waitFor(sent.size(), _target.timeout);
		expectExactly(sent, first);
		expectExactly(sent, second);
	}

	void patternSubscriptionMatchesEveryTenant()
	{
		if (!_target.features.patterns)
			return skip("patternSubscriptionMatchesEveryTenant", "the transport has no pattern subscriptions");
		ContractRecorder recorder;
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("pattern");
		session.transport().subscribe(ChannelSubscription(ContractSession::pattern(topic), true), recorder.callback());
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		// `*` also matches dots (the bus checks the parsed topic): only the
		// prefix, env and topic suffix decide here.
		session.transport().publish(ContractSession::message(TenantA, topic + ".v2", 1)); // longer topic
		OutboundMessage otherEnv = ContractSession::message(TenantA, topic, 1);
		otherEnv.channel = ChannelName::build(ContractSession::Prefix, "other-env", TenantA, topic);
		session.transport().publish(otherEnv);
		session.transport().publish(ContractSession::message(TenantA, topic, 2));
		session.transport().publish(ContractSession::message(TenantB, topic, 3));
		CPPUNIT_ASSERT(recorder.waitFor(2, _target.timeout));
		CPPUNIT_ASSERT(!recorder.waitFor(3, std::chrono::milliseconds(100)));
		std::set<std::string> channels;
		for (const auto& r : recorder.received())
			channels.insert(r.channel);
		CPPUNIT_ASSERT(channels == (std::set<std::string>{ContractSession::channel(TenantA, topic),
			ContractSession::channel(TenantB, topic)}));
	}

	void oneChannelKeepsPublishOrder()
	{
		if (!_target.features.guaranteedOrder)
			return skip("oneChannelKeepsPublishOrder", "the transport does not promise order");
		ContractRecorder recorder;
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("order");
		session.transport().subscribe(ChannelSubscription(ContractSession::channel(TenantA, topic)), recorder.callback());
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		const int count = 300;
		for (int i = 0; i < count; ++i)
			session.transport().publish(ContractSession::message(TenantA, topic, i));
		CPPUNIT_ASSERT(recorder.waitFor(count, _target.timeout));
		const auto received = recorder.received();
		for (int i = 0; i < count; ++i)
			CPPUNIT_ASSERT_EQUAL_MESSAGE("position " + std::to_string(i), i, received.at(static_cast<std::size_t>(i)).seq);
	}

	void publishAsyncCallsDoneOncePerMessage()
	{
		ContractRecorder recorder;
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("async");
		session.transport().subscribe(ChannelSubscription(ContractSession::channel(TenantA, topic)), recorder.callback());
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		const int count = 100;
		auto done = std::make_shared<std::vector<std::atomic<int>>>(count);
		auto errors = std::make_shared<std::atomic<int>>(0);
		// A message stays where it is until its `done` ran (the contract lets
		// a transport queue references to it): no reallocation of `sent`.
		std::vector<OutboundMessage> sent;
		sent.reserve(count);
		int doneBeforeReturn = 0;
		for (int i = 0; i < count; ++i)
		{
			sent.push_back(ContractSession::message(TenantA, topic, i));
			session.transport().publishAsync(sent.back(), [done, errors, i](std::exception_ptr error) {
				++(*done)[static_cast<std::size_t>(i)];
				if (error)
					++*errors;
			});
			doneBeforeReturn += (*done)[static_cast<std::size_t>(i)].load() > 0 ? 1 : 0;
		}
		auto total = [&]() {
			int sum = 0;
			for (auto& calls : *done)
				sum += calls.load();
			return sum;
		};
		CPPUNIT_ASSERT(waitUntil([&]() { return total() >= count; }, _target.timeout));
		CPPUNIT_ASSERT(recorder.waitFor(sent.size(), _target.timeout));
		for (int i = 0; i < count; ++i)
			CPPUNIT_ASSERT_EQUAL_MESSAGE("done calls of message " + std::to_string(i), 1, (*done)[static_cast<std::size_t>(i)].load());
		CPPUNIT_ASSERT_EQUAL(0, errors->load());
		if (!_target.features.asyncPublish)
			CPPUNIT_ASSERT_EQUAL_MESSAGE("the default publishAsync calls done before it returns", count, doneBeforeReturn);
		expectExactly(sent, recorder);
	}

	void noCallbackAfterUnsubscribeReturned()
	{
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("gate");
		const ChannelSubscription subscription(ContractSession::channel(TenantA, topic));
		std::atomic<bool> publishing{true};
		std::atomic<int> published{0};
		std::shared_ptr<Transport> transport = session.shared();
		std::thread publisher([&]() {
			for (int i = 0; publishing.load(); ++i)
			{
				try
				{
					transport->publish(ContractSession::message(TenantA, topic, i));
					++published;
					// Pacing, so a queueing transport keeps up; not synchronisation.
					std::this_thread::sleep_for(std::chrono::microseconds(50));
				}
				catch (Poco::Exception&)
				{
					// an overflowing queue: the next try goes on
				}
			}
		});
		std::size_t late = 0, running = 0;
		for (int round = 0; round < 20; ++round)
		{
			ContractRecorder recorder;
			recorder.setAction([](const InboundMessage&, const Received&) {
				std::this_thread::yield(); // widen the window a racing unsubscribe must close
				return DeliveryResult::handled();
			});
			const std::uint64_t id = session.transport().subscribe(subscription, recorder.callback());
			session.waitReady(_target.timeout);
			recorder.waitFor(3, _target.timeout);
			session.transport().unsubscribe(id);
			recorder.fence();
			// The barrier: later messages reached a fresh subscription, so they
			// would have reached the old one by now.
			ContractRecorder barrier;
			const std::uint64_t next = session.transport().subscribe(subscription, barrier.callback());
			session.waitReady(_target.timeout);
			CPPUNIT_ASSERT_MESSAGE("messages flow while unsubscribing", barrier.waitFor(5, _target.timeout));
			session.transport().unsubscribe(next);
			late += recorder.lateCalls();
			running += recorder.runningAtFence();
		}
		publishing = false;
		publisher.join();
		CPPUNIT_ASSERT(published.load() > 0);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(_target.transport + ": callbacks started after unsubscribe() returned", std::size_t(0), late);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(_target.transport + ": callbacks still running when unsubscribe() returned", std::size_t(0), running);
	}

	void unsubscribeInsideTheCallbackDoesNotDeadlock()
	{
		ContractRecorder recorder;
		std::atomic<std::uint64_t> id{0};
		std::atomic<bool> returned{false};
		ContractRecorder barrier;
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("inside");
		std::shared_ptr<Transport> transport = session.shared();
		recorder.setAction([&, transport](const InboundMessage&, const Received&) {
			transport->unsubscribe(id.load());
			returned = true;
			return DeliveryResult::handled();
		});
		id = session.transport().subscribe(ChannelSubscription(ContractSession::channel(TenantA, topic)), recorder.callback());
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		// From another thread: a synchronous transport calls back in the publisher's.
		auto finished = std::make_shared<std::atomic<bool>>(false);
		std::thread publisher([transport, topic, finished]() {
			try
			{
				transport->publish(ContractSession::message(TenantA, topic, 1));
				transport->publish(ContractSession::message(TenantA, topic, 2));
			}
			catch (...)
			{
			}
			*finished = true;
		});
		const bool ok = waitUntil([&]() { return returned.load() && finished->load(); }, _target.timeout);
		if (!ok)
		{
			publisher.detach(); // deadlocked: the process cannot recover it
			CPPUNIT_FAIL(_target.transport + ": unsubscribe() inside the callback did not return");
		}
		publisher.join();
		// The second message, if it was routed at all, must not reach a subscription that ended.
		session.transport().subscribe(ChannelSubscription(ContractSession::channel(TenantA, topic)), barrier.callback());
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		session.transport().publish(ContractSession::message(TenantA, topic, 3));
		CPPUNIT_ASSERT(barrier.waitFor(1, _target.timeout));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), recorder.calls());
	}

	void unsubscribeIsIdempotent()
	{
		ContractRecorder recorder, barrier;
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("idempotent");
		const ChannelSubscription subscription(ContractSession::channel(TenantA, topic));
		const std::uint64_t id = session.transport().subscribe(subscription, recorder.callback());
		CPPUNIT_ASSERT(id > 0);
		session.transport().unsubscribe(id);
		session.transport().unsubscribe(id);
		session.transport().unsubscribe(id + 100000); // never handed out
		session.transport().subscribe(subscription, barrier.callback());
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		session.transport().publish(ContractSession::message(TenantA, topic, 1));
		CPPUNIT_ASSERT(barrier.waitFor(1, _target.timeout));
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), recorder.calls());
	}

	void noCallbackAfterStopReturnedAndPublishThrows()
	{
		const std::string topic = ContractSession::uniqueTopic("stop");
		const ChannelSubscription subscription(ContractSession::channel(TenantA, topic));
		ContractRecorder recorder, barrier;
		ContractSession other(_target); // a second publisher that lives on
		{
			ContractSession session(_target);
			session.transport().subscribe(subscription, recorder.callback());
			CPPUNIT_ASSERT(session.waitReady(_target.timeout));
			for (int i = 0; i < 50; ++i)
				session.transport().publish(ContractSession::message(TenantA, topic, i));
			session.transport().stop();
			recorder.fence();
			CPPUNIT_ASSERT_THROW(session.transport().publish(ContractSession::message(TenantA, topic, 99)), TransportException);
			CPPUNIT_ASSERT(!session.transport().health().ready);
			other.transport().subscribe(subscription, barrier.callback());
			CPPUNIT_ASSERT(other.waitReady(_target.timeout));
			other.transport().publish(ContractSession::message(TenantA, topic, 100));
			CPPUNIT_ASSERT(barrier.waitFor(1, _target.timeout));
		}
		CPPUNIT_ASSERT_EQUAL_MESSAGE(_target.transport + ": callbacks started after stop() returned", std::size_t(0), recorder.lateCalls());
		CPPUNIT_ASSERT_EQUAL_MESSAGE(_target.transport + ": callbacks running when stop() returned", std::size_t(0), recorder.runningAtFence());
	}

	void stopIsIdempotent()
	{
		ContractSession session(_target);
		session.transport().stop();
		session.transport().stop();
		CPPUNIT_ASSERT(!session.transport().health().ready);
		CPPUNIT_ASSERT_THROW(session.transport().publish(ContractSession::message(TenantA, "t", 1)), TransportException);
	}

	void failedDeliveryIsRedelivered()
	{
		if (!_target.features.redelivery)
			return skip("failedDeliveryIsRedelivered", "the transport does not redeliver (at-most-once)");
		ContractRecorder recorder;
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("redelivery");
		recorder.setAction([](const InboundMessage& message, const Received&) {
			return message.deliveryCount == 1 ? DeliveryResult::failed("first try fails") : DeliveryResult::handled();
		});
		session.transport().subscribe(ChannelSubscription(ContractSession::channel(TenantA, topic)), recorder.callback());
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		session.transport().publish(ContractSession::message(TenantA, topic, 1));
		CPPUNIT_ASSERT(recorder.waitFor(2, _target.timeout));
		const auto received = recorder.received();
		CPPUNIT_ASSERT_EQUAL(received[0].eventId, received[1].eventId);
		CPPUNIT_ASSERT_EQUAL(received[0].messageId, received[1].messageId);
		CPPUNIT_ASSERT_EQUAL(std::uint32_t(1), received[0].deliveryCount);
		CPPUNIT_ASSERT_EQUAL(std::uint32_t(2), received[1].deliveryCount);
	}

	void deliveryResumesAfterABrokerRestart()
	{
		if (!_target.features.restartable || !_target.restartBroker)
			return skip("deliveryResumesAfterABrokerRestart", "the transport has no broker to restart");
		ContractRecorder recorder;
		ContractSession session(_target);
		const std::string topic = ContractSession::uniqueTopic("restart");
		session.transport().subscribe(ChannelSubscription(ContractSession::channel(TenantA, topic)), recorder.callback());
		CPPUNIT_ASSERT(session.waitReady(_target.timeout));
		session.transport().publish(ContractSession::message(TenantA, topic, 0));
		CPPUNIT_ASSERT(recorder.waitFor(1, _target.timeout));
		_target.restartBroker();
		if (!_target.features.persistent)
		{
			CPPUNIT_ASSERT_MESSAGE("a gap is reported", waitUntil([&]() { return session.gaps().count() >= 1; }, _target.timeout));
			CPPUNIT_ASSERT_EQUAL(_target.transport, session.gaps().lastTransport());
		}
		CPPUNIT_ASSERT_MESSAGE(session.transport().health().reason, session.waitReady(_target.timeout));
		// The publisher may learn of the restart on its next command: retry until one arrives.
		const bool resumed = waitUntil([&]() {
			try
			{
				session.transport().publish(ContractSession::message(TenantA, topic, 1));
			}
			catch (TransportException&)
			{
				return false;
			}
			return recorder.waitFor(2, std::chrono::milliseconds(200));
		}, _target.timeout);
		CPPUNIT_ASSERT_MESSAGE(_target.transport + ": no delivery after the restart", resumed);
		CPPUNIT_ASSERT_EQUAL(1, recorder.received().back().seq);
	}

private:
	void expectExactly(const std::vector<OutboundMessage>& sent, const ContractRecorder& recorder)
	{
		std::size_t missing = 0, duplicates = 0;
		const std::string summary = _target.transport + ": " + recorder.tally(sent, missing, duplicates);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(recorder.error(), std::string(), recorder.error());
		CPPUNIT_ASSERT_EQUAL_MESSAGE(summary, std::size_t(0), missing);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(summary, std::size_t(0), duplicates);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(summary, sent.size(), recorder.calls());
	}

	ContractTarget _target;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TransportContractTest);
