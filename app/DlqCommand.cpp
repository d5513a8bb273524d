//
// DlqCommand.cpp
//
#include "DlqCommand.h"
#include "eventbus/BusSettings.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/PluginHost.h"
#include "eventbus/Redactor.h"
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Stringifier.h>
#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/Application.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <sstream>

using Poco::Util::Option;

namespace eventbus {

namespace {

constexpr std::size_t DefaultLimit = 100;
constexpr std::size_t MaxLimit = 100000;

std::string jsonLine(const Poco::JSON::Object& object)
{
	std::ostringstream line;
	Poco::JSON::Stringifier::condense(object, line);
	return line.str();
}

} // namespace

void DlqCommand::defineOptions(Poco::Util::OptionSet& options)
{
	options.addOption(Option("id", "", "dlq replay|purge: a dead-letter entry id (as dlq list prints). Repeatable.")
		.required(false).repeatable(true).argument("ID"));
	options.addOption(Option("all", "", "dlq replay|purge: every dead letter of the topic.")
		.required(false).repeatable(false));
	options.addOption(Option("limit", "", "dlq list: at most N entries, oldest first (default 100).")
		.required(false).repeatable(false).argument("N"));
}

DlqCommand::DlqCommand(const Poco::Util::AbstractConfiguration& config,
	const std::map<std::string, std::string>& options)
	: _config(config)
	, _options(options)
{
}

std::string DlqCommand::option(const std::string& name) const
{
	auto it = _options.find(name);
	return it == _options.end() ? std::string() : it->second;
}

bool DlqCommand::has(const std::string& name) const
{
	return _options.count(name) > 0;
}

int DlqCommand::run(const std::string& action, std::ostream& out, std::ostream& err)
{
	if (action != "list" && action != "replay" && action != "purge")
		throw Poco::InvalidArgumentException("dlq: unknown action '" + action + "' (list, replay, purge)");
	if (!has("tenant"))
		throw Poco::Util::MissingOptionException("--tenant is required");
	if (!has("topic"))
		throw Poco::Util::MissingOptionException("--topic is required");
	if (has("all-tenants"))
		throw Poco::InvalidArgumentException("dlq: --all-tenants does not apply; name one --tenant");
	// Refused before the plugin is loaded or a server is asked.
	Names::validateTenant(option("tenant"));
	Names::validateTopic(option("topic"));
	if (action == "list")
	{
		if (has("id") || has("all"))
			throw Poco::InvalidArgumentException("dlq list: --id and --all do not apply (use --limit N)");
		return list(*admin(), out);
	}
	if (has("limit"))
		throw Poco::InvalidArgumentException("dlq " + action + ": --limit does not apply (use --id ID or --all)");
	const DeadLetterSelection selected = selection(action);
	return change(*admin(), action, selected, out, err);
}

DeadLetterSelection DlqCommand::selection(const std::string& action) const
{
	DeadLetterSelection selection;
	selection.all = has("all");
	if (has("id"))
	{
		Poco::StringTokenizer ids(option("id"), std::string(1, IdSeparator),
			Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
		selection.ids.assign(ids.begin(), ids.end());
		if (selection.ids.empty())
			throw Poco::InvalidArgumentException("dlq " + action + ": --id needs an entry id");
	}
	if (selection.all == !selection.ids.empty())
		throw Poco::InvalidArgumentException("dlq " + action + ": give either --id ID (repeatable) or --all");
	return selection;
}

std::shared_ptr<DeadLetterAdmin> DlqCommand::admin() const
{
	const BusSettings settings = BusSettings::fromConfig(_config);
	std::shared_ptr<DeadLetterAdmin> found = PluginHost::instance().capability<DeadLetterAdmin>(
		settings.pluginsPath, settings.transport, DeadLetterAdmin::Name, settings.pluginsStrictModes);
	if (!found)
	{
		throw ConfigException("the transport '" + settings.transport + "' (eventbus.transport) has no "
			+ DeadLetterAdmin::Name + " capability: it keeps no dead letters; select a durable transport "
			"(e.g. --define eventbus.transport=redis-streams)");
	}
	found->configure(_config);
	return found;
}

int DlqCommand::list(DeadLetterAdmin& admin, std::ostream& out)
{
	std::size_t limit = DefaultLimit;
	if (has("limit"))
	{
		unsigned value = 0;
		if (!Poco::NumberParser::tryParseUnsigned(option("limit"), value) || value == 0 || value > MaxLimit)
			throw Poco::InvalidArgumentException("--limit: '" + option("limit") + "' is not a number from 1 to "
				+ std::to_string(MaxLimit));
		limit = value;
	}
	// The recorded error may quote an event or a handler's message: masked
	// again here with the defaults and eventbus.redaction.keys.
	std::vector<std::string> keys = Redactor::defaultKeys();
	Poco::StringTokenizer configured(_config.getString("eventbus.redaction.keys", ""), ",",
		Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
	keys.insert(keys.end(), configured.begin(), configured.end());
	const Redactor redactor(keys);
	for (const auto& letter : admin.list(option("tenant"), option("topic"), limit))
	{
		Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
		line.set("deadLetterId", letter.deadLetterId);
		line.set("channel", letter.channel);
		line.set("id", letter.originalId);
		line.set("group", letter.group);
		line.set("deliveries", letter.deliveries);
		line.set("error", redactor.redactText(letter.error, 1000));
		line.set("eventId", letter.eventId);
		line.set("time", letter.time);
		out << jsonLine(line) << "\n";
	}
	out.flush();
	return 0;
}

int DlqCommand::change(DeadLetterAdmin& admin, const std::string& action, const DeadLetterSelection& selected,
	std::ostream& out, std::ostream& err)
{
	const std::string tenant = option("tenant");
	const std::string topic = option("topic");
	const DeadLetterOutcome outcome = action == "replay" ? admin.replay(tenant, topic, selected)
		: admin.purge(tenant, topic, selected);
	Poco::JSON::Object line(Poco::JSON_PRESERVE_KEY_ORDER);
	line.set(action == "replay" ? "replayed" : "purged", static_cast<Poco::UInt64>(outcome.count));
	line.set("deadLetters", admin.deadLetterKey(tenant, topic));
	Poco::JSON::Array notFound;
	for (const auto& id : outcome.notFound)
		notFound.add(id);
	line.set("notFound", notFound);
	out << jsonLine(line) << std::endl;
	if (outcome.notFound.empty())
		return 0;
	err << "eventbus: dlq " << action << ": " << outcome.notFound.size() << " of the listed ids are not in "
	    << admin.deadLetterKey(tenant, topic) << " (already replayed or purged?)" << std::endl;
	return Poco::Util::Application::EXIT_DATAERR; // the input named entries that do not exist
}

} // namespace eventbus
