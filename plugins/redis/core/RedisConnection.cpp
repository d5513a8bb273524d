//
// RedisConnection.cpp
//
// One connection: login, RESP formatting and the bounded reply reader.
//
#include "RedisConnection.h"
#include "RespWriter.h"
#include "RedisCommands.h"
#include "RedisError.h"
#include "SentinelLocator.h"
#include "TlsRedisSocket.h"
#include <Poco/String.h>
#include <algorithm>
#include <chrono>
#include <mutex>

namespace eventbus {

namespace {

// Pub/Sub and the commands we send never get arrays of more than a handful of
// elements; refusing large ones keeps a hostile "*2147483647" from making
// hiredis allocate gigabytes (its allocator aborts on failure).
constexpr int MaxArrayElements = 1024;

redisReplyObjectFunctions guardedFunctions;
void* (*defaultCreateArray)(const redisReadTask*, int) = nullptr;

void* createGuardedArray(const redisReadTask* task, int elements)
{
	if (elements < 0 || elements > MaxArrayElements)
		return nullptr; // the reader reports an error and we close the connection
	return defaultCreateArray(task, elements);
}

redisReader* createReader()
{
	redisReader* reader = redisReaderCreate();
	if (reader == nullptr)
		throw RedisError(RedisFailure::Protocol, "redis: cannot create a RESP reader");
	static std::once_flag once;
	std::call_once(once, [reader]() {
		guardedFunctions = *reader->fn;
		defaultCreateArray = guardedFunctions.createArray;
		guardedFunctions.createArray = &createGuardedArray;
	});
	reader->fn = &guardedFunctions;
	return reader;
}

const char* const PlainHint = " before any reply (if the port serves TLS, use a rediss:// URL)";

} // namespace

RedisConnection::RedisConnection(const RedisSettings& settings, std::unique_ptr<RedisSocket> socket,
	std::size_t maxReplyBytes)
	: _settings(settings)
	, _endpoint(settings.endpoint.describe())
	, _socket(std::move(socket))
	, _reader(createReader())
	, _maxReplyBytes(maxReplyBytes)
	, _buffer(64 * 1024)
{
}

RedisConnection::~RedisConnection()
{
	close();
}

void RedisConnection::open()
{
	if (_settings.topology.kind == RedisTopologyKind::Sentinel)
	{
		openMaster();
		return;
	}
	openAt();
}

void RedisConnection::openMaster()
{
	// Without a transport's locator (an admin command): ask the sentinels now.
	std::shared_ptr<SentinelLocator> locator = _settings.sentinel;
	if (!locator)
	{
		RedisSocketFactory factory = _settings.endpoint.tls ? TlsRedisSocket::factory(_settings)
			: RedisSocketFactory([]() { return std::unique_ptr<RedisSocket>(new PlainRedisSocket); });
		locator = std::make_shared<SentinelLocator>(_settings, factory, Poco::Logger::get("eventbus.redis.sentinel"));
	}
	const RedisNodeAddress master = locator->master();
	const RedisSettings settings = _settings.forNode(master);
	_settings.endpoint = settings.endpoint;
	_settings.tls = settings.tls;
	_endpoint = master.describe();
	try
	{
		openAt();
		// The sentinels may lag a failover: only a master takes the traffic.
		send({"ROLE"});
		ReplyPtr role = readReply();
		const bool refused = role->type == REDIS_REPLY_ERROR && isPermissionError(text(*role));
		const std::string said = role->type == REDIS_REPLY_ARRAY && role->elements > 0 && role->element[0]
			? text(*role->element[0]) : std::string();
		// An ACL user without +role: the READONLY check and +switch-master remain.
		if (!refused && said != "master")
		{
			throwRedisError(_endpoint, RedisFailure::Closed, "ROLE",
				"the node the sentinels named is not the master (ROLE says '" + said + "')");
		}
	}
	catch (RedisError&)
	{
		locator->forget(master);
		close();
		throw;
	}
	if (_settings.sentinel)
	{
		_locator = _settings.sentinel;
		_locator->track(this);
	}
}

void RedisConnection::abort() noexcept
{
	if (_socket)
		_socket->abort();
}

void RedisConnection::openAt()
{
	try
	{
		_socket->connect(_settings.endpoint.host, _settings.endpoint.port,
			Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(_settings.connectTimeoutMs) * 1000),
			Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(_settings.commandTimeoutMs) * 1000));
	}
	catch (...)
	{
		throwRedisError(_endpoint, "connect");
	}
	_open = true;

	const RedisEndpoint& ep = _settings.endpoint;
	if (!ep.password.empty())
	{
		send(RedisCommands::auth(ep.user, ep.password));
		ReplyPtr reply = readReply();
		if (reply->type == REDIS_REPLY_ERROR)
			throwReplyError(_endpoint, text(*reply), "AUTH", ReplyStage::Auth);
	}
	if (ep.db != 0)
	{
		send(RedisCommands::select(ep.db));
		ReplyPtr reply = readReply();
		// A login step: an ACL user without +select fails like a bad password.
		if (reply->type == REDIS_REPLY_ERROR)
			throwReplyError(_endpoint, text(*reply), "SELECT", ReplyStage::Login);
	}
}

ReplyPtr RedisConnection::command(const Command& argv)
{
	send(argv);
	ReplyPtr reply = readReply();
	throwIfError(*reply, argv.empty() ? std::string() : Poco::toUpper(argv[0]));
	return reply;
}

std::string RedisConnection::format(const Command& argv)
{
	std::string out;
	resp::appendCommand(out, argv, [](const std::string& arg) -> const std::string& { return arg; });
	return out;
}

void RedisConnection::append(std::string& out, std::initializer_list<const std::string*> argv)
{
	resp::appendCommand(out, argv, [](const std::string* arg) -> const std::string& { return *arg; });
}

