//
// DeadLetterAdmin.h
//
// The capability "{transport}/dead-letters": the dead-letter stream of a
// durable transport (for redis-streams, "{channel}:dlq"), inspected,
// replayed to its original channel and purged by an operator. `eventbus dlq`
// prints what it returns; only the plugin knows where and how its transport
// keeps dead letters.
//
#pragma once

#include "eventbus/Capability.h"
#include <Poco/Util/AbstractConfiguration.h>
#include <cstddef>
#include <string>
#include <vector>

namespace eventbus {
inline namespace abi_v3 {

/// One dead-lettered event, as the transport recorded it.
struct DeadLetter
{
	std::string deadLetterId;  ///< its entry id in the dead-letter stream
	std::string channel;       ///< the channel it was dead-lettered from
	std::string originalId;    ///< its entry id in the original stream
	std::string group;         ///< the consumer group that gave up on it
	long long deliveries = 0;  ///< how often it was delivered to that group
	std::string error;         ///< the last handler error, as the transport recorded it (redacted there)
	std::string eventId;       ///< the CloudEvents id of the envelope ("" when unreadable)
	std::string time;          ///< the CloudEvents time of the envelope ("" when unreadable)
};

/// Which dead letters replay() and purge() act on: the listed dead-letter
/// entry ids, or (all = true) every entry present when the call starts.
struct DeadLetterSelection
{
	std::vector<std::string> ids;
	bool all = false;
};

/// What replay() or purge() did.
struct DeadLetterOutcome
{
	std::size_t count = 0;              ///< entries replayed or purged
	std::vector<std::string> notFound;  ///< listed ids that are not (or no longer) in the dead-letter stream
};

/// Inspects, replays and purges the dead letters of one tenant's topic.
class DeadLetterAdmin : public Capability
{
public:
	/// The capability part of the registration name: "{transport}/dead-letters".
	static const std::string Name;

	~DeadLetterAdmin() override;

	/// Takes the server, credentials and names (eventbus.env,
	/// eventbus.channel.prefix, the transport's keys) from `config`; no I/O.
	/// Throws ConfigException naming a bad key. Call before anything else.
	virtual void configure(const Poco::Util::AbstractConfiguration& config) = 0;

	/// The dead-letter stream of the tenant's topic (for messages).
	virtual std::string deadLetterKey(const std::string& tenantId, const std::string& topic) const = 0;

	/// The oldest `limit` dead letters of the tenant's topic, oldest first.
	/// Throws ValidationException for a bad tenant or topic,
	/// TransportException when the server cannot be reached,
	/// AccessDeniedException when it refuses the credentials or a command.
	virtual std::vector<DeadLetter> list(const std::string& tenantId, const std::string& topic, std::size_t limit) = 0;

	/// Appends each selected entry's envelope, unchanged (the same CloudEvents
	/// id, so the idempotency middleware absorbs a duplicate), to its original
	/// channel, then removes it from the dead-letter stream. Oldest first; an
	/// entry appended but not removed (the connection dropped in between) is
	/// appended again by the next replay. Throws as list(), and
	/// ValidationException for an id that is not an entry id.
	virtual DeadLetterOutcome replay(const std::string& tenantId, const std::string& topic,
		const DeadLetterSelection& selection) = 0;

	/// Removes the selected entries from the dead-letter stream. Throws as replay().
	virtual DeadLetterOutcome purge(const std::string& tenantId, const std::string& topic,
		const DeadLetterSelection& selection) = 0;
};

} // inline namespace abi_v3
} // namespace eventbus
