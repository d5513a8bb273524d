//
// RecordingConfiguration.cpp
//
// The configuration view that records the keys its readers ask for.
//
#include "eventbus/RecordingConfiguration.h"
#include <Poco/Exception.h>

namespace eventbus {

RecordingConfiguration::RecordingConfiguration(const Poco::Util::AbstractConfiguration& inner): _inner(inner)
{
}

RecordingConfiguration::~RecordingConfiguration() = default;

const Poco::Util::AbstractConfiguration& RecordingConfiguration::inner() const
{
	return _inner;
}

void RecordingConfiguration::declare(const std::vector<std::string>& keys)
{
	std::lock_guard<std::mutex> lock(_mutex);
	_read.insert(keys.begin(), keys.end());
}

std::set<std::string> RecordingConfiguration::readKeys() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _read;
}

std::set<std::string> RecordingConfiguration::enumeratedPrefixes() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _enumerated;
}

bool RecordingConfiguration::isKnown(const std::string& key) const
{
	std::lock_guard<std::mutex> lock(_mutex);
	if (_read.count(key)) return true;
	const std::size_t dot = key.rfind('.');
	return dot != std::string::npos && _enumerated.count(key.substr(0, dot));
}

bool RecordingConfiguration::getRaw(const std::string& key, std::string& value) const
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_read.insert(key);
	}
	// The inner configuration's public, unexpanded read: expansion of
	// ${...} happens here, so references are looked up (and recorded) here too.
	if (!_inner.hasProperty(key)) return false;
	value = _inner.getRawString(key);
	return true;
}

void RecordingConfiguration::setRaw(const std::string& key, const std::string&)
{
	throw Poco::InvalidAccessException("configuration is read-only here: cannot set " + key);
}

void RecordingConfiguration::enumerate(const std::string& key, Keys& range) const
{
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_enumerated.insert(key);
	}
	_inner.keys(key, range);
}

void RecordingConfiguration::removeRaw(const std::string& key)
{
	throw Poco::InvalidAccessException("configuration is read-only here: cannot remove " + key);
}

} // namespace eventbus
