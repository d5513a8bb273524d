//
// RedisServer.h
//
// A redis-server of the suites' own on a free loopback port (kill, pause,
// resume, restart on the same port), also used by bench/.
//
// For the suites, this header also brings in every other redis helper of
// tests/support (one class per file); new code may include only what it uses.
//
#pragma once

#include "RedisValue.h"
#include <Poco/Process.h>
#include <memory>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

/// A redis-server child process on 127.0.0.1 and a port of its own. Its
/// output goes to a log file in a temporary folder, and the kernel kills it if
/// the thread that started it dies (setpriv --pdeathsig): create and restart
/// it from the test's own thread, never from a short-lived helper thread.
class RedisServer
{
public:
	/// Starts `redis-server --save '' --appendonly no --bind 127.0.0.1 --port N`
	/// plus `extraArgs`, and waits until it answers PING. With a password the
	/// server requires it (--requirepass) and command() authenticates.
	explicit RedisServer(const std::vector<std::string>& extraArgs = {}, const std::string& password = "");
	/// Stops the server (SIGCONT first if paused).
	~RedisServer();

	RedisServer(const RedisServer&) = delete;
	RedisServer& operator=(const RedisServer&) = delete;

	std::string host() const { return "127.0.0.1"; }
	unsigned short port() const { return _port; }
	/// redis://127.0.0.1:N/0, or redis://:password@127.0.0.1:N/0 with a password.
	std::string url() const;
	/// host:port as the transport names it in messages.
	std::string endpoint() const;

	void kill();     ///< SIGKILL, and waits for the process to exit
	void pause();    ///< SIGSTOP: the kernel still completes TCP handshakes
	void resume();   ///< SIGCONT
	void restart();  ///< kill() if running, then start on the same port
	void stop();     ///< SIGTERM (SIGKILL after a deadline)
	bool running() const { return _pid != 0; }

	/// A command on a fresh connection (authenticated when a password is set).
	RedisValue command(const std::vector<std::string>& argv) const;
	/// A numeric field of INFO (e.g. total_connections_received).
	long long info(const std::string& field) const;
	/// PUBSUB NUMSUB channel.
	long long subscribers(const std::string& channel) const;
	/// Last lines of the server's log, for failure messages.
	std::string logTail() const;

private:
	void start();
	void waitReady();
	void waitExit();

	unsigned short _port = 0;
	std::vector<std::string> _extraArgs;
	std::string _password;
	std::string _dir;
	std::unique_ptr<Poco::ProcessHandle> _process;
	Poco::Process::PID _pid = 0;
	bool _paused = false;
};

} // namespace test
} // namespace eventbus

#include "EventLog.h"
#include "FakeRespServer.h"
#include "GapCounter.h"
#include "LogCapture.h"
#include "RedisAcl.h"
#include "RedisClient.h"
#include "RedisObserver.h"
#include "RedisSuiteConfig.h"
#include "SuiteChecks.h"
#include "TcpProxy.h"
#include "TlsRedisServer.h"
