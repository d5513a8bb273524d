//
// PluginHostTestSupport.h
//
// What the PluginHost*Test parts of the PluginHostTest suite share: the
// paths of the real plugins and of the fixtures (build/fixtures), a refused
// load, the library whose code made an object, and plugin files copied into
// temporary folders of a chosen mode.
//
#pragma once

#include "UnitSupport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/PluginHost.h"
#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>
#include <algorithm>
#include <dlfcn.h>
#include <string>
#include <sys/stat.h>
#include <cppunit/extensions/HelperMacros.h>

namespace eventbus {
namespace test {

inline std::string memoryPlugin() { return pluginDir() + "/libeventbus_memory.so"; }
inline std::string loopbackPlugin() { return pluginDir() + "/libeventbus_loopback.so"; }
inline std::string fixture(const std::string& folder, const std::string& file) { return fixtureDir() + "/" + folder + "/" + file; }

inline std::string garbage() { return fixture("garbage", "garbage.so"); }
inline std::string notAPlugin() { return fixture("not-a-plugin", "libeventbus_notaplugin.so"); }
inline std::string wrongVersion() { return fixture("wrong-version", "libeventbus_wrongversion.so"); }
inline std::string abiMismatch() { return fixture("abi-mismatch", "libeventbus_abimismatch.so"); }
inline std::string throwing() { return fixture("throwing", "libeventbus_throwing.so"); }
inline std::string initThrows() { return fixture("init-throws", "libeventbus_initthrows.so"); }
inline std::string noVersion() { return fixture("no-version", "libeventbus_noversion.so"); }
inline std::string capabilityFolder() { return fixtureDir() + "/capability"; }
inline std::string capabilityPlugin() { return fixture("capability", "libeventbus_capability.so"); }
inline std::string capabilityAbi() { return fixture("capability-abi", "libeventbus_capabilityabi.so"); }

inline bool hasName(const PluginInfo& info, const std::string& name)
{
	return std::find(info.names.begin(), info.names.end(), name) != info.names.end();
}

/// load(file) must throw PluginException naming the file; returns the message.
inline std::string refusedLoad(const std::string& file)
{
	CPPUNIT_ASSERT_MESSAGE("fixture not built: " + file, Poco::File(file).exists());
	const std::string msg = expectThrow<PluginException>([&] { PluginHost::instance().load(file); }, file);
	CPPUNIT_ASSERT_MESSAGE("message does not name the file: " + msg, contains(msg, file));
	return msg;
}

/// The shared library whose code made `object` (the file of its vtable).
inline std::string libraryOf(const void* object)
{
	Dl_info info{};
	CPPUNIT_ASSERT(::dladdr(*reinterpret_cast<void* const*>(object), &info) != 0);
	return info.dli_fname ? info.dli_fname : "";
}

/// Copies `source` into the temporary folder `dir` (created with `mode`).
inline std::string copyInto(Poco::TemporaryFile& dir, const std::string& source, mode_t mode)
{
	dir.createDirectories();
	::chmod(dir.path().c_str(), mode);
	Poco::File(source).copyTo(dir.path());
	const std::string file = dir.path() + "/" + Poco::Path(source).getFileName();
	::chmod(file.c_str(), 0644);
	return file;
}

} // namespace test
} // namespace eventbus
