//
// ClusterCommander.cpp
//
#include "ClusterCommander.h"
#include "RedisError.h"
#include "eventbus/SafeText.h"

namespace eventbus {

namespace {

constexpr std::size_t MaxReplyBytes = 64 * 1024 * 1024;

} // namespace

ClusterCommander::ClusterCommander(const RedisSettings& settings, RedisSocketFactory socketFactory,
	std::shared_ptr<ClusterRouter> router)
	: _settings(settings)
	, _socketFactory(std::move(socketFactory))
	, _router(std::move(router))
{
}

std::vector<ReplyPtr> ClusterCommander::run(const std::string& key, const std::vector<Command>& commands)
{
	std::lock_guard<std::mutex> lock(_mutex);
	RedisNodeAddress node = _router->owner(key);
	bool ask = false;
	for (int hop = 0;; ++hop)
	{
		std::vector<ReplyPtr> replies = sendLocked(node, commands, ask);
		const std::size_t first = ask ? 1 : 0;
		const ClusterRedirect redirect = replies.size() > first && replies[first]->type == REDIS_REPLY_ERROR
			? ClusterRedirect::parse(RedisConnection::text(*replies[first]))
			: ClusterRedirect();
		if (redirect.kind == ClusterRedirect::Kind::None)
		{
			if (ask)
				replies.erase(replies.begin()); // ASKING's +OK
			return replies;
		}
		ClusterRedirect followed = redirect;
		if (followed.target.host.empty())
			followed.target.host = node.host;
		if (hop + 1 >= ClusterRouter::MaxRedirects)
		{
			throw TransportException("redis cluster: " + node.describe() + " redirected " + commands.front().front()
				+ " on " + SafeText::escape(key) + " " + std::to_string(hop + 1) + " times; the slot map does not settle");
		}
		if (followed.kind == ClusterRedirect::Kind::Moved)
			_router->moved(followed);
		ask = followed.kind == ClusterRedirect::Kind::Ask;
		node = followed.target;
	}
}

std::vector<ReplyPtr> ClusterCommander::asking(const RedisNodeAddress& target, const std::vector<Command>& commands)
{
	std::lock_guard<std::mutex> lock(_mutex);
	std::vector<ReplyPtr> replies = sendLocked(target, commands, true);
	replies.erase(replies.begin());
	return replies;
}

std::vector<ReplyPtr> ClusterCommander::sendLocked(const RedisNodeAddress& node, const std::vector<Command>& commands,
	bool ask)
{
	std::unique_ptr<RedisConnection>& connection = _connections[node.describe()];
	try
	{
		if (!connection)
		{
			connection = std::make_unique<RedisConnection>(_settings.forNode(node), _socketFactory(), MaxReplyBytes);
			connection->open();
		}
		std::string bytes;
		if (ask)
			bytes += RedisConnection::format({"ASKING"});
		for (const Command& command : commands)
			bytes += RedisConnection::format(command);
		connection->sendRaw(bytes);
		std::vector<ReplyPtr> replies;
		const std::size_t due = commands.size() + (ask ? 1 : 0);
		while (replies.size() < due)
			replies.push_back(connection->readReply());
		return replies;
	}
	catch (RedisError&)
	{
		if (connection)
			connection->close();
		connection.reset();
		_router->requestRefresh(); // the node may be gone: a replica takes over
		throw;
	}
}

void ClusterCommander::close()
{
	std::lock_guard<std::mutex> lock(_mutex);
	for (auto& connection : _connections)
	{
		if (connection.second)
			connection.second->close();
	}
	_connections.clear();
}

} // namespace eventbus
