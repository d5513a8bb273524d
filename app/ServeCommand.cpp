//
// ServeCommand.cpp
//
// `eventbus serve`: the bus, its endpoints and the OperationsServer in front
// of them, from start to a bounded stop.
//
#include "ServeCommand.h"
#include "OperationsServer.h"
#include "eventbus/ConfigAudit.h"
#include "eventbus/Exceptions.h"
#include "eventbus/PluginHost.h"
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Path.h>
#include <Poco/Util/Application.h>
#include <Poco/Util/MapConfiguration.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

namespace eventbus {

namespace {

// The set ServerApplication::waitForTerminationRequest() waits for.
void blockTerminationSignals()
{
	sigset_t set;
	sigemptyset(&set);
	if (!std::getenv("POCO_ENABLE_DEBUGGER")) sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int intKey(const Poco::Util::AbstractConfiguration& config, const std::string& key, int defaultValue, int min, int max)
{
	int value = defaultValue;
	try
	{
		value = config.getInt(key, defaultValue);
	}
	catch (Poco::Exception&)
	{
		throw ConfigException(key + ": '" + config.getString(key, "") + "' is not an integer");
	}
	if (value < min || value > max)
		throw ConfigException(key + ": " + std::to_string(value) + " is out of range [" + std::to_string(min) + ", "
			+ std::to_string(max) + "]");
	return value;
}

// The file PluginHost::create took the transport from: the first one, in
// folder order, that provides the name.
std::string pluginFileFor(const std::string& folder, const std::string& transport, bool strict)
{
	for (const auto& file : PluginHost::pluginFiles(folder))
	{
		PluginInfo info = PluginHost::instance().inspect(file, strict);
		for (const auto& name : info.names)
			if (info.ok && name == transport) return file;
	}
	return "";
}

} // namespace

ServeCommand::ServeCommand(Poco::Util::AbstractConfiguration& config, const Poco::Timestamp& processStart,
	std::vector<std::string> hostKeys):
	_config(config),
	_processStart(processStart),
	_hostKeys(std::move(hostKeys))
{
	blockTerminationSignals();
}

std::vector<std::string> ServeCommand::keys()
{
	return {"eventbus.http.address", "eventbus.http.port", "eventbus.serve.shutdownTimeoutMs"};
}

ServeCommand::~ServeCommand()
{
	stop();
}

void ServeCommand::start(std::ostream& out)
{
	Poco::Logger& logger = Poco::Logger::get("eventbus.serve");
	const std::string address = _config.getString("eventbus.http.address", "127.0.0.1");
	const int port = intKey(_config, "eventbus.http.port", 8080, 0, 65535);
	Poco::Net::IPAddress ip;
	if (!Poco::Net::IPAddress::tryParse(address, ip))
		throw ConfigException("eventbus.http.address: '" + address + "' is not an IP address");

	// The bus reads the application's configuration under a layer of the
	// values serve resolves itself, which win over every file and --define.
	_busConfig = new Poco::Util::LayeredConfiguration;
	_busConfig->add(Poco::Util::AbstractConfiguration::Ptr(&_config, true), 0);
	Poco::AutoPtr<Poco::Util::MapConfiguration> resolved(new Poco::Util::MapConfiguration);
	const std::string pluginsPath = _config.getString("eventbus.plugins.path", "");
	if (!pluginsPath.empty() && Poco::Path(pluginsPath).isRelative())
		resolved->setString("eventbus.plugins.path",
			Poco::Path(_config.getString("application.dir", "")).resolve(pluginsPath).toString());
	_busConfig->add(resolved, -1000);

	RecordingConfiguration::Ptr recorded(new RecordingConfiguration(*_busConfig));
	recorded->declare(keys());
	recorded->declare(_hostKeys);
	_bus.reset(new EventBus(*recorded));
	ConfigAudit::reportUnknownKeys(*recorded);
	const int drainMs = _bus->settings().drainTimeoutMs;
	_shutdownTimeoutMs = intKey(_config, "eventbus.serve.shutdownTimeoutMs", drainMs + 2000, 100, 600000);

	ServeInfo info;
	info.startTime = _processStart;
	info.transport = _bus->settings().transport;
	info.pluginFile = pluginFileFor(_bus->settings().pluginsPath, info.transport, _bus->settings().pluginsStrictModes);

	Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(ip, static_cast<Poco::UInt16>(port)));
	_port = socket.address().port();
	Poco::Net::HTTPServerParams::Ptr params(new Poco::Net::HTTPServerParams);
	// One request per connection: the connection goes back to nobody after
	// its answer. The timeout bounds both an idle connection and a slow request.
	params->setKeepAlive(false);
	params->setTimeout(Poco::Timespan(5, 0));
	_server.reset(new OperationsServer(socket, new OperationsEndpoints(*_bus, info), params, 4));
	_server->start();

	const std::string endpoint = socket.address().host().toString() + ":" + std::to_string(_port);
	logger.information("serving /health/live, /health/ready and /metrics on %s; transport %s (%s), env %s", endpoint,
		info.transport, info.pluginFile, _bus->settings().env);
	out << "listening on " << endpoint << std::endl;
}

int ServeCommand::stop()
{
	if (_stopped) return EXIT_SUCCESS;
	_stopped = true;
	Poco::Logger& logger = Poco::Logger::get("eventbus.serve");
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(_shutdownTimeoutMs);
	if (_server)
	{
		// No new connections; idle ones are closed, answers being written finish.
		_server->stop(deadline);
	}
	if (!_bus) return EXIT_SUCCESS;

	// close() waits for running handlers and lets the transport drain its
	// queues; never past the deadline.
	std::mutex mutex;
	std::condition_variable closed;
	bool done = false;
	EventBus* bus = _bus.get();
	std::thread closer([&]() {
		bus->close();
		std::lock_guard<std::mutex> lock(mutex);
		done = true;
		closed.notify_all();
	});
	bool inTime;
	{
		std::unique_lock<std::mutex> lock(mutex);
		inTime = closed.wait_until(lock, deadline, [&]() { return done; });
	}
	if (!inTime)
	{
		logger.critical("shutdown deadline of %d ms passed while draining the bus; exiting without waiting",
			_shutdownTimeoutMs);
		// The closer still uses the bus: leave without running any destructor.
		std::_Exit(Poco::Util::Application::EXIT_SOFTWARE);
	}
	closer.join();
	_bus.reset();
	logger.information("stopped");
	return EXIT_SUCCESS;
}

unsigned short ServeCommand::port() const
{
	return _port;
}

} // namespace eventbus
