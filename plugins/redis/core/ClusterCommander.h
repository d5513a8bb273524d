//
// ClusterCommander.h
//
// Single commands on a Redis Cluster, off the hot paths (consumer group
// creation, dead letters, a write the source node answered ASK to during a
// migration): a pipeline of commands on one key's slot owner, following
// MOVED (the map is corrected) and ASK (ASKING, then the commands, on the
// migration's target), over one connection per node kept open between
// calls. Calls are serialised: the mutex guards the connections, which are
// used only under it.
//
#pragma once

#include "ClusterRouter.h"
#include "RedisCommands.h"
#include "RedisConnection.h"
#include "RedisSettings.h"
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace eventbus {

class ClusterCommander
{
public:
	ClusterCommander(const RedisSettings& settings, RedisSocketFactory socketFactory, std::shared_ptr<ClusterRouter> router);

	ClusterCommander(const ClusterCommander&) = delete;
	ClusterCommander& operator=(const ClusterCommander&) = delete;

	/// Sends `commands` pipelined to the owner of `key`'s slot and returns
	/// their replies (error replies included, except a redirect of the first,
	/// which is followed: up to ClusterRouter::MaxRedirects attempts). Throws
	/// RedisError when the node cannot be reached (a refresh is requested)
	/// and TransportException when the slot is uncovered or the redirects
	/// did not settle.
	std::vector<ReplyPtr> run(const std::string& key, const std::vector<Command>& commands);

	/// As run(), on `target` with ASKING first: what a node's ASK asks for.
	std::vector<ReplyPtr> asking(const RedisNodeAddress& target, const std::vector<Command>& commands);

	/// Closes every connection.
	void close();

private:
	std::vector<ReplyPtr> sendLocked(const RedisNodeAddress& node, const std::vector<Command>& commands, bool ask);

	const RedisSettings _settings;
	const RedisSocketFactory _socketFactory;
	const std::shared_ptr<ClusterRouter> _router;

	std::mutex _mutex;
	std::map<std::string, std::unique_ptr<RedisConnection>> _connections; // by host:port
};

} // namespace eventbus
