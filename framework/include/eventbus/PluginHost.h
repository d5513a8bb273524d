//
// PluginHost.h
//
// Discovers and loads transport plugins through Poco::ClassLoader, and hands
// out the transports and capabilities they export.
//
#pragma once

#include "eventbus/Capability.h"
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
	std::vector<std::string> capabilities; ///< "{transport}/{capability}" names it provides
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
	/// (unless sticky) nor owned by another user. A symbolic link is judged
	/// by what it resolves to (realpath): the target file and the target's
	/// folder, and the link's own folder too; the host then opens the target.
	static std::string trustProblem(const std::string& file);

	/// Loads one file (once per process) and reports what it provides; a bad
	/// file yields ok = false and a reason, never an exception. With `strict`,
	/// an untrusted file (trustProblem) is refused without being opened.
	PluginInfo inspect(const std::string& file, bool strict = true);

	/// Loads one file; throws PluginException naming the file and the reason:
	/// missing file, not a plugin, another API version, manifest mismatch
	/// (of the transports' or of the capabilities' manifest), initialisation
	/// failure.
	PluginInfo load(const std::string& file, bool strict = true);

	/// Creates the transport `name` from the plugins of `folder`. Bad files
	/// are skipped (and logged); throws PluginException when no plugin provides
	/// the name (listing the rejected files) or when its constructor throws.
	std::shared_ptr<Transport> create(const std::string& folder, const std::string& name, bool strict = true);

	/// Creates the transport `name` from one file.
	std::shared_ptr<Transport> createFromFile(const std::string& file, const std::string& name, bool strict = true);

	/// Creates the capability `capability` of the transport `transport`
	/// (registered as "{transport}/{capability}") from the file of `folder`
	/// that provides the transport, the one create() would use. Null when that
	/// file exports no such capability. Throws PluginException as create()
	/// when no plugin provides the transport, or when the capability's
	/// constructor throws. Like a transport, it never outlives its code: the
	/// library stays loaded for the life of the process.
	std::shared_ptr<Capability> createCapability(const std::string& folder, const std::string& transport,
		const std::string& capability, bool strict = true);

	/// createCapability() as the interface T (TenantAccessAdmin, ...); throws
	/// PluginException when the capability exported under that name is not a T.
	template <class T>
	std::shared_ptr<T> capability(const std::string& folder, const std::string& transport,
		const std::string& capability, bool strict = true)
	{
		std::shared_ptr<Capability> any = createCapability(folder, transport, capability, strict);
		if (!any) return nullptr;
		std::shared_ptr<T> typed = std::dynamic_pointer_cast<T>(any);
		if (!typed) throwWrongInterface(transport, capability);
		return typed;
	}

private:
	PluginHost();
	[[noreturn]] static void throwWrongInterface(const std::string& transport, const std::string& capability);
	std::string providerOf(const std::string& folder, const std::string& transport, bool strict);
	struct Impl;
	std::unique_ptr<Impl> _impl;
};

} // namespace eventbus
