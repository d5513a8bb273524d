//
// PocoRedisBaselines.cpp
//
// poco-redis-sync and poco-redis-pipelined.
//
#include "PocoRedisBaselines.h"
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Client.h>
#include <Poco/Redis/Command.h>
#include <stdexcept>

namespace eventbus {
namespace bench {

namespace {

void login(Poco::Redis::Client& client, const RedisAddress& address)
{
	if (!address.password.empty())
	{
		Poco::Redis::Array auth;
		auth << "AUTH";
		if (!address.user.empty()) auth << address.user;
		auth << address.password;
		client.execute<std::string>(auth);
	}
	if (address.db != 0)
	{
		Poco::Redis::Array select;
		select << "SELECT" << std::to_string(address.db);
		client.execute<std::string>(select);
	}
}

Poco::Redis::Array publishCommand(const std::string& channel, const std::string& wire)
{
	Poco::Redis::Array command;
	command << "PUBLISH" << channel << wire;
	return command;
}

} // namespace

Measurement PocoRedisBaselines::publishSync(const RedisAddress& address, const std::string& channel, const std::string& wire,
	std::size_t events)
{
	Poco::Redis::Client client(address.host, address.port);
	login(client, address);
	Measurement m;
	const std::int64_t start = nowNanos();
	for (std::size_t i = 0; i < events; ++i)
	{
		const std::int64_t t0 = nowNanos();
		try
		{
			client.execute<Poco::Int64>(publishCommand(channel, wire));
		}
		catch (Poco::Exception&)
		{
			++m.errors;
		}
		m.latencyUs.push_back(static_cast<double>(nowNanos() - t0) / 1e3);
	}
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = events;
	return m;
}

Measurement PocoRedisBaselines::publishPipelined(const RedisAddress& address, const std::string& channel, const std::string& wire,
	std::size_t events, std::size_t batch)
{
	Poco::Redis::Client client(address.host, address.port);
	login(client, address);
	Measurement m;
	const std::int64_t start = nowNanos();
	std::size_t sent = 0;
	while (sent < events)
	{
		const std::size_t n = std::min(batch, events - sent);
		std::vector<Poco::Redis::Array> commands;
		commands.reserve(n);
		for (std::size_t i = 0; i < n; ++i)
			commands.push_back(publishCommand(channel, wire));
		const Poco::Redis::Array replies = client.sendCommands(commands);
		if (replies.size() != n) m.errors += n;
		sent += n;
	}
	m.seconds = static_cast<double>(nowNanos() - start) / 1e9;
	m.events = events;
	return m;
}

} // namespace bench
} // namespace eventbus
