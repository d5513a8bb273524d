//
// RedisClient.cpp
//
#include "RedisClient.h"
#include <Poco/Net/SocketAddress.h>
#include <hiredis/hiredis.h>
#include <stdexcept>
#include <sys/socket.h>

namespace eventbus {
namespace test {

namespace {

RedisValue toValue(const redisReply& reply)
{
	RedisValue value;
	switch (reply.type)
	{
	case REDIS_REPLY_STRING: value.type = RedisValue::String; break;
	case REDIS_REPLY_STATUS: value.type = RedisValue::Status; break;
	case REDIS_REPLY_ERROR: value.type = RedisValue::Error; break;
	case REDIS_REPLY_INTEGER: value.type = RedisValue::Integer; break;
	case REDIS_REPLY_ARRAY: value.type = RedisValue::Array; break;
	default: value.type = RedisValue::Nil; break;
	}
	if (reply.str)
		value.str.assign(reply.str, reply.len);
	value.integer = reply.integer;
	for (std::size_t i = 0; reply.type == REDIS_REPLY_ARRAY && i < reply.elements; ++i)
		value.elements.push_back(toValue(*reply.element[i]));
	return value;
}

} // namespace

std::string formatByHiredis(const std::vector<std::string>& argv)
{
	std::vector<const char*> args;
	std::vector<std::size_t> lengths;
	for (const auto& arg : argv)
	{
		args.push_back(arg.data());
		lengths.push_back(arg.size());
	}
	char* raw = nullptr;
	const int length = redisFormatCommandArgv(&raw, static_cast<int>(argv.size()), args.data(), lengths.data());
	if (length < 0)
		throw std::runtime_error("cannot format a command");
	std::string command(raw, static_cast<std::size_t>(length));
	redisFreeCommand(raw);
	return command;
}

void sendAll(Poco::Net::StreamSocket& socket, const std::string& bytes)
{
	std::size_t sent = 0;
	while (sent < bytes.size())
		sent += static_cast<std::size_t>(socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent), MSG_NOSIGNAL));
}

struct RedisClient::Reader
{
	redisReader* reader = redisReaderCreate();
	~Reader() { redisReaderFree(reader); }
};

RedisClient::RedisClient(const std::string& host, unsigned short port, std::chrono::milliseconds timeout)
	: _reader(new Reader)
	, _timeout(timeout)
{
	const Poco::Timespan span(static_cast<Poco::Timespan::TimeDiff>(timeout.count()) * 1000);
	_socket.connect(Poco::Net::SocketAddress(host, port), span);
	_socket.setNoDelay(true);
	_socket.setSendTimeout(span);
	_socket.setReceiveTimeout(span);
}

RedisClient::~RedisClient()
{
	close();
}

void RedisClient::close()
{
	try
	{
		_socket.close();
	}
	catch (...)
	{
	}
}

void RedisClient::send(const std::vector<std::string>& argv)
{
	sendAll(_socket, formatByHiredis(argv));
}

RedisValue RedisClient::command(const std::vector<std::string>& argv)
{
	send(argv);
	RedisValue value;
	if (!read(value, _timeout))
		throw std::runtime_error("no reply to " + argv.at(0) + " within " + std::to_string(_timeout.count()) + " ms");
	return value;
}

bool RedisClient::read(RedisValue& value, std::chrono::milliseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	char buffer[64 * 1024];
	for (;;)
	{
		void* raw = nullptr;
		if (redisReaderGetReply(_reader->reader, &raw) != REDIS_OK)
			throw std::runtime_error(std::string("protocol error: ") + _reader->reader->errstr);
		if (raw)
		{
			value = toValue(*static_cast<redisReply*>(raw));
			freeReplyObject(raw);
			return true;
		}
		const auto remaining = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
		if (remaining.count() <= 0)
			return false;
		if (!_socket.poll(Poco::Timespan(remaining.count()), Poco::Net::Socket::SELECT_READ))
			return false;
		const int n = _socket.receiveBytes(buffer, sizeof(buffer));
		if (n <= 0)
			throw std::runtime_error("connection closed by the server");
		redisReaderFeed(_reader->reader, buffer, static_cast<std::size_t>(n));
	}
}

} // namespace test
} // namespace eventbus
