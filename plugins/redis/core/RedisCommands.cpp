//
// RedisCommands.cpp
//
// The named command builders; RESP formatting is RedisConnection's.
//
#include "RedisCommands.h"
#include "RedisConnection.h"

namespace eventbus {

namespace {

const std::string PublishWord = RedisCommands::Publish;
const std::string SubscribeWord = RedisCommands::Subscribe;
const std::string PSubscribeWord = RedisCommands::PSubscribe;
const std::string SPublishWord = RedisCommands::SPublish;
const std::string SSubscribeWord = RedisCommands::SSubscribe;

} // namespace

Command RedisCommands::auth(const std::string& user, const std::string& password)
{
	Command command{"AUTH"};
	if (!user.empty())
		command.push_back(user);
	command.push_back(password);
	return command;
}

Command RedisCommands::select(int db)
{
	return {"SELECT", std::to_string(db)};
}

Command RedisCommands::ping()
{
	return {"PING"};
}

Command RedisCommands::publish(const std::string& channel, const std::string& payload)
{
	return {PublishWord, channel, payload};
}

Command RedisCommands::subscribe(const std::string& name, bool pattern, bool sharded)
{
	return {subscribeWord(pattern, sharded), name};
}

Command RedisCommands::unsubscribe(const std::string& name, bool pattern, bool sharded)
{
	return {sharded ? "SUNSUBSCRIBE" : pattern ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", name};
}

void RedisCommands::appendPublish(std::string& out, const std::string& channel, const std::string& payload, bool sharded)
{
	RedisConnection::append(out, {sharded ? &SPublishWord : &PublishWord, &channel, &payload});
}

void RedisCommands::appendSubscribe(std::string& out, const std::string& name, bool pattern, bool sharded)
{
	RedisConnection::append(out, {sharded ? &SSubscribeWord : pattern ? &PSubscribeWord : &SubscribeWord, &name});
}

} // namespace eventbus
