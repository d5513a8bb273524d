//
// RedisClient.h
//
// A blocking RESP client over a Poco socket, for tests only.
//
#pragma once

#include "RedisValue.h"
#include <Poco/Net/StreamSocket.h>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

/// A blocking RESP client over a Poco socket, for tests only.
class RedisClient
{
public:
	RedisClient(const std::string& host, unsigned short port,
		std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
	~RedisClient();

	RedisClient(const RedisClient&) = delete;
	RedisClient& operator=(const RedisClient&) = delete;

	/// Sends the command and returns its reply (error replies too); throws on
	/// I/O failure or timeout.
	RedisValue command(const std::vector<std::string>& argv);
	void send(const std::vector<std::string>& argv);
	/// The next reply if one arrives within `timeout`.
	bool read(RedisValue& value, std::chrono::milliseconds timeout);
	void close();

private:
	struct Reader;
	Poco::Net::StreamSocket _socket;
	std::unique_ptr<Reader> _reader;
	std::chrono::milliseconds _timeout;
};

/// The command in RESP as hiredis's redisFormatCommandArgv writes it (the
/// reference the plugin's own writer is held to).
std::string formatByHiredis(const std::vector<std::string>& argv);

/// Writes every byte of `bytes` (MSG_NOSIGNAL); throws on failure.
void sendAll(Poco::Net::StreamSocket& socket, const std::string& bytes);

} // namespace test
} // namespace eventbus
