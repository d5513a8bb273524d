//
// RedisServer.h
//
// Real-server test support for the redis suites: a redis-server of our own on
// a free loopback port (kill, pause, resume, restart on the same port), a raw
// RESP client for server-side checks, a PSUBSCRIBE observer, and a fake server
// that answers with protocol garbage.
//
#pragma once

#include "eventbus/EventBus.h"
#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Util/MapConfiguration.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>
#include <atomic>
#include <condition_variable>
#include <map>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace eventbus {
namespace test {

/// A reply, copied out of hiredis.
struct RedisValue
{
	enum Type { Nil, String, Status, Integer, Array, Error };
	Type type = Nil;
	std::string str;       ///< String, Status, Error
	long long integer = 0; ///< Integer
	std::vector<RedisValue> elements; ///< Array

	bool isError() const { return type == Error; }
};

/// A blocking RESP client over a Poco socket, for tests only.
class RedisClient
{
public:
	RedisClient(const std::string& host, unsigned short port,
		std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
	~RedisClient();

	RedisClient(const RedisClient&) = delete;
	RedisClient& operator=(const RedisClient&) = delete;

	/// Sends the command and returns its reply (error replies too); throws on
	/// I/O failure or timeout.
	RedisValue command(const std::vector<std::string>& argv);
	void send(const std::vector<std::string>& argv);
	/// The next reply if one arrives within `timeout`.
	bool read(RedisValue& value, std::chrono::milliseconds timeout);
	void close();

private:
	struct Reader;
	Poco::Net::StreamSocket _socket;
	std::unique_ptr<Reader> _reader;
	std::chrono::milliseconds _timeout;
};

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

/// Messages seen by an observer connection.
struct ObservedMessage
{
	std::string pattern;
	std::string channel;
	std::string payload;
};

/// PSUBSCRIBE `pattern` on a connection of its own, collected by a thread.
class RedisObserver
{
public:
	RedisObserver(const RedisServer& server, const std::string& pattern);
	~RedisObserver();

	std::vector<ObservedMessage> messages() const;
	std::size_t count() const;

private:
	void run();

	std::unique_ptr<RedisClient> _client;
	mutable std::mutex _mutex;
	std::vector<ObservedMessage> _messages;
	std::atomic<bool> _stop{false};
	std::thread _thread;
};

/// Accepts connections on a free loopback port and answers whatever a
/// client sends with `response`, then (if `closeAfter`) closes.
class FakeRespServer
{
public:
	explicit FakeRespServer(std::string response, bool closeAfter = false);
	~FakeRespServer();

	unsigned short port() const { return _port; }
	std::string url() const;
	std::string endpoint() const;
	std::size_t connections() const { return _connections.load(); }

private:
	void run();

	std::string _response;
	bool _closeAfter;
	Poco::Net::ServerSocket _server;
	unsigned short _port = 0;
	std::atomic<std::size_t> _connections{0};
	std::atomic<bool> _stop{false};
	std::thread _thread;
};

/// Forwards TCP connections to a server and can cut them: disabled, it
/// drops every connection and closes new ones at once (an outage seen by
/// only the clients behind it).
class TcpProxy
{
public:
	TcpProxy(const std::string& host, unsigned short upstreamPort);
	~TcpProxy();

	TcpProxy(const TcpProxy&) = delete;
	TcpProxy& operator=(const TcpProxy&) = delete;

	unsigned short port() const { return _port; }
	std::string url() const;
	void setEnabled(bool enabled);

private:
	void run();

	std::string _host;
	unsigned short _upstreamPort;
	Poco::Net::ServerSocket _server;
	unsigned short _port = 0;
	std::atomic<bool> _enabled{true};
	std::atomic<std::uint64_t> _generation{0};
	std::atomic<std::uint64_t> _closedGeneration{0};
	std::atomic<bool> _stop{false};
	std::thread _thread;
};

/// Collects what a handler receives; thread-safe.
class EventLog
{
public:
	/// A handler appending to this log.
	Handler handler();
	std::vector<Event> events() const;
	std::size_t size() const;
	/// Waits until at least `count` events arrived.
	bool waitFor(std::size_t count, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) const;
	/// Data field `key` (an integer) of every event, in arrival order.
	std::vector<int> intField(const std::string& key) const;

private:
	mutable std::mutex _mutex;
	mutable std::condition_variable _arrived;
	std::vector<Event> _events;
};

/// Captures what one logger writes while it lives. Create it before the bus
/// whose logger it captures and let it go after (Poco swaps channels unlocked).
class LogCapture
{
public:
	explicit LogCapture(const std::string& logger = "eventbus.transport.redis");
	~LogCapture();

