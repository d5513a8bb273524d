//
// ServeCommand.h
//
// `eventbus serve`: the bus on the configured transport, with its operations
// endpoints on HTTP, until a termination signal.
//
#pragma once

#include "OperationsEndpoints.h"
#include "eventbus/EventBus.h"
#include <Poco/Timestamp.h>
#include <Poco/AutoPtr.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace eventbus {

class OperationsServer; // OperationsServer.h

/// Keys (besides the bus's own):
///   eventbus.http.address            bind address (default 127.0.0.1)
///   eventbus.http.port               port (default 8080; 0 = any free port)
///   eventbus.serve.shutdownTimeoutMs deadline to stop after a signal
///                                    (default eventbus.delivery.drainTimeoutMs + 2000)
/// A relative eventbus.plugins.path is taken relative to ${application.dir}
/// (a daemon runs in /).
///
/// An open connection that has not sent a request holds no server thread:
/// one poller watches every idle connection (up to 1024, the oldest closed
/// first; each for at most 5 s) and hands a connection to one of 4 workers
/// only once its request starts to arrive. One request per connection.
class ServeCommand
{
public:
	/// Blocks SIGINT, SIGTERM and SIGQUIT in the calling thread, so that every
	/// thread started afterwards inherits the mask and only the thread waiting
	/// in ServerApplication::waitForTerminationRequest() receives them.
	/// `hostKeys`: eventbus.* keys the host reads elsewhere, known to the
	/// configuration audit besides keys().
	ServeCommand(Poco::Util::AbstractConfiguration& config, const Poco::Timestamp& processStart,
		std::vector<std::string> hostKeys = {});

	/// The keys listed above.
	static std::vector<std::string> keys();
	~ServeCommand();

	ServeCommand(const ServeCommand&) = delete;
	ServeCommand& operator=(const ServeCommand&) = delete;

	/// Builds the bus (warning about, or with eventbus.config.strict refusing,
	/// keys nobody reads), binds and starts the HTTP server and writes
	/// "listening on ADDRESS:PORT" to `out`. Throws ConfigException naming a bad
	/// key, the bus's exceptions, or Poco::Net exceptions when it cannot bind.
	void start(std::ostream& out);

	/// Stops accepting connections, closes the idle ones, lets the requests
	/// being answered finish, then
	/// closes the bus (draining in-flight deliveries), all within
	/// eventbus.serve.shutdownTimeoutMs. Returns the exit code: 0, or
	/// EXIT_SOFTWARE (70) when the deadline passed. Idempotent.
	int stop();

	/// The bound port, after start().
	unsigned short port() const;

private:
	Poco::Util::AbstractConfiguration& _config;
	Poco::Timestamp _processStart;
	std::vector<std::string> _hostKeys;
	Poco::AutoPtr<Poco::Util::LayeredConfiguration> _busConfig;
	std::unique_ptr<EventBus> _bus;
	std::unique_ptr<OperationsServer> _server;
	unsigned short _port = 0;
	int _shutdownTimeoutMs = 0;
	bool _stopped = false;
};

} // namespace eventbus
