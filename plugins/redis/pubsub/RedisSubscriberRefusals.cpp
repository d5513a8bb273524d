//
// RedisSubscriberRefusals.cpp
//
// The bookkeeping of replies due on the subscriber connection, and of ACL
// refusals (NOPERM) of a SUBSCRIBE: the subscription is dropped, never
// retried, its waiting subscribe() calls told, the others logged and reported
// as a gap.
//
#include "RedisSubscriber.h"
#include "RedisCommands.h"
#include "RedisError.h"
#include "eventbus/SafeText.h"

namespace eventbus {

RedisSubscriber::SentCommand RedisSubscriber::answeredLocked()
{
	if (_awaiting.empty())
		return SentCommand{};
	SentCommand sent = std::move(_awaiting.front());
	_awaiting.pop_front();
	return sent;
}

void RedisSubscriber::refused(const SentCommand& sent, const std::string& serverError)
{
	std::string message;
	std::size_t dropped = 0;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		++_acks[sent.key].confirmed; // the error is that SUBSCRIBE's answer
		auto entry = _server.find(sent.key);
		if (entry == _server.end() || entry->second.serial != sent.serial)
			return; // unsubscribed before the answer came: nothing to refuse
		ServerSubscription& refusedEntry = entry->second;
		message = accessDeniedMessage(_endpoint, _settings.endpoint.user,
			RedisCommands::subscribeWord(refusedEntry.pattern), refusedEntry.name, serverError);
		if (refusedEntry.waiters > 0)
			_refusals[refusedEntry.serial] = Refusal{message, refusedEntry.waiters, ClusterRedirect{}};
		dropped = refusedEntry.refs - refusedEntry.waiters;
		// Never re-sent: not on this connection, not after a reconnect. Under the
		// lock, so an unsubscribe() or a new subscribe() of the key sees it gone.
		for (std::uint64_t id : refusedEntry.ids)
			_dispatcher.discard(id);
		_server.erase(entry);
		_aclDenied.increment(); // before a waiting subscribe() throws
	}
	_changed.notify_all();
	if (dropped == 0)
	{
		_logger.warning("redis subscriber: " + message);
		return;
	}
	// Subscriptions made earlier (restored after a reconnect, or made while
	// the server was down): nobody waits to be told, so say it loudly.
	_logger.error("redis subscriber: dropped " + std::to_string(dropped) + " subscription(s), not retried: " + message);
	if (!_listener)
		return;
	try
	{
		_listener->onGap("redis", "subscription dropped: " + message);
	}
	catch (std::exception& exc)
	{
		_logger.error("redis subscriber: the gap listener threw: " + std::string(exc.what()));
	}
	catch (...)
	{
		_logger.error("redis subscriber: the gap listener threw");
	}
}

void RedisSubscriber::redirected(const SentCommand& sent, const std::string& serverError, const ClusterRedirect& redirect)
{
	std::string channel;
	bool others = false;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		++_acks[sent.key].confirmed; // the error is that SSUBSCRIBE's answer
		auto entry = _server.find(sent.key);
		if (entry == _server.end() || entry->second.serial != sent.serial)
			return;
		ServerSubscription& moved = entry->second;
		// Unconfirmed until its owner moves it to the node the slot lives on.
		moved.sequence = 0;
		channel = moved.name;
		if (moved.waiters > 0)
		{
			_refusals[moved.serial] = Refusal{"redis " + _endpoint + " redirected SSUBSCRIBE " + SafeText::escape(moved.name)
				+ ": " + SafeText::escape(serverError), moved.waiters, redirect};
		}
		others = moved.refs > moved.waiters;
	}
	_changed.notify_all();
	if (others)
		reportDropped(channel, redirect);
}

void RedisSubscriber::serverUnsubscribed(const std::string& channel)
{
	const std::string key = keyOf(false, channel);
	{
		std::lock_guard<std::mutex> lock(_mutex);
		if (!_awaiting.empty() && _awaiting.front().unsubscribe && _awaiting.front().key == key)
		{
			_awaiting.pop_front(); // the answer to our own SUNSUBSCRIBE
			return;
		}
		auto entry = _server.find(key);
		if (entry == _server.end())
			return;
		entry->second.sequence = 0;
	}
	_changed.notify_all();
	reportDropped(channel, ClusterRedirect{});
}

void RedisSubscriber::reportDropped(const std::string& channel, const ClusterRedirect& redirect)
{
	DroppedHandler handler;
	{
		std::lock_guard<std::mutex> lock(_mutex);
		handler = _onDropped;
	}
	if (!handler)
		return;
	try
	{
		handler(channel, redirect);
	}
	catch (...)
	{
		_logger.error("redis subscriber: the dropped-subscription handler threw");
	}
}

} // namespace eventbus
