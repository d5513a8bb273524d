//
// DlqCommand.h
//
// `eventbus dlq list|replay|purge`: the dead letters of one tenant's topic on
// a durable transport, through the "{transport}/dead-letters" capability of
// the plugin of eventbus.transport (for redis-streams: the stream
// "{channel}:dlq"). This verb parses options, prints and maps outcomes.
//
#pragma once

#include "eventbus/DeadLetterAdmin.h"
#include <Poco/Util/AbstractConfiguration.h>
#include <Poco/Util/OptionSet.h>
#include <map>
#include <memory>
#include <ostream>
#include <string>

namespace eventbus {

/// The `dlq` verb. Options: --tenant T --topic X (both required),
/// --id ID (repeatable; replay and purge) or --all, --limit N (list,
/// default 100).
///
/// stdout: `list` prints one JSON object per dead letter (deadLetterId,
/// channel, id, group, deliveries, error, eventId, time), oldest first;
/// `replay` and `purge` print one JSON line with the count and the ids not
/// found. Exit codes: 0; 64 usage; 65 a bad name or id, or a listed id not in
/// the dead-letter stream; 69 the server is unreachable; 77 NOPERM or refused
/// credentials; 78 the selected transport has no dead letters (configuration).
class DlqCommand
{
public:
	/// The separator handleOption() joins repeated --id values with (an entry
	/// id never holds one).
	static constexpr char IdSeparator = ',';

	/// Adds the options of this verb to the executable's.
	static void defineOptions(Poco::Util::OptionSet& options);

	/// `config`: the loaded configuration; `options`: the command line's, by
	/// long name (--id values joined by IdSeparator).
	DlqCommand(const Poco::Util::AbstractConfiguration& config, const std::map<std::string, std::string>& options);

	/// Runs `action` (list, replay or purge) and returns the exit code. Throws
	/// ValidationException, Poco::InvalidArgumentException /
	/// MissingOptionException, ConfigException, PluginException,
	/// TransportException, AccessDeniedException (EventBusApp::fail maps them).
	int run(const std::string& action, std::ostream& out, std::ostream& err);

private:
	int list(DeadLetterAdmin& admin, std::ostream& out);
	int change(DeadLetterAdmin& admin, const std::string& action, const DeadLetterSelection& selected,
		std::ostream& out, std::ostream& err);
	DeadLetterSelection selection(const std::string& action) const;
	/// The dead-letters capability of eventbus.transport's plugin, configured;
	/// throws ConfigException naming the transport when it has none.
	std::shared_ptr<DeadLetterAdmin> admin() const;
	std::string option(const std::string& name) const;
	bool has(const std::string& name) const;

	const Poco::Util::AbstractConfiguration& _config;
	const std::map<std::string, std::string> _options;
};

} // namespace eventbus
