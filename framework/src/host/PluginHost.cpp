//
// PluginHost.cpp
//
#include "eventbus/PluginHost.h"
#include "eventbus/Exceptions.h"
#include <Poco/ClassLoader.h>
#include <Poco/DirectoryIterator.h>
#include <Poco/File.h>
#include <Poco/Logger.h>
#include <Poco/Path.h>
#include <Poco/SharedLibrary.h>
#include <algorithm>
#include <map>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

namespace eventbus {

namespace {

using VersionFunc = int (*)();
const char* const VersionSymbol = "eventbusPluginApiVersion";

} // namespace

struct PluginHost::Impl
{
	std::mutex mutex;
	// Never destroyed: ~ClassLoader would delete the manifests of libraries
	// whose objects may still live in static storage at exit.
	Poco::ClassLoader<Transport>* loader = new Poco::ClassLoader<Transport>;
	std::map<std::string, PluginInfo> loaded;   // by canonical path, good or bad
	// Handles kept open on purpose: a library is never unloaded while the
	// process lives, so no object made from it can outlive its code.
	std::vector<Poco::SharedLibrary*> handles;

	PluginInfo loadLocked(const std::string& file);
};

PluginHost::PluginHost():
	_impl(new Impl)
{
}

PluginHost& PluginHost::instance()
{
	// Leaked on purpose, for the same reason as the loader.
	static PluginHost* host = new PluginHost;
	return *host;
}

std::vector<std::string> PluginHost::pluginFiles(const std::string& folder)
{
	Poco::File dir(folder);
	if (!dir.exists() || !dir.isDirectory())
		throw PluginException("eventbus.plugins.path: folder '" + folder + "' does not exist");
	std::vector<std::string> files;
	for (Poco::DirectoryIterator it(dir), end; it != end; ++it)
	{
		Poco::Path path(it->path());
		if (path.getExtension() == "so" && it->isFile()) files.push_back(path.toString());
	}
	std::sort(files.begin(), files.end());
	return files;
}

PluginInfo PluginHost::Impl::loadLocked(const std::string& file)
{
	std::string path = Poco::Path(file).absolute().toString();
	auto known = loaded.find(path);
	if (known != loaded.end()) return known->second;

	PluginInfo info;
	info.file = path;
	auto reject = [&](const std::string& reason) {
		info.ok = false;
		info.reason = reason;
		loaded[path] = info;
		return info;
	};

	if (!Poco::File(path).exists()) 
	{
		// Not remembered: the file may appear later.
		info.reason = "file does not exist";
		return info;
	}

	// The version is checked with the library opened locally, before Poco's
	// ClassLoader makes its symbols global and before any object exists.
	Poco::SharedLibrary* probe = nullptr;
	try
	{
		probe = new Poco::SharedLibrary(path, Poco::SharedLibrary::SHLIB_LOCAL);
	}
	catch (Poco::Exception& exc)
	{
		return reject("not a loadable shared library (" + exc.message() + ")");
	}
	handles.push_back(probe);
	if (!probe->hasSymbol(VersionSymbol))
		return reject("not an eventbus plugin (no " + std::string(VersionSymbol) + " symbol)");
	int version = reinterpret_cast<VersionFunc>(probe->getSymbol(VersionSymbol))();
	info.apiVersion = version;
	if (version != EVENTBUS_PLUGIN_API_VERSION)
		return reject("plugin API version " + std::to_string(version) + ", this host speaks version "
			+ std::to_string(EVENTBUS_PLUGIN_API_VERSION));

	try
	{
		loader->loadLibrary(path);
	}
	catch (Poco::Exception& exc)
	{
		std::string what = exc.message();
		if (what.find("Manifest class mismatch") != std::string::npos)
			return reject("manifest is not for eventbus::abi_v1::Transport (built against another plugin ABI)");
		if (what.find("No manifest") != std::string::npos)
			return reject("no Poco manifest (pocoBuildManifest missing)");
		return reject("failed to load: " + exc.displayText());
	}
	catch (std::exception& exc)
	{
		return reject(std::string("initialisation threw: ") + exc.what());
	}
	catch (...)
	{
		return reject("initialisation threw an unknown exception");
	}
	const Poco::Manifest<Transport>* manifest = loader->findManifest(path);
	if (manifest)
		for (auto it = manifest->begin(); it != manifest->end(); ++it)
			info.names.push_back(it->name());
	if (info.names.empty())
		return reject("manifest exports no transport");
	info.ok = true;
	loaded[path] = info;
	return info;
}

std::string PluginHost::trustProblem(const std::string& file)
{
	std::string path = Poco::Path(file).absolute().toString();
	struct stat fileStat{};
	if (::stat(path.c_str(), &fileStat) != 0) return {}; // a missing file is reported as such
	const uid_t self = ::geteuid();
	if (fileStat.st_uid != 0 && fileStat.st_uid != self)
		return "untrusted: owned by uid " + std::to_string(fileStat.st_uid) + ", neither root nor the running user"
			" (eventbus.plugins.strictModes=false overrides)";
	if (fileStat.st_mode & S_IWOTH)
		return "untrusted: the file is world-writable (eventbus.plugins.strictModes=false overrides)";
	std::string folder = Poco::Path(path).parent().toString();
	struct stat dirStat{};
	if (::stat(folder.c_str(), &dirStat) == 0)
	{
		if ((dirStat.st_mode & S_IWOTH) && !(dirStat.st_mode & S_ISVTX))
			return "untrusted: its folder is world-writable (eventbus.plugins.strictModes=false overrides)";
		if (dirStat.st_uid != 0 && dirStat.st_uid != self)
			return "untrusted: its folder is owned by uid " + std::to_string(dirStat.st_uid)
				+ ", neither root nor the running user (eventbus.plugins.strictModes=false overrides)";
	}
	return {};
}

PluginInfo PluginHost::inspect(const std::string& file, bool strict)
{
	if (strict)
	{
		std::string problem = trustProblem(file);
		if (!problem.empty())
		{
			PluginInfo info;
			info.file = Poco::Path(file).absolute().toString();
			info.reason = problem;
			return info;
		}
	}
	std::lock_guard<std::mutex> lock(_impl->mutex);
	return _impl->loadLocked(file);
}

PluginInfo PluginHost::load(const std::string& file, bool strict)
{
	PluginInfo info = inspect(file, strict);
	if (!info.ok)
		throw PluginException("plugin " + info.file + ": " + info.reason);
	return info;
}

std::shared_ptr<Transport> PluginHost::createFromFile(const std::string& file, const std::string& name, bool strict)
{
	PluginInfo info = load(file, strict);
	if (std::find(info.names.begin(), info.names.end(), name) == info.names.end())
		throw PluginException("plugin " + info.file + ": provides no transport named '" + name + "'");
	Transport* transport = nullptr;
	try
	{
		std::lock_guard<std::mutex> lock(_impl->mutex);
		// From this file's own manifest: two files may export one name.
		const Poco::Manifest<Transport>* manifest = _impl->loader->findManifest(info.file);
		if (!manifest)
			throw PluginException("plugin " + info.file + ": not loaded");
		auto meta = manifest->find(name);
		if (meta == manifest->end())
			throw PluginException("plugin " + info.file + ": provides no transport named '" + name + "'");
		transport = meta->create();
	}
	catch (PluginException&)
	{
		throw;
	}
	catch (Poco::Exception& exc)
	{
		throw PluginException("plugin " + info.file + ": constructor of transport '" + name + "' threw: " + exc.displayText());
	}
	catch (std::exception& exc)
	{
		throw PluginException("plugin " + info.file + ": constructor of transport '" + name + "' threw: " + exc.what());
	}
	catch (...)
	{
		throw PluginException("plugin " + info.file + ": constructor of transport '" + name + "' threw an unknown exception");
	}
	if (!transport)
		throw PluginException("plugin " + info.file + ": transport '" + name + "' could not be created");
	return std::shared_ptr<Transport>(transport);
}

std::shared_ptr<Transport> PluginHost::create(const std::string& folder, const std::string& name, bool strict)
{
	if (folder.empty())
		throw PluginException("eventbus.plugins.path: not set; it must name the folder of the transport plugins");
	std::vector<std::string> rejected;
	std::vector<std::string> available;
	std::string provider;
	for (const auto& file : pluginFiles(folder))
	{
		PluginInfo info = inspect(file, strict);
		if (!info.ok)
		{
			rejected.push_back(Poco::Path(file).getFileName() + ": " + info.reason);
			Poco::Logger::get("eventbus.plugins").warning("skipping plugin %s: %s", info.file, info.reason);
			continue;
		}
		for (const auto& n : info.names)
		{
			available.push_back(n);
			if (n == name && provider.empty()) provider = file;
		}
	}
	if (provider.empty())
	{
		std::string message = "eventbus.transport: no plugin in '" + folder + "' provides transport '" + name + "'";
		message += "; available: ";
		for (std::size_t i = 0; i < available.size(); ++i) message += (i ? ", " : "") + available[i];
		if (available.empty()) message += "none";
		if (!rejected.empty())
		{
			message += "; rejected: ";
			for (std::size_t i = 0; i < rejected.size(); ++i) message += (i ? "; " : "") + rejected[i];
		}
		throw PluginException(message);
	}
	return createFromFile(provider, name, strict);
}

} // namespace eventbus
