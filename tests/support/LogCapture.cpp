//
// LogCapture.cpp
//
#include "LogCapture.h"
#include "TestSupport.h"
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <mutex>

namespace eventbus {
namespace test {

class LogCapture::Sink : public Poco::Channel
{
public:
	void log(const Poco::Message& message) override
	{
		std::lock_guard<std::mutex> lock(mutex);
		lines.push_back(message.getText());
	}
	mutable std::mutex mutex;
	std::vector<std::string> lines;
};

LogCapture::LogCapture(const std::string& logger)
	: _name(logger)
	, _sink(new Sink)
{
	Poco::Logger& target = Poco::Logger::get(_name);
	_previous = Poco::AutoPtr<Poco::Channel>(target.getChannel(), true);
	_previousLevel = target.getLevel();
	target.setChannel(_sink);
	target.setLevel(Poco::Message::PRIO_DEBUG);
}

LogCapture::~LogCapture()
{
	Poco::Logger& target = Poco::Logger::get(_name);
	target.setChannel(_previous);
	target.setLevel(_previousLevel);
}

std::vector<std::string> LogCapture::lines() const
{
	std::lock_guard<std::mutex> lock(_sink->mutex);
	return _sink->lines;
}

bool LogCapture::contains(const std::string& text) const
{
	for (const auto& line : lines())
	{
		if (line.find(text) != std::string::npos)
			return true;
	}
	return false;
}

bool LogCapture::waitFor(const std::string& text, std::chrono::milliseconds timeout) const
{
	return waitUntil([&]() { return contains(text); }, timeout);
}

} // namespace test
} // namespace eventbus
