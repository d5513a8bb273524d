//
// AppServer.cpp
//
// A small Poco application server in the shape of a modular monolith: the
// bus is embedded as a subsystem (eventbus::EventBusSubsystem), configured
// from the application's own properties file under `eventbus.`, and two
// modules talk only through it:
//
//   POST /orders          orders module: publishes orders.created
//   GET  /orders/handled  fulfilment module: what it handled, per tenant
//
// Run it from the build tree: bin/eventbus-appserver [--define key=value]...
//
#include "FulfilmentModule.h"
#include "OrdersModule.h"
#include "eventbus/EventBusSubsystem.h"
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StringTokenizer.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <pthread.h>

namespace appserver {

namespace {

// Routes each request to the module that owns the path.
class Router: public Poco::Net::HTTPRequestHandlerFactory
{
public:
	Router(OrdersModule& orders, FulfilmentModule& fulfilment): _orders(orders), _fulfilment(fulfilment) {}

	Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& request) override
	{
		const std::string path = Poco::URI(request.getURI()).getPath();
		const std::string& method = request.getMethod();
		if (path == "/orders" && method == "POST")
			return new Call([this](auto& rq, auto& rs) { _orders.createOrder(rq, rs); });
		if (path == "/orders/handled" && method == "GET")
			return new Call([this](auto& rq, auto& rs) { _fulfilment.listHandled(rq, rs); });
		return new Call([](Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& rs) {
			rs.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NOT_FOUND);
			rs.setContentType("text/plain");
			rs.send() << "POST /orders or GET /orders/handled?tenant=T\n";
		});
	}

private:
	using Function = std::function<void(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse&)>;
	class Call: public Poco::Net::HTTPRequestHandler
	{
	public:
		explicit Call(Function f): _f(std::move(f)) {}
		void handleRequest(Poco::Net::HTTPServerRequest& rq, Poco::Net::HTTPServerResponse& rs) override { _f(rq, rs); }
	private:
		Function _f;
	};

	OrdersModule& _orders;
	FulfilmentModule& _fulfilment;
};

} // namespace

class AppServer: public Poco::Util::ServerApplication
{
public:
	AppServer()
	{
		setUnixOptions(true);
		// Initialized after the logging subsystem, uninitialized (bus closed)
		// after main() returned.
		addSubsystem(new eventbus::EventBusSubsystem);
	}

protected:
	void defineOptions(Poco::Util::OptionSet& options) override
	{
		ServerApplication::defineOptions(options);
		using Poco::Util::Option;
		options.addOption(Option("help", "h", "Show the options.").required(false).repeatable(false));
		options.addOption(Option("config", "c", "Properties file (default: eventbus-appserver.properties beside the executable).")
			.required(false).repeatable(false).argument("FILE"));
		options.addOption(Option("define", "D", "Set a configuration key; wins over the file. Repeatable.")
			.required(false).repeatable(true).argument("key=value"));
	}

	void handleOption(const std::string& name, const std::string& value) override
	{
		ServerApplication::handleOption(name, value);
		if (name == "help")
		{
			_helpRequested = true;
			stopOptionsProcessing();
		}
		else if (name == "config") _configFile = value;
		else if (name == "define")
		{
			std::size_t eq = value.find('=');
			if (eq == std::string::npos || eq == 0)
				throw Poco::InvalidArgumentException("--define: expected key=value, got '" + value + "'");
			// The application layer outranks every loaded file.
			config().setString(value.substr(0, eq), value.substr(eq + 1));
		}
	}

	void initialize(Poco::Util::Application& self) override
	{
		// Subsystems start threads (the bus's, the transport's): block the
		// termination signals first so that they inherit the mask and only
		// waitForTerminationRequest() receives SIGTERM / SIGINT.
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGQUIT);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set, nullptr);

		if (!_helpRequested)
		{
			// The bus configuration lives in this application's own file, under `eventbus.`.
			if (_configFile.empty()) loadConfiguration();
			else loadConfiguration(_configFile);
			if (!config().hasProperty("eventbus.plugins.path"))
				config().setString("eventbus.plugins.path", "${application.dir}../lib/eventbus/plugins");
		}
		ServerApplication::initialize(self);
	}

	int main(const std::vector<std::string>&) override
	{
		if (_helpRequested)
		{
			Poco::Util::HelpFormatter help(options());
			help.setUnixStyle(true);
			help.setCommand(commandName());
			help.setHeader("Two modules of a modular monolith talking through the event bus.");
			help.format(std::cout);
			return EXIT_OK;
		}
		Poco::Logger& log = Poco::Logger::get("appserver");
		eventbus::EventBus& bus = getSubsystem<eventbus::EventBusSubsystem>().bus();

		std::vector<std::string> tenants;
		Poco::StringTokenizer list(config().getString("appserver.tenants", "acme,globex"), ",",
			Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
		tenants.assign(list.begin(), list.end());
		FulfilmentModule fulfilment(bus, tenants, Poco::Logger::get("appserver.fulfilment"));
		OrdersModule orders(bus, Poco::Logger::get("appserver.orders"));

		Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(config().getString("appserver.http.address", "127.0.0.1"),
			static_cast<Poco::UInt16>(config().getInt("appserver.http.port", 8081))));
		Poco::Net::HTTPServerParams::Ptr params(new Poco::Net::HTTPServerParams);
		params->setMaxThreads(4);
		params->setKeepAlive(false);
		Poco::ThreadPool threads("appserver-http", 1, 4);
		Poco::Net::HTTPServer server(new Router(orders, fulfilment), threads, socket, params);
		server.start();
		log.information("listening on %s (transport %s, env %s)", socket.address().toString(),
			bus.settings().transport, bus.settings().env);

		waitForTerminationRequest();
		log.information("stopping");
		// Requests first (they use both modules), then the modules; the
		// subsystem closes the bus after main() returns.
		server.stopAll(false);
		threads.joinAll();
		return EXIT_OK;
	}

private:
	bool _helpRequested = false;
	std::string _configFile;
};

} // namespace appserver

POCO_SERVER_MAIN(appserver::AppServer)
