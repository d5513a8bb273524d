//
// RedisServer.cpp
//
#include "RedisServer.h"
#include "RedisClient.h"
#include "RedisProcess.h"
#include <Poco/NumberParser.h>
#include <chrono>
#include <csignal>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace eventbus {
namespace test {

RedisServer::RedisServer(const std::vector<std::string>& extraArgs, const std::string& password)
	: _extraArgs(extraArgs)
	, _password(password)
{
	startOnFreePort(_dir, _port, [this]() { start(); });
}

RedisServer::~RedisServer()
{
	disposeQuietly(*this, _dir);
}

std::string RedisServer::url() const
{
	return "redis://" + (_password.empty() ? std::string() : ":" + _password + "@") + endpoint() + "/0";
}

std::string RedisServer::endpoint() const
{
	return host() + ":" + std::to_string(_port);
}

void RedisServer::start()
{
	std::vector<std::string> args{"--save", "", "--appendonly", "no", "--bind", "127.0.0.1",
		"--port", std::to_string(_port), "--dir", _dir, "--logfile", _dir + "/redis.log",
		"--loglevel", "notice", "--daemonize", "no"};
	if (!_password.empty())
	{
		args.push_back("--requirepass");
		args.push_back(_password);
	}
	args.insert(args.end(), _extraArgs.begin(), _extraArgs.end());
	_process.reset(new Poco::ProcessHandle(launchRedisServer(_dir, args)));
	_pid = _process->id();
	_paused = false;
	try
	{
		waitReady();
	}
	catch (...)
	{
		kill();
		throw;
	}
}

void RedisServer::waitReady()
{
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
	std::string last;
	while (std::chrono::steady_clock::now() < deadline)
	{
		if (_process->tryWait() != -1)
		{
			_pid = 0;
			throw std::runtime_error("redis-server on port " + std::to_string(_port) + " exited: " + logTail());
		}
		try
		{
			RedisValue pong = command({"PING"});
			if (pong.str == "PONG")
				return;
			last = pong.str;
		}
		catch (std::exception& exc)
		{
			last = exc.what();
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	throw std::runtime_error("redis-server on port " + std::to_string(_port) + " did not answer PING: " + last);
}

void RedisServer::waitExit()
{
	if (_process)
		_process->wait();
	_process.reset();
	_pid = 0;
	_paused = false;
}

void RedisServer::kill()
{
	if (_pid == 0)
		return;
	::kill(_pid, SIGKILL);
	waitExit();
}

void RedisServer::pause()
{
	if (_pid != 0 && !_paused)
	{
		::kill(_pid, SIGSTOP);
		_paused = true;
	}
}

void RedisServer::resume()
{
	if (_pid != 0 && _paused)
	{
		::kill(_pid, SIGCONT);
		_paused = false;
	}
}

void RedisServer::restart()
{
	kill();
	start();
}

void RedisServer::stop()
{
	if (_pid == 0)
		return;
	resume();
	terminateServer(*_process, _pid); // reaps it
	_process.reset();
	_pid = 0;
	_paused = false;
}

RedisValue RedisServer::command(const std::vector<std::string>& argv) const
{
	RedisClient client(host(), _port);
	if (!_password.empty())
	{
		RedisValue auth = client.command({"AUTH", _password});
		if (auth.isError())
			throw std::runtime_error("AUTH failed: " + auth.str);
	}
	return client.command(argv);
}

long long RedisServer::info(const std::string& field) const
{
	const std::string text = command({"INFO", "all"}).str;
	std::istringstream lines(text);
	std::string line;
	while (std::getline(lines, line))
	{
		if (line.compare(0, field.size() + 1, field + ":") == 0)
		{
			std::string value = line.substr(field.size() + 1);
			while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
				value.pop_back();
			return Poco::NumberParser::parse64(value);
		}
	}
	throw std::runtime_error("INFO has no field " + field);
}

long long RedisServer::subscribers(const std::string& channel) const
{
	RedisValue reply = command({"PUBSUB", "NUMSUB", channel});
	return reply.elements.size() == 2 ? reply.elements[1].integer : -1;
}

std::string RedisServer::logTail() const
{
	return redisLogTail(_dir);
}

} // namespace test
} // namespace eventbus
