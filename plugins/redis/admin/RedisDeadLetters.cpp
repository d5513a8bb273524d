//
// RedisDeadLetters.cpp
//
#include "RedisDeadLetters.h"
#include "RedisTransportSocket.h"
#include "RedisError.h"
#include "TlsRedisSocket.h"
#include "eventbus/BusSettings.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include <Poco/JSON/Parser.h>
#include <Poco/NumberParser.h>
#include <Poco/Timestamp.h>
#include <algorithm>
#include <cctype>

namespace eventbus {

namespace {

// XRANGE pages of --all: bounded replies, whatever the DLQ holds.
constexpr std::size_t PageSize = 100;

std::string replyText(const redisReply* reply)
{
	if (!reply || (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS))
		return std::string();
	return std::string(reply->str, reply->len);
}

int nonNegative(const Poco::Util::AbstractConfiguration& config, const std::string& key, int defaultValue)
{
	int value = defaultValue;
	try
	{
		value = config.getInt(key, defaultValue);
	}
	catch (Poco::Exception& exc)
	{
		throw ConfigException(key + ": " + exc.message() + " (expected a non-negative integer)");
	}
	if (value < 0)
		throw ConfigException(key + ": " + std::to_string(value) + " is negative");
	return value;
}

} // namespace

RedisDeadLetters::RedisDeadLetters() = default;

RedisDeadLetters::~RedisDeadLetters()
{
	if (_connection)
		_connection->close();
	if (_commander)
		_commander->close();
}

void RedisDeadLetters::configure(const Poco::Util::AbstractConfiguration& config)
{
	_redis = RedisSettings::fromConfig(config);
	const BusSettings bus = BusSettings::fromConfig(config);
	_env = bus.env;
	_prefix = bus.prefix;
	// The retention a replayed entry is appended with: the transport's own.
	_maxLen = static_cast<std::size_t>(nonNegative(config, "eventbus.redis.streams.maxLen", 100000));
	_maxAgeSeconds = nonNegative(config, "eventbus.redis.streams.maxAgeSeconds", 0);
	_connection.reset();
	_commander.reset();
	_configured = true;
}

std::string RedisDeadLetters::channel(const std::string& tenantId, const std::string& topic) const
{
	if (!_configured)
		throw EventBusException("dead letters: configure() was not called");
	Names::validateTenant(tenantId);
	Names::validateTopic(topic);
	return ChannelName::build(_prefix, _env, tenantId, topic);
}

std::string RedisDeadLetters::deadLetterKey(const std::string& tenantId, const std::string& topic) const
{
	// The transport's StreamsSettings::deadLetterKey: a topic has no colon.
	return channel(tenantId, topic) + ":dlq";
}

bool RedisDeadLetters::isEntryId(const std::string& id)
{
	const std::size_t dash = id.find('-');
	if (dash == std::string::npos || dash == 0 || dash + 1 == id.size() || id.size() > 41)
		return false;
	auto digits = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
	return std::all_of(id.begin(), id.begin() + dash, digits) && std::all_of(id.begin() + dash + 1, id.end(), digits);
}

ReplyPtr RedisDeadLetters::run(const Command& argv)
{
	const std::string user = _redis.endpoint.user.empty() ? "default" : _redis.endpoint.user;
	try
	{
		// Made once, with the first connection: a TLS factory reads its files.
		auto sockets = [this]() {
			return _redis.endpoint.tls ? TlsRedisSocket::factory(_redis)
				: RedisSocketFactory([]() { return std::unique_ptr<RedisSocket>(new PlainRedisSocket); });
		};
		if (_redis.topology.kind == RedisTopologyKind::Cluster)
		{
			if (!_commander)
			{
				const RedisSocketFactory factory = sockets();
				auto router = std::make_shared<ClusterRouter>(_redis, factory, Poco::Logger::get("eventbus.dlq"));
				router->refresh(); // the map once: a command line, no watcher
				_commander = std::make_shared<ClusterCommander>(_redis, factory, router);
			}
			std::vector<ReplyPtr> replies = _commander->run(argv.at(1), {argv});
			RedisConnection::throwIfError("redis cluster", *replies.front(), argv[0]);
			return std::move(replies.front());
		}
		if (!_connection)
		{
			std::unique_ptr<RedisConnection> connection(
				new RedisConnection(_redis, sockets()(), _redis.maxMessageBytes * 2 + 64 * 1024));
			connection->open();
			_connection = std::move(connection);
		}
		return _connection->command(argv);
	}
	catch (RedisError& exc)
	{
		if (exc.failure() == RedisFailure::Auth)
		{
			_connection.reset();
			throw AccessDeniedException("dlq: redis " + _redis.endpoint.describe() + " refused the credentials of user '"
				+ user + "' (" + RedisSettings::UrlKey + "): " + exc.message());
		}
		if (exc.failure() == RedisFailure::Permission)
		{
			throw AccessDeniedException("dlq: ACL user '" + user + "' may not run " + argv[0] + " on " + argv[1]
				+ " (redis " + _redis.endpoint.describe() + "): " + exc.message());
		}
		if (exc.failure() != RedisFailure::Server)
			_connection.reset();
		throw;
	}
}

std::string RedisDeadLetters::Entry::field(const std::string& name) const
{
	for (const auto& f : fields)
	{
		if (f.first == name)
			return f.second;
	}
	return std::string();
}

std::vector<RedisDeadLetters::Entry> RedisDeadLetters::range(const std::string& key, const std::string& start,
	const std::string& end, std::size_t count)
{
	ReplyPtr reply = run({"XRANGE", key, start, end, "COUNT", std::to_string(count)});
	std::vector<Entry> entries;
	if (reply->type != REDIS_REPLY_ARRAY)
		return entries;
	for (std::size_t i = 0; i < reply->elements; ++i)
	{
		const redisReply* item = reply->element[i];
		if (item->type != REDIS_REPLY_ARRAY || item->elements != 2)
			continue;
		Entry entry;
		entry.id = replyText(item->element[0]);
		const redisReply* fields = item->element[1];
		if (fields->type == REDIS_REPLY_ARRAY)
		{
			for (std::size_t f = 0; f + 1 < fields->elements; f += 2)
				entry.fields.emplace_back(replyText(fields->element[f]), replyText(fields->element[f + 1]));
		}
		entries.push_back(std::move(entry));
	}
	return entries;
}

DeadLetter RedisDeadLetters::toDeadLetter(const std::string& key, const Entry& entry)
{
	DeadLetter letter;
	letter.deadLetterId = entry.id;
	letter.channel = entry.field("channel");
	if (letter.channel.empty())
		letter.channel = key.substr(0, key.size() - 4);
	letter.originalId = entry.field("id");
	letter.group = entry.field("group");
	Poco::Int64 deliveries = 0;
	if (Poco::NumberParser::tryParse64(entry.field("deliveries"), deliveries))
		letter.deliveries = deliveries;
	letter.error = entry.field("error");
	try
	{
		Poco::JSON::Parser parser;
		Poco::JSON::Object::Ptr envelope = parser.parse(entry.field("e")).extract<Poco::JSON::Object::Ptr>();
		if (envelope)
		{
			letter.eventId = envelope->optValue<std::string>("id", "");
			letter.time = envelope->optValue<std::string>("time", "");
		}
	}
	catch (Poco::Exception&)
	{
		// An unreadable envelope is still listed: eventId and time stay empty.
	}
	return letter;
}

std::vector<DeadLetter> RedisDeadLetters::list(const std::string& tenantId, const std::string& topic, std::size_t limit)
{
	const std::string key = deadLetterKey(tenantId, topic);
	std::vector<DeadLetter> letters;
	if (limit == 0)
		return letters;
	for (const auto& entry : range(key, "-", "+", limit))
		letters.push_back(toDeadLetter(key, entry));
	return letters;
}

std::vector<RedisDeadLetters::Entry> RedisDeadLetters::select(const std::string& key,
	const DeadLetterSelection& selection, std::vector<std::string>& notFound)
{
	std::vector<Entry> selected;
	if (!selection.all)
	{
		for (const auto& id : selection.ids)
		{
			if (!isEntryId(id))
				throw ValidationException("--id: '" + id + "' is not a stream entry id (digits-digits, as dlq list prints)");
		}
		for (const auto& id : selection.ids)
		{
			std::vector<Entry> one = range(key, id, id, 1);
			if (one.empty())
				notFound.push_back(id);
			else
				selected.push_back(std::move(one.front()));
		}
		return selected;
	}
	// Everything up to the newest entry present now: an event dead-lettered
	// again while this runs waits for the next call instead of looping.
	ReplyPtr newest = run({"XREVRANGE", key, "+", "-", "COUNT", "1"});
	if (newest->type != REDIS_REPLY_ARRAY || newest->elements == 0)
		return selected;
	const std::string last = replyText(newest->element[0]->element[0]);
	std::string start = "-";
	for (;;)
	{
		std::vector<Entry> page = range(key, start, last, PageSize);
		if (page.empty())
			break;
		start = "(" + page.back().id;
		const bool done = page.back().id == last || page.size() < PageSize;
		for (auto& entry : page)
			selected.push_back(std::move(entry));
		if (done)
			break;
	}
	return selected;
}

DeadLetterOutcome RedisDeadLetters::replay(const std::string& tenantId, const std::string& topic,
	const DeadLetterSelection& selection)
{
	const std::string target = channel(tenantId, topic);
	const std::string key = deadLetterKey(tenantId, topic);
	DeadLetterOutcome outcome;
	for (const auto& entry : select(key, selection, outcome.notFound))
	{
		const std::string envelope = entry.field("e");
		if (envelope.empty())
			throw ValidationException("dlq replay: entry " + entry.id + " of " + key + " has no envelope (field e)");
		// The same XADD as the transport's publish, with its retention; the
		// entry gets a fresh stream id, the envelope (and its CloudEvents id)
		// stays byte for byte what was dead-lettered.
		Command xadd{"XADD", target};
		if (_maxLen > 0)
			xadd.insert(xadd.end(), {"MAXLEN", "~", std::to_string(_maxLen)});
		if (_maxAgeSeconds > 0)
		{
			const Poco::Timestamp::TimeVal nowMs = Poco::Timestamp().epochMicroseconds() / 1000;
			xadd.insert(xadd.end(), {"MINID", "~", std::to_string(nowMs - _maxAgeSeconds * 1000LL) + "-0"});
		}
		xadd.insert(xadd.end(), {"*", "e", envelope});
		run(xadd);
		run({"XDEL", key, entry.id});
		++outcome.count;
	}
	return outcome;
}

DeadLetterOutcome RedisDeadLetters::purge(const std::string& tenantId, const std::string& topic,
	const DeadLetterSelection& selection)
{
	const std::string key = deadLetterKey(tenantId, topic);
	DeadLetterOutcome outcome;
	std::vector<Entry> selected = select(key, selection, outcome.notFound);
	for (std::size_t i = 0; i < selected.size(); i += PageSize)
	{
		Command xdel{"XDEL", key};
		for (std::size_t j = i; j < std::min(selected.size(), i + PageSize); ++j)
			xdel.push_back(selected[j].id);
		ReplyPtr reply = run(xdel);
		outcome.count += reply->type == REDIS_REPLY_INTEGER ? static_cast<std::size_t>(reply->integer) : 0;
	}
	return outcome;
}

} // namespace eventbus
