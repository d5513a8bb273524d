//
// EventBusApp.h
//
// The `eventbus` executable: one Poco::Util::ServerApplication with verbs.
//
#pragma once

#include "eventbus/EventBus.h"
#include <Poco/Util/ServerApplication.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace eventbus {

class EventBusApp: public Poco::Util::ServerApplication
{
public:
	/// Exit code of a publish written to the transport but not confirmed
	/// (OutcomeUnknownException): it may have been delivered (EX_PROTOCOL).
	static constexpr int ExitOutcomeUnknown = 76;

	/// The eventbus.* keys this executable reads itself, whatever the verb
	/// (a configuration file serves every verb).
	static std::vector<std::string> hostKeys();

	EventBusApp();

	/// Processes the options. With `--daemon` (serve), option processing is
	/// left to run(), after Poco has detached the process; errors then go to
	/// the log instead of stderr.
	void init(int argc, char** argv);

	/// Runs the verb and returns the exit code.
	int run() override;

	/// Maps an exception to the one-line reason and the exit code.
	int fail(const std::exception& exc, const std::string& verb);

protected:
	void defineOptions(Poco::Util::OptionSet& options) override;
	void handleOption(const std::string& name, const std::string& value) override;
	int main(const std::vector<std::string>& args) override;

private:
	void loadConfig();
	void usage() const;
	std::string option(const std::string& name, const std::string& defaultValue = "") const;
	int intOption(const std::string& name, int defaultValue) const;
	std::string requireOption(const std::string& name) const;
	/// The bus on the application's configuration; warns about (or, strict,
	/// refuses) eventbus.* keys that neither the bus, its transport nor this
	/// executable reads.
	std::unique_ptr<EventBus> openBus();

	int runPlugins();
	int runPublish();
	int runSubscribe();
	int runHealth();
	int runDemo();
	int runServe();

	bool _helpRequested = false;
	std::vector<std::string> _daemonArgs; // argv, when --daemon defers init to run()
	bool _daemonStarted = false;
	std::string _launchDir;               // working directory at launch, for relative paths
	std::string _configFile;
	std::string _env;
	std::map<std::string, std::string> _defines;
	std::map<std::string, std::string> _options;
};

/// `eventbus demo`: the whole mission on one screen (DemoCommand.cpp).
int runDemo(EventBus& bus, std::ostream& out);

} // namespace eventbus
