//
// RedisConnection.h
//
// One connection to Redis: a RedisSocket, the RESP command writer
// (RespWriter.h), hiredis' reply reader, login (AUTH, SELECT) and typed errors.
//
#pragma once

#include "RedisCommands.h"
#include "RedisReplyScanner.h"
#include "RedisSettings.h"
#include "RedisSocket.h"
#include <hiredis/hiredis.h>
#include <Poco/Timespan.h>
#include <atomic>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace eventbus {

struct ReplyDeleter
{
	void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
struct ReaderDeleter
{
	void operator()(redisReader* reader) const { redisReaderFree(reader); }
};

/// A parsed reply, owned.
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

/// Not thread-safe, except that send() may run in one thread (serialised by
/// the caller) while another thread reads replies.
class RedisConnection
{
public:
	/// `maxReplyBytes` bounds one reply: a larger one is a protocol error that
	/// closes the connection, so a hostile server cannot exhaust memory.
	RedisConnection(const RedisSettings& settings, std::unique_ptr<RedisSocket> socket, std::size_t maxReplyBytes);
	~RedisConnection();

	RedisConnection(const RedisConnection&) = delete;
	RedisConnection& operator=(const RedisConnection&) = delete;

	/// Connects within the connect timeout, then AUTH ([user] password) and
	/// SELECT db when configured. Throws RedisError. In Sentinel mode it
	/// connects to the master the sentinels name (settings.sentinel, or a
	/// question to them now), checks ROLE says master, and is dropped when
	/// the master switches; a READONLY reply (a demoted master) then fails
	/// the connection like a lost one.
	void open();

	/// From another thread: makes the owner's blocked or next I/O fail
	/// (shutdown(2)); the owner closes. Used by the SentinelLocator.
	void abort() noexcept;

	/// Sends the command and waits up to the command timeout for its reply.
	/// An error reply throws RedisError (Auth for WRONGPASS/NOAUTH, Permission
	/// for NOPERM, else Server).
	ReplyPtr command(const Command& argv);

	/// Sends without waiting for the reply.
	void send(const Command& argv);

	/// Sends bytes already in RESP form (several formatted commands).
	void sendRaw(const std::string& bytes);

	/// The reply, waiting up to the command timeout; throws RedisError (Timeout) when none comes.
	ReplyPtr readReply();

	/// The next reply if one arrives within `timeout`, else null. Throws RedisError
	/// when the connection fails (EOF, I/O error, protocol error, oversized reply).
	ReplyPtr pollReply(const Poco::Timespan& timeout);

	void close() noexcept;

	/// From now on, the payload of a Pub/Sub message (or pmessage) push larger
	/// than `maxPayloadBytes` is discarded as it streams in, never buffered:
	/// the push arrives with an empty payload and skippedBytesOfLastReply()
	/// tells its size. Call before the first read.
	void skipMessagesOver(std::size_t maxPayloadBytes);

	/// The size of the payload cut from the reply pollReply() or readReply()
	/// returned last; 0 when none was.
	std::size_t skippedBytesOfLastReply() const { return _lastSkipped; }

	/// host:port, for messages.
	const std::string& endpoint() const { return _endpoint; }

	/// RESP encoding of one command.
	static std::string format(const Command& argv);

	/// Appends the RESP encoding of one command to `out`, without copying the
	/// arguments into a Command first: the publish paths format every event.
	static void append(std::string& out, std::initializer_list<const std::string*> argv);

	/// The text of a status, string or error reply ("" for other types).
	static std::string text(const redisReply& reply);

	/// Throws RedisError when the reply is an error reply.
	void throwIfError(const redisReply& reply, const std::string& operation) const;
	static void throwIfError(const std::string& endpoint, const redisReply& reply, const std::string& operation);

private:
	void openAt();
	void openMaster();
	ReplyPtr takeBuffered();
	void feed(const char* data, std::size_t length);
	/// Hands the reader the next slice of what the last receive brought.
	void feedSlice();
	/// throwRedisError() for the exception being handled, with a hint when a
	/// plain connection is dropped before any reply.
	[[noreturn]] void throwIoError(const std::string& operation) const;

	RedisSettings _settings;
	std::string _endpoint;
	std::unique_ptr<RedisSocket> _socket;
	std::unique_ptr<redisReader, ReaderDeleter> _reader;
	std::size_t _maxReplyBytes;
	std::vector<char> _buffer;
	// What the last receive brought and the reader has not been given yet:
	// _buffer[_unfedAt, _unfedEnd). hiredis 0.14 moves the rest of its buffer
	// to the front each time a reply leaves it past 1 KiB, so the reader is
	// fed a slice at a time, not 64 KiB of pipelined replies at once.
	std::size_t _unfedAt = 0;
	std::size_t _unfedEnd = 0;
	std::unique_ptr<RedisReplyScanner> _scanner; // null: every reply is read whole
	// What the scanner passes on from one slice, fed to hiredis at once (the
	// scanner hands over each line and bulk on its own: ~7 per message).
	std::string _scanned;
	std::uint64_t _taken = 0;                    // replies returned so far
	std::size_t _lastSkipped = 0;
	bool _open = false;
	std::shared_ptr<SentinelLocator> _locator; // set while tracked by it
	std::atomic<bool> _answered{false}; // a reply came (reader thread; read by senders too)
};

} // namespace eventbus
