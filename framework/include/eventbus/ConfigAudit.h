//
// ConfigAudit.h
//
// Checks a configuration's eventbus.* keys: values whose ${...} cannot be
// expanded, and keys nobody reads (misspelt or unknown).
//
#pragma once

#include "eventbus/RecordingConfiguration.h"
#include <Poco/Util/AbstractConfiguration.h>
#include <string>
#include <vector>

namespace eventbus {

/// How a bus (or a host) audits the configuration it starts from:
///
///     ConfigAudit audit(config);           // checkValues(config)
///     read everything through audit.config(), start the transport with it
///     audit.finish();                      // reportUnknownKeys
///
/// A host that reads keys of its own passes the bus a RecordingConfiguration
/// it made; the audit then only records into it, and the host calls
/// reportUnknownKeys() itself once it has read its own keys.
class ConfigAudit
{
public:
	/// Turns eventbus.config.strict on: an unknown key is a ConfigException.
	static const std::string StrictKey;

	/// Runs checkValues(config).
	explicit ConfigAudit(const Poco::Util::AbstractConfiguration& config);

	/// What the bus reads through: `config` itself when it is a
	/// RecordingConfiguration, else a RecordingConfiguration of it.
	const Poco::Util::AbstractConfiguration& config() const;

	/// reportUnknownKeys(), unless a host owns the recording.
	void finish() const;

	/// Expands every eventbus.* value. Throws ConfigException naming the key
	/// for a circular ${...} reference, and for a ${system.env.NAME} left
	/// unexpanded ("KEY: environment variable NAME is not set").
	static void checkValues(const Poco::Util::AbstractConfiguration& config);

	/// The eventbus.* keys of used.inner() that no reader of `used` asked
	/// for, sorted. Keys under eventbus.NAME. where NAME is a transport of
	/// the plugins folder other than eventbus.transport belong to a transport
	/// not running here, and are not checked; a NAME with dashes also owns
	/// its dotted form (redis-streams: eventbus.redis.streams.). A namespace
	/// the running transport's own keys lie under (eventbus.redis. when
	/// running redis-streams) is checked.
	static std::vector<std::string> unknownKeys(const RecordingConfiguration& used);

	/// The candidate nearest to `key` by edit distance (ignoring case), or
	/// empty when none is close enough to be a likely misspelling.
	static std::string nearestKey(const std::string& key, const std::vector<std::string>& candidates);

	/// Warns (logger eventbus.config) once per process and unknown key,
	/// naming the nearest known key ("did you mean ...?"); with
	/// eventbus.config.strict=true throws ConfigException listing them.
	static void reportUnknownKeys(const RecordingConfiguration& used);

private:
	RecordingConfiguration::Ptr _recorded;
	bool _hostReports = false;
};

} // namespace eventbus
