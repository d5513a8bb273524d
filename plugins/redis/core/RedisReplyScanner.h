//
// RedisReplyScanner.h
//
// Follows the RESP replies of a subscriber connection byte by byte, ahead of
// hiredis' reader, and cuts the payload of an oversized Pub/Sub message out
// of the stream, so it is never buffered and the connection survives it.
//
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace eventbus {

/// Redis accepts messages of up to 512 MB, far more than a subscriber should
/// hold: a `message` (`*3 $7 message $N <channel> $M <payload>`) or
/// `pmessage` (`*4 ... $M <payload>`) push whose payload is larger than the
/// limit reaches the reader as the same push with an empty payload, and its
/// size is kept for the reply (skippedOf). Everything else passes unchanged.
/// Memory stays bounded: the scanner holds at most one header line.
/// Not thread-safe: the reading thread's.
class RedisReplyScanner
{
public:
	using Feed = std::function<void(const char* data, std::size_t length)>;

	explicit RedisReplyScanner(std::size_t maxPayloadBytes);

	/// Passes the bytes of `data` on to `feed`, in order, but for cut payloads.
	void scan(const char* data, std::size_t length, const Feed& feed);

	/// The size of the payload cut from top-level reply `index` (0 for the
	/// first reply of the connection), 0 when none was; forgets earlier ones.
	std::size_t skippedOf(std::uint64_t index);

private:
	enum class Phase
	{
		Line,  // reading a type line ("*3", "$7", "+OK", ...), held back until complete
		Bulk,  // passing a bulk string's bytes and its CRLF
		Skip   // discarding a cut payload and its CRLF
	};
	struct Level
	{
		long long count;     // elements of the array
		long long remaining; // still to come
	};

	void lineDone(const Feed& feed);
	void itemDone();
	bool atPayload() const;
	void passThrough(const Feed& feed);

	const std::size_t _maxPayloadBytes;
	Phase _phase = Phase::Line;
	bool _passThrough = false;      // lost track (not RESP2, a huge line): hiredis and its limit decide
	std::string _line;
	std::size_t _remaining = 0;     // of the bulk or skip, CRLF included
	std::size_t _bulkLength = 0;
	bool _capture = false;          // the bulk is the first element of a top-level array
	std::string _kind;              // its first bytes ("message", "pmessage", ...)
	std::vector<Level> _levels;     // open arrays, outermost first
	std::uint64_t _replies = 0;     // top-level replies completed
	std::deque<std::pair<std::uint64_t, std::size_t>> _skipped; // reply index, payload size
};

} // namespace eventbus
