//
// RedisProcess.h
//
// How RedisServer and TlsRedisServer run their redis-server child: launched
// through sh with its output in a file, killed with this process, on a free
// loopback port (retried when taken), stopped and its folder removed quietly.
//
#pragma once

#include <Poco/File.h>
#include <Poco/Process.h>
#include <functional>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

/// Starts redis-server with `args` through sh, so its stdout and stderr (which
/// it would otherwise inherit: ctest's pipes) go to a file in `dir`; `exec`
/// keeps the pid. setpriv makes the kernel kill the server if this process
/// dies without stopping it.
Poco::ProcessHandle launchRedisServer(const std::string& dir, std::vector<std::string> args);

/// SIGTERM, SIGKILL if it has not exited within 5 s, then reaps it.
void terminateServer(Poco::ProcessHandle& process, Poco::Process::PID pid);

/// The last 2000 bytes of the server's log in `dir`.
std::string redisLogTail(const std::string& dir);

/// Makes a fresh folder in `dir` and calls `start` with a free loopback port
/// in `port`: a port picked free may be taken before redis binds it, so up to
/// three ports are tried. The folder is removed when every try failed.
void startOnFreePort(std::string& dir, unsigned short& port, const std::function<void()>& start);

/// For destructors: stop the server, remove its folder, never throw.
template <class Server>
void disposeQuietly(Server& server, const std::string& dir)
{
	try
	{
		server.stop();
	}
	catch (...)
	{
	}
	try
	{
		Poco::File(dir).remove(true);
	}
	catch (...)
	{
	}
}

/// `path` if it exists, else `name` (found on PATH).
std::string executable(const std::string& path, const std::string& name);

} // namespace test
} // namespace eventbus
