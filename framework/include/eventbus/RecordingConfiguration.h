//
// RecordingConfiguration.h
//
// A read-only view of a configuration that remembers which keys were asked
// for, so that a key nobody asked for can be reported as unknown.
//
#pragma once

#include <Poco/AutoPtr.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace eventbus {

/// Forwards every read to the configuration it wraps and records the key:
/// a lookup counts whether the key exists or not (hasProperty of an absent
/// key still makes it a known key), and enumerating `prefix` (keys()) makes
/// every direct child `prefix.x` known. Writes are refused
/// (Poco::InvalidAccessException). Thread-safe; the wrapped configuration
/// must outlive this object.
class RecordingConfiguration: public Poco::Util::AbstractConfiguration
{
public:
	using Ptr = Poco::AutoPtr<RecordingConfiguration>;

	explicit RecordingConfiguration(const Poco::Util::AbstractConfiguration& inner);

	/// The configuration this one reads from.
	const Poco::Util::AbstractConfiguration& inner() const;

	/// Marks keys as known that the host reads through another path (for
	/// example keys only some verbs of a command read).
	void declare(const std::vector<std::string>& keys);

	/// Every key read or declared so far (also absent ones), sorted.
	std::set<std::string> readKeys() const;

	/// Every prefix enumerated so far.
	std::set<std::string> enumeratedPrefixes() const;

	/// True when `key` was read or declared, or its parent enumerated.
	bool isKnown(const std::string& key) const;

protected:
	bool getRaw(const std::string& key, std::string& value) const override;
	void setRaw(const std::string& key, const std::string& value) override;
	void enumerate(const std::string& key, Keys& range) const override;
	void removeRaw(const std::string& key) override;
	~RecordingConfiguration() override;

private:
	const Poco::Util::AbstractConfiguration& _inner;
	mutable std::mutex _mutex;
	mutable std::set<std::string> _read;
	mutable std::set<std::string> _enumerated;
};

} // namespace eventbus