void RedisConnection::send(const Command& argv)
{
	sendRaw(format(argv));
}

void RedisConnection::sendRaw(const std::string& bytes)
{
	try
	{
		_socket->sendAll(bytes.data(), bytes.size());
	}
	catch (...)
	{
		throwIoError("send");
	}
}

void RedisConnection::throwIoError(const std::string& operation) const
{
	try
	{
		throwRedisError(_endpoint, operation);
	}
	catch (RedisError& exc)
	{
		// A TLS port drops a plain client at its first bytes.
		if (_answered || _settings.endpoint.tls || exc.failure() != RedisFailure::Closed)
			throw;
		throw RedisError(exc.failure(), exc.message() + PlainHint);
	}
}

ReplyPtr RedisConnection::readReply()
{
	ReplyPtr reply = pollReply(Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(_settings.commandTimeoutMs) * 1000));
	if (!reply)
	{
		throwRedisError(_endpoint, RedisFailure::Timeout, "reply",
			"no reply within " + std::to_string(_settings.commandTimeoutMs) + " ms");
	}
	return reply;
}

ReplyPtr RedisConnection::takeBuffered()
{
	void* raw = nullptr;
	if (redisReaderGetReply(_reader.get(), &raw) != REDIS_OK)
	{
		throwRedisError(_endpoint, RedisFailure::Protocol, "read", _reader->errstr[0] ? _reader->errstr : "malformed reply");
	}
	if (raw != nullptr)
	{
		const redisReply* reply = static_cast<const redisReply*>(raw);
		if (_locator && reply->type == REDIS_REPLY_ERROR && isReadOnlyError(text(*reply)))
		{
			// A demoted master (now a replica) refuses writes: drop it, the
			// owner reconnects to the current master.
			freeReplyObject(raw);
			_locator->forget(RedisNodeAddress{_settings.endpoint.host, _settings.endpoint.port});
			throwRedisError(_endpoint, RedisFailure::Closed, "read", "the node is no longer the master (READONLY)");
		}
		_answered = true;
		_lastSkipped = _scanner ? _scanner->skippedOf(_taken) : 0;
		++_taken;
	}
	return ReplyPtr(static_cast<redisReply*>(raw));
}

ReplyPtr RedisConnection::pollReply(const Poco::Timespan& timeout)
{
	using Clock = std::chrono::steady_clock;
	const auto deadline = Clock::now() + std::chrono::microseconds(timeout.totalMicroseconds());
	for (;;)
	{
		if (ReplyPtr reply = takeBuffered())
			return reply;
		if (_unfedAt < _unfedEnd)
		{
			feedSlice();
			continue;
		}
		const auto remaining = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
		if (remaining.count() <= 0)
			return nullptr;
		std::size_t received = 0;
		try
		{
			if (!_socket->receiveWithin(_buffer.data(), _buffer.size(), Poco::Timespan(remaining.count()), received))
				return nullptr;
		}
		catch (...)
		{
			throwIoError("read");
		}
		if (received == 0)
			throwRedisError(_endpoint, RedisFailure::Closed, "read",
				std::string("end of stream") + (_answered || _settings.endpoint.tls ? "" : PlainHint));
		_unfedAt = 0;
		_unfedEnd = received;
		feedSlice();
	}
}

void RedisConnection::feedSlice()
{
	// Small enough that hiredis's move of its unread bytes stays short, large
	// enough that a 64 KiB receive is a few feeds.
	constexpr std::size_t Slice = 4096;
	const char* data = _buffer.data() + _unfedAt;
	const std::size_t length = std::min(Slice, _unfedEnd - _unfedAt);
	_unfedAt += length;
	if (_scanner)
	{
		_scanned.clear();
		_scanner->scan(data, length, [this](const char* part, std::size_t partLength) { _scanned.append(part, partLength); });
		feed(_scanned.data(), _scanned.size());
	}
	else
		feed(data, length);
	// Fed only when no complete reply was left: bytes not yet consumed are the
	// one reply being assembled and, at most, the replies of this slice (never
	// more than a whole receive, which the same bound was checked against).
	const std::size_t pending = _reader->len - _reader->pos;
	if (pending > _maxReplyBytes)
	{
		throwRedisError(_endpoint, RedisFailure::Protocol, "read",
			"a reply exceeds " + std::to_string(_maxReplyBytes) + " bytes");
	}
}

void RedisConnection::feed(const char* data, std::size_t length)
{
	if (redisReaderFeed(_reader.get(), data, length) != REDIS_OK)
		throwRedisError(_endpoint, RedisFailure::Protocol, "read", _reader->errstr);
}

void RedisConnection::skipMessagesOver(std::size_t maxPayloadBytes)
{
	_scanner.reset(new RedisReplyScanner(maxPayloadBytes));
}

void RedisConnection::close() noexcept
{
	// Untracked before the socket closes: the locator never aborts a closed one.
	if (_locator)
	{
		_locator->untrack(this);
		_locator.reset();
	}
	if (_socket)
		_socket->close();
	_open = false;
}

std::string RedisConnection::text(const redisReply& reply)
{
	switch (reply.type)
	{
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_ERROR:
		return reply.str ? std::string(reply.str, reply.len) : std::string();
	default:
		return std::string();
	}
}

void RedisConnection::throwIfError(const redisReply& reply, const std::string& operation) const
{
	throwIfError(_endpoint, reply, operation);
}

void RedisConnection::throwIfError(const std::string& endpoint, const redisReply& reply, const std::string& operation)
{
	if (reply.type == REDIS_REPLY_ERROR)
		throwReplyError(endpoint, text(reply), operation);
}

} // namespace eventbus
