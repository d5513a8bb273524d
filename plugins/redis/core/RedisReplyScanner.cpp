//
// RedisReplyScanner.cpp
//
// The RESP2 framing a subscriber connection needs to find and cut the
// payload of an oversized message push.
//
#include "RedisReplyScanner.h"
#include <Poco/NumberParser.h>
#include <algorithm>
#include <cstring>

namespace eventbus {

namespace {

// A type line longer than this is not one we can follow (a huge status or
// error line): from there on the stream passes unchanged.
constexpr std::size_t MaxLine = 64 * 1024;

// Enough of the first element to tell "message" and "pmessage" apart.
constexpr std::size_t KindBytes = 16;

const char EmptyBulk[] = "$0\r\n\r\n";

} // namespace

RedisReplyScanner::RedisReplyScanner(std::size_t maxPayloadBytes)
	: _maxPayloadBytes(maxPayloadBytes)
{
}

void RedisReplyScanner::scan(const char* data, std::size_t length, const Feed& feed)
{
	std::size_t pos = 0;
	while (pos < length)
	{
		if (_passThrough)
		{
			feed(data + pos, length - pos);
			return;
		}
		switch (_phase)
		{
		case Phase::Skip:
		{
			const std::size_t n = std::min(_remaining, length - pos);
			pos += n;
			_remaining -= n;
			if (_remaining == 0)
			{
				_phase = Phase::Line;
				itemDone();
			}
			break;
		}
		case Phase::Bulk:
		{
			const std::size_t n = std::min(_remaining, length - pos);
			if (_capture)
			{
				const std::size_t consumed = _bulkLength + 2 - _remaining;
				const std::size_t wanted = std::min(_bulkLength, KindBytes);
				if (consumed < wanted)
					_kind.append(data + pos, std::min(n, wanted - consumed));
			}
			feed(data + pos, n);
			pos += n;
			_remaining -= n;
			if (_remaining == 0)
			{
				_phase = Phase::Line;
				itemDone();
			}
			break;
		}
		case Phase::Line:
		{
			const void* newline = std::memchr(data + pos, '\n', length - pos);
			const std::size_t end = newline ? static_cast<std::size_t>(static_cast<const char*>(newline) - data) + 1 : length;
			_line.append(data + pos, end - pos);
			pos = end;
			if (_line.size() > MaxLine)
				passThrough(feed);
			else if (newline)
				lineDone(feed);
			break;
		}
		}
	}
}

void RedisReplyScanner::passThrough(const Feed& feed)
{
	feed(_line.data(), _line.size());
	_line.clear();
	_passThrough = true;
}

void RedisReplyScanner::lineDone(const Feed& feed)
{
	if (_line.size() < 3 || _line[_line.size() - 2] != '\r')
	{
		passThrough(feed);
		return;
	}
	const char type = _line[0];
	if (type == '+' || type == '-' || type == ':')
	{
		feed(_line.data(), _line.size());
		_line.clear();
		itemDone();
		return;
	}
	Poco::Int64 count = 0;
	if ((type != '$' && type != '*') || !Poco::NumberParser::tryParse64(_line.substr(1, _line.size() - 3), count))
	{
		passThrough(feed); // not RESP2 framing we know: hiredis reports it
		return;
	}
	if (type == '*')
	{
		feed(_line.data(), _line.size());
		_line.clear();
		if (count <= 0)
		{
			itemDone(); // empty or null array
			return;
		}
		if (_levels.empty())
			_kind.clear();
		_levels.push_back(Level{count, count});
		return;
	}
	if (count < 0)
	{
		feed(_line.data(), _line.size()); // null bulk string
		_line.clear();
		itemDone();
		return;
	}
	const std::size_t size = static_cast<std::size_t>(count);
	if (size > _maxPayloadBytes && atPayload())
	{
		// The reader sees an empty payload; the payload itself is never buffered.
		_line.clear();
		feed(EmptyBulk, sizeof(EmptyBulk) - 1);
		_skipped.emplace_back(_replies, size);
		_remaining = size + 2;
		_phase = Phase::Skip;
		return;
	}
	feed(_line.data(), _line.size());
	_line.clear();
	_capture = _levels.size() == 1 && _levels[0].remaining == _levels[0].count;
	_bulkLength = size;
	_remaining = size + 2;
	_phase = Phase::Bulk;
}

bool RedisReplyScanner::atPayload() const
{
	if (_levels.size() != 1 || _levels[0].remaining != 1)
		return false; // the payload is the last element of a top-level push
	return (_levels[0].count == 3 && _kind == "message") || (_levels[0].count == 4 && _kind == "pmessage");
}

void RedisReplyScanner::itemDone()
{
	_capture = false;
	while (!_levels.empty())
	{
		if (--_levels.back().remaining > 0)
			return;
		_levels.pop_back();
	}
	++_replies;
}

std::size_t RedisReplyScanner::skippedOf(std::uint64_t index)
{
	while (!_skipped.empty() && _skipped.front().first < index)
		_skipped.pop_front();
	if (_skipped.empty() || _skipped.front().first != index)
		return 0;
	const std::size_t size = _skipped.front().second;
	_skipped.pop_front();
	return size;
}

} // namespace eventbus
