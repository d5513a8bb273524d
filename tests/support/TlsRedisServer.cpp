//
// TlsRedisServer.cpp
//
#include "TlsRedisServer.h"
#include "RedisProcess.h"
#include "TestSupport.h"
#include <Poco/NumberParser.h>
#include <chrono>
#include <csignal>
#include <stdexcept>

namespace eventbus {
namespace test {

TlsRedisServer::TlsRedisServer(const TlsServerOptions& options, const TestCertificates& certificates)
	: _options(options)
	, _clientCert(certificates.clientCert)
	, _clientKey(certificates.clientKey)
{
	startOnFreePort(_dir, _port, [this]() { start(); });
}

TlsRedisServer::~TlsRedisServer()
{
	disposeQuietly(*this, _dir);
}

std::string TlsRedisServer::url() const
{
	return "rediss://" + endpoint() + "/0";
}

std::string TlsRedisServer::endpoint() const
{
	return "127.0.0.1:" + std::to_string(_port);
}

void TlsRedisServer::start()
{
	std::vector<std::string> args{"--save", "", "--appendonly", "no", "--bind", "127.0.0.1",
		"--port", "0", "--tls-port", std::to_string(_port),
		"--tls-cert-file", _options.certFile, "--tls-key-file", _options.keyFile,
		"--tls-ca-cert-file", _options.caFile, "--tls-auth-clients", _options.authClients ? "yes" : "no",
		"--dir", _dir, "--logfile", _dir + "/redis.log", "--loglevel", "notice", "--daemonize", "no"};
	if (!_options.password.empty())
		args.insert(args.end(), {"--requirepass", _options.password});
	args.insert(args.end(), _options.extraArgs.begin(), _options.extraArgs.end());
	_process.reset(new Poco::ProcessHandle(launchRedisServer(_dir, args)));
	_pid = _process->id();

	std::string last;
	const bool ready = waitUntil([&]() {
		if (_process->tryWait() != -1)
			return true;
		try
		{
			last = cli({"PING"});
		}
		catch (std::exception& exc)
		{
			last = exc.what();
		}
		return last == "PONG";
	}, std::chrono::milliseconds(10000));
	if (_process->tryWait() != -1)
	{
		_process.reset();
		_pid = 0;
		throw std::runtime_error("redis-server --tls-port " + std::to_string(_port) + " exited: " + logTail());
	}
	if (!ready)
	{
		kill();
		throw std::runtime_error("redis-server --tls-port " + std::to_string(_port) + " did not answer PING: " + last);
	}
}

void TlsRedisServer::kill()
{
	if (_pid == 0)
		return;
	::kill(_pid, SIGKILL);
	_process->wait();
	_process.reset();
	_pid = 0;
}

void TlsRedisServer::restart()
{
	kill();
	start();
}

void TlsRedisServer::stop()
{
	if (_pid == 0)
		return;
	terminateServer(*_process, _pid);
	_process.reset();
	_pid = 0;
}

std::string TlsRedisServer::cli(const std::vector<std::string>& argv) const
{
	std::vector<std::string> args{"--tls", "--insecure", "--cert", _clientCert, "--key", _clientKey,
		"-h", "127.0.0.1", "-p", std::to_string(_port)};
	if (!_options.password.empty())
		args.insert(args.end(), {"-a", _options.password, "--no-auth-warning"});
	args.insert(args.end(), argv.begin(), argv.end());
	CommandResult result = runCommand(executable("/usr/bin/redis-cli", "redis-cli"), args, "", std::chrono::milliseconds(5000));
	if (result.exitCode != 0 || result.timedOut)
		throw std::runtime_error("redis-cli failed (exit " + std::to_string(result.exitCode) + "): " + result.err);
	std::string out = result.out;
	while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' '))
		out.pop_back();
	// redis-cli reports a refused connection on stdout with exit 0 (or 1) depending on version.
	if (out.compare(0, 21, "Could not connect to ") == 0 || out.compare(0, 6, "Error:") == 0)
		throw std::runtime_error(out);
	return out;
}

long long TlsRedisServer::subscribers(const std::string& channel) const
{
	// Not a TTY: one element per line, "channel\ncount".
	const std::string out = cli({"PUBSUB", "NUMSUB", channel});
	const auto newline = out.rfind('\n');
	return Poco::NumberParser::parse64(newline == std::string::npos ? out : out.substr(newline + 1));
}

std::string TlsRedisServer::logTail() const
{
	return redisLogTail(_dir);
}

} // namespace test
} // namespace eventbus
