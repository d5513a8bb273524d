//
// RedisSubscriberReplies.cpp
//
// Routing what the subscriber connection reads: messages to the
// dispatcher (oversized ones dropped and counted), confirmations to their
// subscriptions, PONG to the heartbeat, error replies to their command.
//
#include "RedisSubscriber.h"
#include "RedisCommands.h"
#include "RedisError.h"

namespace eventbus {

namespace {

// Messages the reader hands to the dispatcher at most in one go.
constexpr std::size_t MaxHandOver = 256;

std::string textOf(const redisReply& reply)
{
	return RedisConnection::text(reply);
}

bool isText(const redisReply& reply)
{
	return reply.type == REDIS_REPLY_STRING || reply.type == REDIS_REPLY_STATUS;
}

} // namespace

void RedisSubscriber::handle(const redisReply& reply, std::size_t skippedBytes, bool& pongDue)
{
	if (reply.type == REDIS_REPLY_ARRAY && reply.elements >= 1 && isText(*reply.element[0]))
	{
		const std::string kind = textOf(*reply.element[0]);
		if ((kind == "message" || kind == "smessage") && reply.elements == 3 && isText(*reply.element[1]) && isText(*reply.element[2]))
		{
			deliver(keyOf(false, textOf(*reply.element[1])), *reply.element[1], *reply.element[2], skippedBytes);
			return;
		}
		if (kind == "pmessage" && reply.elements == 4 && isText(*reply.element[1]) && isText(*reply.element[2])
			&& isText(*reply.element[3]))
		{
			deliver(keyOf(true, textOf(*reply.element[1])), *reply.element[2], *reply.element[3], skippedBytes);
			return;
		}
		if ((kind == "subscribe" || kind == "psubscribe" || kind == "ssubscribe") && reply.elements == 3
			&& isText(*reply.element[1]))
		{
			{
				std::lock_guard<std::mutex> lock(_mutex);
				answeredLocked();
				++_acks[keyOf(kind == "psubscribe", textOf(*reply.element[1]))].confirmed;
			}
			_changed.notify_all();
			return;
		}
		if (kind == "sunsubscribe" && reply.elements == 3 && isText(*reply.element[1]))
		{
			serverUnsubscribed(textOf(*reply.element[1]));
			return;
		}
		if (kind == "unsubscribe" || kind == "punsubscribe")
		{
			std::lock_guard<std::mutex> lock(_mutex);
			answeredLocked();
			return;
		}
		if (kind == "pong")
		{
			std::lock_guard<std::mutex> lock(_mutex);
			answeredLocked();
			pongDue = false; // in subscribed mode a PONG is ["pong", ""]: never a message
			return;
		}
	}
	else if (reply.type == REDIS_REPLY_STATUS && textOf(reply) == "PONG")
	{
		std::lock_guard<std::mutex> lock(_mutex);
		answeredLocked();
		pongDue = false; // without subscriptions PING answers +PONG
		return;
	}
	else if (reply.type == REDIS_REPLY_ERROR)
	{
		SentCommand sent;
		{
			std::lock_guard<std::mutex> lock(_mutex);
			sent = answeredLocked();
		}
		const std::string error = textOf(reply);
		// A SUNSUBSCRIBE the node answers with MOVED (the slot left it, and the
		// subscription with it): nothing to undo, the connection is fine.
		if (sent.unsubscribe)
			return;
		if (_sharded && !sent.key.empty())
		{
			const ClusterRedirect redirect = ClusterRedirect::parse(error);
			if (redirect.kind != ClusterRedirect::Kind::None)
			{
				redirected(sent, error, redirect);
				return;
			}
		}
		if (!sent.key.empty() && classifyReply(error, ReplyStage::Command) == RedisFailure::Permission)
		{
			refused(sent, error);
			return;
		}
		// Any other refusal (e.g. an ACL user without +ping) is a broken
		// connection set-up: reconnect, at the longest backoff for a login error.
		RedisConnection::throwIfError(_endpoint, reply, sent.key.empty() ? "PING/UNSUBSCRIBE"
			: RedisCommands::subscribeWord(sent.key[0] == 'p', _sharded));
	}
	throwRedisError(_endpoint, RedisFailure::Protocol, "read", "unexpected reply on the subscriber connection");
}

void RedisSubscriber::deliver(const std::string& key, const redisReply& channel, const redisReply& payload,
	std::size_t skippedBytes)
{
	// Cut from the stream by the connection (skippedBytes), or read whole.
	const std::size_t size = skippedBytes > 0 ? skippedBytes : payload.len;
	if (size > _settings.maxMessageBytes)
	{
		_oversized.increment();
		_oversizedLog.warning("redis subscriber: dropped a message of " + std::to_string(size) + " bytes on "
			+ _redactor.redactText(textOf(channel), 512) + " (eventbus.redis.maxMessageBytes=" + std::to_string(_settings.maxMessageBytes) + ")");
		return;
	}
	_pending.push_back(Delivery{key, textOf(channel), std::string(payload.str, payload.len)});
	if (_pending.size() >= MaxHandOver)
		flushDeliveries();
}

void RedisSubscriber::flushDeliveries()
{
	if (_pending.empty())
		return;
	for (std::size_t i = _dispatcher.offer(_pending); i < _pending.size(); ++i)
	{
		_overflows.increment();
		if (_overflowCount++ % 1000 == 0)
		{
			_logger.warning("redis subscriber: delivery queue full (eventbus.redis.deliveryQueueCapacity="
				+ std::to_string(_settings.deliveryQueueCapacity) + "), dropped a message on " + _redactor.redactText(_pending[i].channel, 512)
				+ "; " + std::to_string(_overflowCount) + " dropped so far");
		}
	}
	_pending.clear();
}

} // namespace eventbus
