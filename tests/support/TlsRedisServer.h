//
// TlsRedisServer.h
//
// A redis-server serving TLS only, run like RedisServer, and how it serves it.
//
#pragma once

#include "TestCertificates.h"
#include <Poco/Process.h>
#include <memory>
#include <string>
#include <vector>

namespace eventbus {
namespace test {

/// How a TlsRedisServer serves TLS.
struct TlsServerOptions
{
	std::string certFile;    ///< the server's certificate
	std::string keyFile;     ///< and key
	std::string caFile;      ///< CAs for client certificates (--tls-ca-cert-file)
	bool authClients = false; ///< --tls-auth-clients yes: a client certificate is required
	std::string password;    ///< --requirepass (the harness's redis-cli logs in with it)
	std::vector<std::string> extraArgs;
};

/// redis-server with TLS only (`--port 0 --tls-port N`) on 127.0.0.1, run like
/// RedisServer (log file, killed with this process). It is ready when
/// `redis-cli --tls` answers PING; the harness itself talks to it through
/// redis-cli with the client certificate of `certificates`, not checking the
/// server's certificate (so servers with bad certificates start too).
class TlsRedisServer
{
public:
	TlsRedisServer(const TlsServerOptions& options, const TestCertificates& certificates);
	~TlsRedisServer();

	TlsRedisServer(const TlsRedisServer&) = delete;
	TlsRedisServer& operator=(const TlsRedisServer&) = delete;

	unsigned short port() const { return _port; }
	std::string url() const;      ///< rediss://127.0.0.1:N/0
	std::string endpoint() const; ///< 127.0.0.1:N

	void kill();    ///< SIGKILL, and waits for the process to exit
	void restart(); ///< kill() if running, then start on the same port
	void stop();    ///< SIGTERM (SIGKILL after a deadline)

	/// A command through redis-cli --tls; its output, trimmed (throws when redis-cli fails).
	std::string cli(const std::vector<std::string>& argv) const;
	/// PUBSUB NUMSUB channel.
	long long subscribers(const std::string& channel) const;
	std::string logTail() const;

private:
	void start();

	TlsServerOptions _options;
	std::string _clientCert;
	std::string _clientKey;
	unsigned short _port = 0;
	std::string _dir;
	std::unique_ptr<Poco::ProcessHandle> _process;
	Poco::Process::PID _pid = 0;
};

} // namespace test
} // namespace eventbus