	std::vector<std::string> lines() const;
	bool contains(const std::string& text) const;
	bool waitFor(const std::string& text, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) const;

private:
	class Sink;
	std::string _name;
	Poco::AutoPtr<Sink> _sink;
	Poco::AutoPtr<Poco::Channel> _previous;
	int _previousLevel = 0;
};

/// A bus configuration for the redis transport in env `production`, with the
/// short timeouts the suites use; `overrides` are set last.
Poco::AutoPtr<Poco::Util::MapConfiguration> redisConfig(const std::string& url,
	const std::map<std::string, std::string>& overrides = {});

/// Counts the gaps a bus reports.
class GapCounter
{
public:
	explicit GapCounter(EventBus& bus);
	std::size_t count() const;
	std::string lastReason() const;

private:
	struct State
	{
		std::mutex mutex;
		std::size_t count = 0;
		std::string reason;
	};
	std::shared_ptr<State> _state; // shared with the listener, which may outlive this
};

inline bool contains(const std::string& text, const std::string& part)
{
	return text.find(part) != std::string::npos;
}

/// Milliseconds `f` takes.
template <class F>
long long millisecondsOf(F f)
{
	const auto start = std::chrono::steady_clock::now();
	f();
	return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

/// Calls `f`, which must throw E; returns the exception's message.
template <class E, class F>
std::string messageOf(F f)
{
	try
	{
		f();
	}
	catch (E& exc)
	{
		return exc.message();
	}
	throw std::runtime_error("expected an exception, none was thrown");
}

/// The wire of an event that looks like one the bus publishes, for raw
/// injection; signed with the suites' key (signingKey(), key id k1) unless
/// `signWithSuiteKey` is false.
std::string cloudEventJson(const std::string& tenantId, const std::string& topic, const std::string& dataJson,
	bool signWithSuiteKey = true, const std::string& id = "");

} // namespace test
} // namespace eventbus

// ------------------------------------------------------------ Redis ACL users
// Redis 7 always enforces ACLs: a RedisServer started with a password makes
// that the `default` user's (`user default on >password ~* &* +@all`, the
// admin); tenant users are added with --user arguments at start or with
// ACL SETUSER / `eventbus tenant provision --apply` later.

namespace eventbus {
namespace test {

/// `--user NAME rule...` arguments for RedisServer's extraArgs: the user
/// exists from the server's start (each rule one argument, as redis-server
/// wants them).
std::vector<std::string> aclUserArgs(const std::string& user, const std::vector<std::string>& rules);

/// redis://user:password@127.0.0.1:N/0 of `server`, user and password
/// percent-encoded.
std::string aclUrl(const RedisServer& server, const std::string& user, const std::string& password);

/// ACL SETUSER user rules... as the admin; throws std::runtime_error with the
/// server's error.
void aclSetUser(const RedisServer& server, const std::string& user, const std::vector<std::string>& rules);

/// Sum of the `count` of the ACL LOG entries of `user` with this `reason`
/// ("channel", "command", "auth") and, unless empty, this `object` (the
/// channel or command refused).
long long aclLogCount(const RedisServer& server, const std::string& user, const std::string& reason,
	const std::string& object = "");

/// Connections authenticated as `user` (CLIENT LIST).
long long clientsOf(const RedisServer& server, const std::string& user);

/// The ids of those connections, ascending: unchanged over a while means no
/// connection of the user was closed or opened meanwhile (the server's
/// total_connections_received also counts the suites' own checks).
std::vector<long long> clientIdsOf(const RedisServer& server, const std::string& user);

/// PUBLISH channel payload as the admin: a raw message no bus signed or checked.
long long publishRaw(const RedisServer& server, const std::string& channel, const std::string& payload);

} // namespace test
} // namespace eventbus

namespace eventbus {
namespace test {

/// Throwaway certificates for the TLS suites, made with the `openssl` command
/// in a temporary folder (removed with this object): EC P-256 keys, valid for
/// two days. Paths are absolute.
class TestCertificates
{
public:
	TestCertificates();
	~TestCertificates();

	TestCertificates(const TestCertificates&) = delete;
	TestCertificates& operator=(const TestCertificates&) = delete;

	std::string dir;
	std::string caFile;          ///< the suites' CA
	std::string serverCert;      ///< by caFile; SAN IP:127.0.0.1, DNS:localhost
	std::string serverKey;
	std::string clientCert;      ///< by caFile; clientAuth
	std::string clientKey;
	std::string otherCaFile;     ///< an unrelated CA
	std::string otherClientCert; ///< by otherCaFile
	std::string otherClientKey;
	std::string wrongNameCert;   ///< by caFile; SAN DNS:wrong-name.invalid only
	std::string wrongNameKey;
	std::string expiredCert;     ///< by caFile; SAN IP:127.0.0.1, expired
	std::string expiredKey;
	std::string encryptedClientKey; ///< clientKey, encrypted with a passphrase
	std::string notPemFile;      ///< text that is no certificate

private:
	void openssl(const std::vector<std::string>& args) const;
	void makeCa(const std::string& name, const std::string& subject);
	void makeSigned(const std::string& name, const std::string& ca, const std::string& subject,
		const std::string& extensions, const std::string& days = "2");
};

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
