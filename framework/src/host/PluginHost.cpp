//
// PluginHost.cpp
//
// Loading plugin files (version first, then the transports' and the
// capabilities' manifests) and creating transports and capabilities from
// the file that provides a transport. The trust check is PluginTrust's.
//
#include "eventbus/PluginHost.h"
#include "PluginTrust.h"
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

namespace eventbus {

namespace {

using VersionFunc = int (*)();
using BuildManifestFunc = bool (*)(Poco::ManifestBase*);
const char* const VersionSymbol = "eventbusPluginApiVersion";
const std::string CapabilitySymbol = std::string("pocoBuildManifest") + EVENTBUS_CAPABILITY_MANIFEST;
std::string absolutePath(const std::string& file)
{
	return Poco::Path(file).absolute().toString();
}

} // namespace

struct PluginHost::Impl
{
	std::mutex mutex;
	// Never destroyed: ~ClassLoader would delete the manifests of libraries
	// whose objects may still live in static storage at exit.
	Poco::ClassLoader<Transport>* loader = new Poco::ClassLoader<Transport>;
	std::map<std::string, PluginInfo> loaded;   // by absolute path, good or bad
	std::map<std::string, std::string> opened;  // absolute path -> the resolved file opened
	// The capabilities' manifests, by resolved file; never destroyed either.
	std::map<std::string, Poco::Manifest<Capability>*> capabilities;
	// Handles kept open on purpose: a library is never unloaded while the
	// process lives, so no object made from it can outlive its code.
	std::vector<Poco::SharedLibrary*> handles;

