//
// RedisDeadLetters.h
//
// The redis plugin's "redis-streams/dead-letters" capability: the dead-letter
// stream "{channel}:dlq" the redis-streams transport writes after
// eventbus.redis.streams.maxDeliveries (fields channel, id, group,
// deliveries, error, e), listed with XRANGE, replayed with XADD of the
// unchanged envelope to the channel then XDEL, purged with XDEL.
//
#pragma once

#include "ClusterCommander.h"
#include "eventbus/DeadLetterAdmin.h"
#include "RedisConnection.h"
#include "RedisSettings.h"
#include <memory>

namespace eventbus {

/// DeadLetterAdmin for redis-streams, on eventbus.redis.url with the
/// credentials found there (a tenant's own ACL user is enough: the
/// dead-letter stream is inside its key pattern). One connection, opened on
/// first use, closed with the object; on a cluster, each command goes to the
/// owner of its key's slot (ClusterCommander, one connection per node).
class RedisDeadLetters : public DeadLetterAdmin
{
public:
	RedisDeadLetters();
	~RedisDeadLetters() override;

	void configure(const Poco::Util::AbstractConfiguration& config) override;
	std::string deadLetterKey(const std::string& tenantId, const std::string& topic) const override;
	std::vector<DeadLetter> list(const std::string& tenantId, const std::string& topic, std::size_t limit) override;
	DeadLetterOutcome replay(const std::string& tenantId, const std::string& topic,
		const DeadLetterSelection& selection) override;
	DeadLetterOutcome purge(const std::string& tenantId, const std::string& topic,
		const DeadLetterSelection& selection) override;

	/// True for a stream entry id "ms-seq" (decimal digits on both sides).
	static bool isEntryId(const std::string& id);

private:
	/// A dead-letter entry as stored: its id and its fields.
	struct Entry
	{
		std::string id;
		std::vector<std::pair<std::string, std::string>> fields;
		std::string field(const std::string& name) const;
	};

	std::string channel(const std::string& tenantId, const std::string& topic) const;
	/// The selected entries, oldest first; listed ids that are absent go to `notFound`.
	std::vector<Entry> select(const std::string& key, const DeadLetterSelection& selection,
		std::vector<std::string>& notFound);
	/// XRANGE key start end COUNT count.
	std::vector<Entry> range(const std::string& key, const std::string& start, const std::string& end, std::size_t count);
	/// Runs a command, opening the connection first; maps NOPERM and refused
	/// credentials to AccessDeniedException.
	ReplyPtr run(const Command& argv);
	static DeadLetter toDeadLetter(const std::string& key, const Entry& entry);

	bool _configured = false;
	RedisSettings _redis;
	std::string _env;
	std::string _prefix;
	std::size_t _maxLen = 100000;
	int _maxAgeSeconds = 0;
	std::unique_ptr<RedisConnection> _connection;
	std::shared_ptr<ClusterCommander> _commander; // cluster only (it holds the router)
};

} // namespace eventbus
