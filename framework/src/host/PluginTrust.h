//
// PluginTrust.h
//
// The plugin folder's StrictModes check (eventbus.plugins.strictModes):
// who may write a plugin file, judged on the file a path resolves to.
// Internal to libeventbus; PluginHost::trustProblem is the public face.
//
#pragma once

#include <string>

namespace eventbus {

/// Decides whether a plugin file may be opened because of who may write it.
class PluginTrust
{
public:
	/// What `path` (absolute) names once every symbolic link is followed
	/// (realpath); empty when it does not exist.
	static std::string resolve(const std::string& path);

	/// Why the file `path`, which resolves to `resolved`, may not be opened,
	/// or empty: the target must be owned by root or the running user and not
	/// world-writable; the target's folder, and for a link the link's folder
	/// too, not world-writable unless sticky nor owned by another user. Every
	/// reason names the folder and, for a link, both paths. Empty when
	/// `resolved` is empty (the missing file is reported as such).
	static std::string problem(const std::string& path, const std::string& resolved);

private:
	static std::string folderProblem(const std::string& folder);
};

} // namespace eventbus