	PluginInfo loadLocked(const std::string& path, const std::string& resolved);
	std::string loadCapabilities(Poco::SharedLibrary& library, const std::string& resolved, PluginInfo& info);
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

PluginInfo PluginHost::Impl::loadLocked(const std::string& path, const std::string& resolved)
{
	auto known = loaded.find(path);
	if (known != loaded.end()) return known->second;

	PluginInfo info;
	info.file = path;
	auto reject = [&](const std::string& reason) {
		info.ok = false;
		info.reason = reason;
		info.names.clear();
		info.capabilities.clear();
		loaded[path] = info;
		return info;
	};

	if (resolved.empty() || !Poco::File(resolved).exists())
	{
		// Not remembered: the file may appear later.
		info.reason = "file does not exist";
		return info;
	}

	// The version is checked with the library opened locally, before Poco's
	// ClassLoader makes its symbols global and before any object exists. The
	// resolved file is opened, the one the trust check judged, not the link.
	Poco::SharedLibrary* probe = nullptr;
	try
	{
		probe = new Poco::SharedLibrary(resolved, Poco::SharedLibrary::SHLIB_LOCAL);
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
		return reject("built for plugin API " + std::to_string(version) + ", this host speaks "
			+ std::to_string(EVENTBUS_PLUGIN_API_VERSION) + "; rebuild it against this eventbus SDK");

	try
	{
		loader->loadLibrary(resolved);
	}
	catch (Poco::Exception& exc)
	{
		std::string what = exc.message();
		if (what.find("Manifest class mismatch") != std::string::npos)
			return reject("its transports' manifest is not for eventbus::abi_v" + std::to_string(EVENTBUS_PLUGIN_API_VERSION)
				+ "::Transport: built for another plugin API, this host speaks " + std::to_string(EVENTBUS_PLUGIN_API_VERSION)
				+ " (Manifest class mismatch)");
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
	opened[path] = resolved;
	const Poco::Manifest<Transport>* manifest = loader->findManifest(resolved);
	if (manifest)
		for (auto it = manifest->begin(); it != manifest->end(); ++it)
			info.names.push_back(it->name());
	if (info.names.empty())
		return reject("manifest exports no transport");
	std::string problem = loadCapabilities(*probe, resolved, info);
	if (!problem.empty())
		return reject(problem);
	info.ok = true;
	loaded[path] = info;
	return info;
}

std::string PluginHost::Impl::loadCapabilities(Poco::SharedLibrary& library, const std::string& resolved, PluginInfo& info)
{
	// Optional: a plugin without the named manifest has no capability. Built
	// through the handle already open rather than a second ClassLoader, which
	// would run pocoInitializeLibrary once more.
	if (!library.hasSymbol(CapabilitySymbol))
		return {};
	auto known = capabilities.find(resolved);
	Poco::Manifest<Capability>* manifest = known == capabilities.end() ? nullptr : known->second;
	if (!manifest)
	{
		std::unique_ptr<Poco::Manifest<Capability>> built(new Poco::Manifest<Capability>);
		bool matches = false;
		try
		{
			matches = reinterpret_cast<BuildManifestFunc>(library.getSymbol(CapabilitySymbol))(built.get());
		}
		catch (std::exception& exc)
		{
			return std::string("building its capabilities' manifest threw: ") + exc.what();
		}
		catch (...)
		{
			return "building its capabilities' manifest threw an unknown exception";
		}
		if (!matches)
			return "its capabilities' manifest is not for eventbus::abi_v" + std::to_string(EVENTBUS_PLUGIN_API_VERSION)
				+ "::Capability: built for another plugin API, this host speaks "
				+ std::to_string(EVENTBUS_PLUGIN_API_VERSION) + " (Manifest class mismatch)";
		manifest = built.release();
		capabilities[resolved] = manifest;
	}
	for (auto it = manifest->begin(); it != manifest->end(); ++it)
	{
		const std::string name = it->name();
		const std::string transport = name.substr(0, name.find('/'));
		if (name.find('/') == std::string::npos
			|| std::find(info.names.begin(), info.names.end(), transport) == info.names.end())
			return "capability '" + name + "' is not named {transport}/{capability} for a transport of this file";
		info.capabilities.push_back(name);
	}
	return {};
}

std::string PluginHost::trustProblem(const std::string& file)
{
	const std::string path = absolutePath(file);
	return PluginTrust::problem(path, PluginTrust::resolve(path));
}

PluginInfo PluginHost::inspect(const std::string& file, bool strict)
{
	// Resolved once: the file judged is the file opened.
	const std::string path = absolutePath(file);
	const std::string resolved = PluginTrust::resolve(path);
	if (strict)
	{
		std::string problem = PluginTrust::problem(path, resolved);
		if (!problem.empty())
		{
			PluginInfo info;
			info.file = path;
			info.reason = problem;
			return info;
		}
	}
	std::lock_guard<std::mutex> lock(_impl->mutex);
	return _impl->loadLocked(path, resolved);
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
	const Poco::AbstractMetaObject<Transport>* meta = nullptr;
	{
		std::lock_guard<std::mutex> lock(_impl->mutex);
		// From this file's own manifest: two files may export one name.
		auto opened = _impl->opened.find(info.file);
		const Poco::Manifest<Transport>* manifest =
			opened == _impl->opened.end() ? nullptr : _impl->loader->findManifest(opened->second);
		if (!manifest)
			throw PluginException("plugin " + info.file + ": not loaded");
		auto found = manifest->find(name);
		if (found == manifest->end())
			throw PluginException("plugin " + info.file + ": provides no transport named '" + name + "'");
		meta = *found;
	}
	// Outside the lock: the plugin's constructor is its code, and manifests
	// are never destroyed.
	Transport* transport = nullptr;
	try
	{
		transport = meta->create();
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

std::string PluginHost::providerOf(const std::string& folder, const std::string& name, bool strict)
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
	return provider;
}

std::shared_ptr<Transport> PluginHost::create(const std::string& folder, const std::string& name, bool strict)
{
	return createFromFile(providerOf(folder, name, strict), name, strict);
}

std::shared_ptr<Capability> PluginHost::createCapability(const std::string& folder, const std::string& transport,
	const std::string& capability, bool strict)
{
	const PluginInfo info = load(providerOf(folder, transport, strict), strict);
	const std::string name = Capability::fullName(transport, capability);
	if (std::find(info.capabilities.begin(), info.capabilities.end(), name) == info.capabilities.end())
		return nullptr;
	const Poco::AbstractMetaObject<Capability>* meta = nullptr;
	{
		std::lock_guard<std::mutex> lock(_impl->mutex);
		auto opened = _impl->opened.find(info.file);
		auto manifest = opened == _impl->opened.end() ? _impl->capabilities.end() : _impl->capabilities.find(opened->second);
		if (manifest == _impl->capabilities.end())
			return nullptr;
		auto found = manifest->second->find(name);
		if (found == manifest->second->end())
			return nullptr;
		meta = *found;
	}
	Capability* made = nullptr;
	try
	{
		made = meta->create();
	}
	catch (Poco::Exception& exc)
	{
		throw PluginException("plugin " + info.file + ": constructor of capability '" + name + "' threw: " + exc.displayText());
	}
	catch (std::exception& exc)
	{
		throw PluginException("plugin " + info.file + ": constructor of capability '" + name + "' threw: " + exc.what());
	}
	catch (...)
	{
		throw PluginException("plugin " + info.file + ": constructor of capability '" + name + "' threw an unknown exception");
	}
	if (!made)
		throw PluginException("plugin " + info.file + ": capability '" + name + "' could not be created");
	return std::shared_ptr<Capability>(made);
}

void PluginHost::throwWrongInterface(const std::string& transport, const std::string& capability)
{
	throw PluginException("plugin capability '" + Capability::fullName(transport, capability)
		+ "' does not implement the interface of that capability (built against another eventbus SDK?)");
}

} // namespace eventbus
