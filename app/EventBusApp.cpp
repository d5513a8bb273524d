//
// EventBusApp.cpp
//
// The `eventbus` application: options, configuration, dispatch to the verbs
// (publish and subscribe in PublishVerb.cpp and SubscribeVerb.cpp) and how
// each outcome becomes an exit code.
//
#include "EventBusApp.h"
#include "DlqCommand.h"
#include "ServeCommand.h"
#include "TenantCommand.h"
#include "eventbus/ConfigAudit.h"
#include "eventbus/ConfigLoader.h"
#include "eventbus/Exceptions.h"
#include "eventbus/PluginHost.h"
#include "eventbus/Redactor.h"
#include <Poco/Environment.h>
#include <Poco/File.h>
#include <Poco/NumberParser.h>
#include <Poco/Path.h>
#include <Poco/StringTokenizer.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/LoggingConfigurator.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>

using Poco::Util::Option;
using Poco::Util::OptionSet;

namespace eventbus {

namespace {

const char* const Verbs = "demo, plugins, publish, subscribe, health, serve, tenant, dlq";

} // namespace

EventBusApp::EventBusApp()
{
	setUnixOptions(true);
}

void EventBusApp::init(int argc, char** argv)
{
	_launchDir = Poco::Path::current();
	for (int i = 1; i < argc; ++i)
	{
		// The same test as ServerApplication::run(argc, argv), which alone may detach.
		if (std::string(argv[i]) == "--daemon")
		{
			_daemonArgs.assign(argv, argv + argc);
			return;
		}
	}
	Application::init(argc, argv);
}

int EventBusApp::run()
{
	if (!_daemonArgs.empty() && !_daemonStarted)
	{
		// Forks, detaches, calls init, changes to / and comes back to run().
		_daemonStarted = true;
		std::vector<char*> argv;
		for (auto& arg : _daemonArgs) argv.push_back(&arg[0]);
		argv.push_back(nullptr);
		return ServerApplication::run(static_cast<int>(_daemonArgs.size()), argv.data());
	}
	return ServerApplication::run();
}

void EventBusApp::defineOptions(OptionSet& options)
{
	ServerApplication::defineOptions(options);
	options.addOption(Option("help", "h", "Show the verbs and options.").required(false).repeatable(false));
	options.addOption(Option("config", "c", "Base configuration file (.properties, .ini or .xml); its env overlay beside it is loaded too.")
		.required(false).repeatable(false).argument("FILE"));
	options.addOption(Option("env", "e", "Environment (default: $EVENTBUS_ENV, else local).")
		.required(false).repeatable(false).argument("NAME"));
	options.addOption(Option("define", "D", "Set a configuration key; wins over every file. Repeatable.")
		.required(false).repeatable(true).argument("key=value"));
	options.addOption(Option("tenant", "t", "Tenant id (publish, subscribe).").required(false).repeatable(false).argument("ID"));
	options.addOption(Option("all-tenants", "", "subscribe: every tenant (needs eventbus.security.allowCrossTenant=true).")
		.required(false).repeatable(false));
	options.addOption(Option("topic", "T", "Topic (publish, subscribe).").required(false).repeatable(false).argument("TOPIC"));
	options.addOption(Option("payload", "p", "publish: the JSON object (default: read from stdin).")
		.required(false).repeatable(false).argument("JSON"));
	options.addOption(Option("correlation-id", "", "publish: correlation id (default: generated).")
		.required(false).repeatable(false).argument("ID"));
	options.addOption(Option("idempotency-key", "", "publish: a retry with the same key is delivered at most once.")
		.required(false).repeatable(false).argument("KEY"));
	options.addOption(Option("count", "n", "subscribe: exit 0 after N events.").required(false).repeatable(false).argument("N"));
	options.addOption(Option("timeout", "", "subscribe: exit non-zero if the transport is not ready or the events have not arrived after S seconds.")
		.required(false).repeatable(false).argument("S"));
	options.addOption(Option("group", "", "subscribe: the consumer group (durable transports: redis-streams).")
		.required(false).repeatable(false).argument("G"));
	TenantCommand::defineOptions(options);
	DlqCommand::defineOptions(options);
}

void EventBusApp::handleOption(const std::string& name, const std::string& value)
{
	Application::handleOption(name, value);
	if (name == "help")
	{
		_helpRequested = true;
		stopOptionsProcessing();
	}
	else if (name == "config") _configFile = value;
	else if (name == "env") _env = value;
	else if (name == "define")
	{
		std::size_t eq = value.find('=');
		if (eq == std::string::npos || eq == 0)
			throw Poco::InvalidArgumentException("--define: expected key=value, got '" + value + "'");
		_defines[value.substr(0, eq)] = value.substr(eq + 1);
	}
	else if (name == "id" && _options.count(name)) _options[name] += DlqCommand::IdSeparator + value;
	else _options[name] = value;
}

void EventBusApp::usage() const
{
	Poco::Util::HelpFormatter help(options());
	help.setUnixStyle(true);
	help.setCommand(commandName());
	help.setUsage("[options] VERB");
	help.setHeader(std::string("A multi-tenant event bus. Verbs: ") + Verbs + ".\n"
		"  demo       the bus end to end on the configured transport\n"
		"  plugins    every file in the plugins folder, with its status\n"
		"  publish    --tenant T --topic X [--payload JSON] [--correlation-id C] [--idempotency-key K]\n"
		"  subscribe  --tenant T|--all-tenants --topic X [--group G] [--count N] [--timeout S]\n"
		"  health     exit 0 only when the transport is ready\n"
		"  serve      HTTP /health/live, /health/ready, /metrics on eventbus.http.address:eventbus.http.port\n"
		"             until SIGTERM or SIGINT (--daemon: detached, --pidfile FILE)\n"
		"  tenant provision --tenant T --password-env VAR|--password-hash HEX|--generate-password\n"
		"             [--user NAME] [--db N] [--apply]: the tenant's Redis ACL user, its own channels only\n"
		"  tenant revoke --tenant T [--user NAME] [--apply]: ACL DELUSER\n"
		"  dlq list|replay|purge --tenant T --topic X [--id ID ...|--all] [--limit N]: dead letters (redis-streams)");
	help.format(std::cout);
}

std::string EventBusApp::option(const std::string& name, const std::string& defaultValue) const
{
	auto it = _options.find(name);
	return it == _options.end() ? defaultValue : it->second;
}

std::string EventBusApp::requireOption(const std::string& name) const
{
	auto it = _options.find(name);
	// Present but empty goes on to validation, which names the field.
	if (it == _options.end())
		throw Poco::Util::MissingOptionException("--" + name + " is required");
	return it->second;
}

std::vector<std::string> EventBusApp::hostKeys()
{
	std::vector<std::string> keys = ServeCommand::keys();
	keys.push_back("eventbus.demo.transport");
	return keys;
}

std::unique_ptr<EventBus> EventBusApp::openBus()
{
	RecordingConfiguration::Ptr recorded(new RecordingConfiguration(config()));
	recorded->declare(hostKeys());
	std::unique_ptr<EventBus> bus(new EventBus(*recorded));
	ConfigAudit::reportUnknownKeys(*recorded);
	return bus;
}

int EventBusApp::intOption(const std::string& name, int defaultValue) const
{
	auto it = _options.find(name);
	if (it == _options.end()) return defaultValue;
	int value = 0;
	if (!Poco::NumberParser::tryParse(it->second, value) || value < 0)
		throw Poco::InvalidArgumentException("--" + name + ": '" + it->second + "' is not a non-negative integer");
	return value;
}

void EventBusApp::loadConfig()
{
	std::string base = _configFile;
	if (base.empty()) base = Poco::Environment::get("EVENTBUS_CONFIG", "");
	if (base.empty())
	{
		// An installed tree keeps its configuration in etc/eventbus beside bin/.
		std::string installed = config().getString("application.dir") + "../etc/eventbus/eventbus.properties";
		base = Poco::File(installed).exists() ? installed : std::string(EVENTBUS_DEFAULT_CONFIG);
	}
	// A relative path means the launch directory, also after --daemon moved to /.
	if (_daemonStarted && Poco::Path(base).isRelative())
		base = Poco::Path(_launchDir).resolve(base).toString();
	ConfigLoader::load(config(), base, ConfigLoader::chooseEnv(_env), _defines);
	if (config().has("logging.loggers.root.channel") || config().has("logging.channels"))
		Poco::Util::LoggingConfigurator().configure(Poco::Util::AbstractConfiguration::Ptr(&config(), true));
}

int EventBusApp::fail(const std::exception& exc, const std::string& verb)
{
	int code = EXIT_SOFTWARE;
	std::string kind = "error";
	std::string hint;
	if (dynamic_cast<const ValidationException*>(&exc)) { code = EXIT_DATAERR; kind = "refused"; }
	else if (dynamic_cast<const PolicyException*>(&exc)) { code = EXIT_CONFIG; kind = "refused by policy"; }
	else if (dynamic_cast<const ConfigException*>(&exc)) { code = EXIT_CONFIG; kind = "configuration error"; }
	else if (dynamic_cast<const PluginException*>(&exc)) { code = EXIT_CONFIG; kind = "plugin error"; }
	else if (dynamic_cast<const AccessDeniedException*>(&exc)) { code = EXIT_NOPERM; kind = "not permitted"; }
	else if (dynamic_cast<const OutcomeUnknownException*>(&exc))
	{
		// Written but unconfirmed: it may have been delivered, so not "failed".
		code = ExitOutcomeUnknown;
		kind = "outcome unknown";
		hint = "; retry with --idempotency-key to deduplicate";
	}
	else if (dynamic_cast<const TransportException*>(&exc)) { code = EXIT_UNAVAILABLE; kind = "transport unavailable"; }
	else if (dynamic_cast<const Poco::Util::OptionException*>(&exc)
		|| dynamic_cast<const Poco::InvalidArgumentException*>(&exc)) { code = EXIT_USAGE; kind = "usage"; }
	std::string message;
	if (auto poco = dynamic_cast<const Poco::Exception*>(&exc))
		message = dynamic_cast<const EventBusException*>(&exc) ? poco->message() : poco->displayText();
	else
		message = exc.what();
	// Every error line goes through redaction: a message may quote input.
	// The keys are the defaults and whatever eventbus.redaction.keys adds
	// (when the configuration got that far), so custom keys are masked too.
	std::vector<std::string> keys = Redactor::defaultKeys();
	try
	{
		if (config().hasProperty("eventbus.redaction.keys"))
		{
			Poco::StringTokenizer configured(config().getString("eventbus.redaction.keys"), ",",
				Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
			keys.insert(keys.end(), configured.begin(), configured.end());
		}
	}
	catch (Poco::Exception&)
	{
		// An unreadable value (e.g. a reference loop) leaves the defaults.
	}
	const Redactor redactor(keys);
	std::cerr << "eventbus: " << verb << ": " << kind << ": " << redactor.redactText(message, 1000) << hint << std::endl;
	return code;
}

int EventBusApp::main(const std::vector<std::string>& args)
{
	if (_helpRequested)
	{
		usage();
		return EXIT_OK;
	}
	// `tenant` and `dlq` take an action: `eventbus tenant provision ...`.
	const bool tenant = !args.empty() && (args[0] == "tenant" || args[0] == "dlq");
	if (tenant && args.size() != 2)
	{
		std::cerr << "eventbus: " << args[0] << ": expected one action ("
		          << (args[0] == "dlq" ? "list, replay, purge" : "provision, revoke") << "), got " << args.size() - 1
		          << "; run 'eventbus --help'" << std::endl;
		return EXIT_USAGE;
	}
	if (!tenant && args.size() != 1)
	{
		std::cerr << "eventbus: expected exactly one verb (" << Verbs << "), got " << args.size()
		          << "; run 'eventbus --help'" << std::endl;
		return EXIT_USAGE;
	}
	const std::string verb = tenant ? args[0] + " " + args[1] : args[0];
	try
	{
		if (verb != "demo" && verb != "plugins" && verb != "publish" && verb != "subscribe" && verb != "health"
			&& verb != "serve" && !tenant)
			throw Poco::InvalidArgumentException("unknown verb '" + verb + "' (verbs: " + Verbs + ")");
		loadConfig();
		// Before a verb that starts a bus uses any value: a ${...} loop or an
		// unset ${system.env.X} is a configuration error naming the key.
		// (`plugins` and `tenant` read a few keys and need no bus.)
		if (verb != "plugins" && !tenant) ConfigAudit::checkValues(config());
		if (verb == "demo") return runDemo();
		if (verb == "plugins") return runPlugins();
		if (verb == "publish") return runPublish();
		if (verb == "subscribe") return runSubscribe();
		if (verb == "serve") return runServe();
		if (args[0] == "dlq") return DlqCommand(config(), _options).run(args[1], std::cout, std::cerr);
		if (tenant) return TenantCommand(config(), _options).run(args[1], std::cout, std::cerr);
		return runHealth();
	}
	catch (std::exception& exc)
	{
		return fail(exc, verb);
	}
}

int EventBusApp::runDemo()
{
	// The demo runs on the embedded default, the in-process memory transport,
	// unless eventbus.demo.transport names another; the env policy applies.
	std::string transport = config().getString("eventbus.demo.transport", "memory");
	config().setString("eventbus.transport", transport);
	std::unique_ptr<EventBus> bus = openBus();
	return eventbus::runDemo(*bus, std::cout);
}

int EventBusApp::runPlugins()
{
	BusSettings settings = BusSettings::fromConfig(config());
	std::cout << "plugins folder: " << settings.pluginsPath << "\n";
	std::cout << "plugin API version of this host: " << EVENTBUS_PLUGIN_API_VERSION << "\n";
	std::vector<std::string> files = PluginHost::pluginFiles(settings.pluginsPath);
	std::cout << std::left << std::setw(34) << "FILE" << std::setw(14) << "TRANSPORTS" << std::setw(5) << "API"
	          << "STATUS\n";
	bool selectedFound = false;
	for (const auto& file : files)
	{
		PluginInfo info = PluginHost::instance().inspect(file, settings.pluginsStrictModes);
		std::string names;
		for (const auto& n : info.names)
		{
			names += (names.empty() ? "" : ",") + n;
			if (n == settings.transport) selectedFound = true;
		}
		std::cout << std::left << std::setw(34) << Poco::Path(file).getFileName() << std::setw(14)
		          << (names.empty() ? "-" : names) << std::setw(5)
		          << (info.apiVersion ? std::to_string(info.apiVersion) : "-")
		          << (info.ok ? "ok" : "rejected: " + info.reason) << "\n";
		for (const auto& capability : info.capabilities)
			std::cout << "  capability " << capability << "\n";
	}
	if (files.empty()) std::cout << "(no .so files)\n";
	std::cout << "selected transport (eventbus.transport): " << settings.transport
	          << (selectedFound ? " (available)" : " (NOT AVAILABLE)") << std::endl;
	return selectedFound ? EXIT_OK : EXIT_CONFIG;
}

int EventBusApp::runServe()
{
	// Blocks the termination signals before any thread starts.
	ServeCommand serve(config(), startTime(), hostKeys());
	serve.start(std::cerr);
	waitForTerminationRequest();
	return serve.stop();
}

int EventBusApp::runHealth()
{
	std::unique_ptr<EventBus> bus = openBus();
	TransportHealth health = bus->health();
	std::cout << (health.ready ? "ready" : "not ready") << ": transport " << bus->settings().transport
	          << " (env " << bus->settings().env << "): " << health.reason << std::endl;
	bus->close();
	return health.ready ? EXIT_OK : EXIT_UNAVAILABLE;
}

} // namespace eventbus
