//
// PluginHost.h
//
// Discovers and loads transport plugins through Poco::ClassLoader.
//
#pragma once

#include "eventbus/Transport.h"
#include <memory>
#include <string>
#include <vector>

namespace eventbus {

/// What the host knows of one file in the plugins folder.
struct PluginInfo
{
	std::string file;                ///< full path
	std::vector<std::string> names;  ///< transport names it provides (empty if unusable)
	int apiVersion = 0;              ///< 0 when unknown
	bool ok = false;
	std::string reason;              ///< why it is unusable, when !ok
};

/// Process-wide plugin host. Libraries are loaded once and never unloaded
/// for the life of the process, so no object made from a plugin can outlive
/// its code.
class PluginHost
{
public:
	static PluginHost& instance();

	/// The `*.so` files of a folder, sorted; throws PluginException if the
	/// folder does not exist.
	static std::vector<std::string> pluginFiles(const std::string& folder);

	/// Why a file may not be loaded because of who may write it, or empty:
	/// like sshd's StrictModes, the file must be owned by root or the running
	/// user and not writable by others, and its folder not writable by others
	/// (unless sticky) nor owned by another user.
	static std::string trustProblem(const std::string& file);

	/// Loads one file (once per process) and reports what it provides; a bad
	/// file yields ok = false and a reason, never an exception. With `strict`,
	/// an untrusted file (trustProblem) is refused without being opened.
	PluginInfo inspect(const std::string& file, bool strict = true);

	/// Loads one file; throws PluginException naming the file and the reason:
	/// missing file, not a plugin, another API version, manifest mismatch,
	/// initialisation failure.
	PluginInfo load(const std::string& file, bool strict = true);

	/// Creates the transport `name` from the plugins of `folder`. Bad files
	/// are skipped (and logged); throws PluginException when no plugin provides
	/// the name (listing the rejected files) or when its constructor throws.
	std::shared_ptr<Transport> create(const std::string& folder, const std::string& name, bool strict = true);

	/// Creates the transport `name` from one file.
	std::shared_ptr<Transport> createFromFile(const std::string& file, const std::string& name, bool strict = true);

private:
	PluginHost();
	struct Impl;
	std::unique_ptr<Impl> _impl;
};

} // namespace eventbus
