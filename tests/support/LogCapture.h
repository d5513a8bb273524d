//
// LogCapture.h
//
// What one Poco logger writes while a LogCapture lives.
//
#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <chrono>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

/// Captures what one logger writes while it lives. Create it before the bus
/// whose logger it captures and let it go after (Poco swaps channels unlocked).
class LogCapture
{
public:
	explicit LogCapture(const std::string& logger = "eventbus.transport.redis");
	~LogCapture();

	std::vector<std::string> lines() const;
	bool contains(const std::string& text) const;
	bool waitFor(const std::string& text, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) const;

private:
	class Sink;
	std::string _name;
	Poco::AutoPtr<Sink> _sink;
	Poco::AutoPtr<Poco::Channel> _previous;
	int _previousLevel = 0;
};

} // namespace test
} // namespace eventbus
