//
// EventBusApp.h
//
// The `eventbus` executable: one Poco::Util::Application with verbs.
//
#pragma once

#include "eventbus/EventBus.h"
#include <Poco/Util/Application.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace eventbus {

class EventBusApp: public Poco::Util::Application
{
public:
	EventBusApp();

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

	int runPlugins();
	int runPublish();
	int runSubscribe();
	int runHealth();
	int runDemo();

	bool _helpRequested = false;
	std::string _configFile;
	std::string _env;
	std::map<std::string, std::string> _defines;
	std::map<std::string, std::string> _options;
};

/// `eventbus demo`: the whole mission on one screen (DemoCommand.cpp).
int runDemo(EventBus& bus, std::ostream& out);

} // namespace eventbus
