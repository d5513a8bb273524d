//
// RedisStreamsSupport.h
//
// What the redis-streams fault suites share: whether the transport is built
// (they skip with a printed reason when it is not), its configuration with
// short claim and retry times, `eventbus` child processes whose stdout is
// read line by line and can be held back (so a child blocks inside its
// handler, in the middle of a batch), and the tally of sent, distinct,
// missing and duplicate events.
//
#pragma once

#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/PluginHost.h"
#include <Poco/DirectoryIterator.h>
#include <Poco/FileStream.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Pipe.h>
#include <Poco/Process.h>
#include <algorithm>
#include <csignal>
#include <sys/ioctl.h>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

namespace eventbus {
namespace test {

const std::string StreamsTopic = "orders.created";

/// Empty when the redis plugin provides the redis-streams transport, else why not.
inline std::string streamsMissing()
{
	const std::string file = pluginDir() + "/libeventbus_redis.so";
	const PluginInfo info = PluginHost::instance().inspect(file, false);
	if (!info.ok)
		return file + " is not usable: " + info.reason;
	if (std::find(info.names.begin(), info.names.end(), "redis-streams") == info.names.end())
		return file + " has no redis-streams transport (not built yet)";
	return std::string();
}

/// Prints why a test is skipped; true when it must be.
inline bool skipWithoutStreams(const char* test)
{
	const std::string missing = streamsMissing();
	if (missing.empty())
		return false;
	std::cout << "\n  SKIPPED " << test << ": " << missing << std::endl;
	return true;
}

/// The short times of the suites, as key=value pairs.
inline std::map<std::string, std::string> streamsSettings(const std::map<std::string, std::string>& overrides = {})
{
	std::map<std::string, std::string> settings{
		{"eventbus.transport", "redis-streams"},
		{"eventbus.redis.streams.start", "all"},
		{"eventbus.redis.streams.blockMs", "200"},
		{"eventbus.redis.streams.claimIntervalMs", "100"},
		{"eventbus.redis.streams.claimIdleMs", "500"},
		{"eventbus.redis.streams.retryBackoffMs", "50"},
		{"eventbus.redis.streams.retryBackoffMaxMs", "200"},
	};
	for (const auto& kv : overrides)
		settings[kv.first] = kv.second;
	return settings;
}

/// A bus configuration for redis-streams in env production on `url`.
inline Poco::AutoPtr<Poco::Util::MapConfiguration> streamsConfig(const std::string& url,
	const std::map<std::string, std::string>& overrides = {})
{
	return redisConfig(url, streamsSettings(overrides));
}

/// `eventbus` arguments for redis-streams on `url` (before the verb's own).
inline std::vector<std::string> streamsArgs(const std::string& url, const std::map<std::string, std::string>& overrides = {})
{
	std::vector<std::string> args{"--env", "production", "--define", "eventbus.plugins.path=" + pluginDir(),
		"--define", "eventbus.redis.url=" + url, "--define", "eventbus.redis.connectTimeoutMs=500",
		"--define", "eventbus.redis.commandTimeoutMs=1000"};
	for (const auto& kv : streamsSettings(overrides))
	{
		args.push_back("--define");
		args.push_back(kv.first + "=" + kv.second);
	}
	return args;
}

/// data.n of a CloudEvents JSON line, -1 when it has none.
inline int numberOf(const std::string& line)
{
	try
	{
		Poco::JSON::Parser parser;
		Poco::JSON::Object::Ptr event = parser.parse(line).extract<Poco::JSON::Object::Ptr>();
		Poco::JSON::Object::Ptr data = event->getObject("data");
		return data && data->has("n") ? data->getValue<int>("n") : -1;
	}
	catch (Poco::Exception&)
	{
		return -1;
	}
}

/// An `eventbus` child process. Its stdout is read line by line by a thread
/// that stops after `holdAfter` lines until release(): the child then blocks
/// in its handler once the pipe is full. Stderr is collected.
class StreamsChild
{
public:
	StreamsChild(const std::vector<std::string>& args, std::size_t holdAfter = 0)
		: _holdAfter(holdAfter)
		, _handle(Poco::Process::launch(eventbusExecutable(), args, nullptr, &_out, &_err))
	{
		_outReader = std::thread([this]() { readLines(); });
		_errReader = std::thread([this]() { readErr(); });
	}

	~StreamsChild()
	{
		try
		{
			if (_handle.tryWait() == -1)
			{
				::kill(_handle.id(), SIGCONT);
				Poco::Process::kill(_handle);
			}
			_handle.wait();
		}
		catch (...)
		{
		}
		release();
		_outReader.join();
		_errReader.join();
	}

	Poco::Process::PID pid() const { return _handle.id(); }

	void signal(int sig) { ::kill(_handle.id(), sig); }

	/// SIGKILL, and waits for the process to be gone.
	void kill()
	{
		Poco::Process::kill(_handle);
		_handle.wait();
	}

	/// Lets the reader go on (to the end of the output).
	void release()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_released = true;
		_changed.notify_all();
	}

	/// The numbers (data.n) of the events it printed so far.
	std::vector<int> numbers() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _numbers;
	}

	std::size_t lines() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _numbers.size();
	}

	/// Waits until its stdout reached end of file (it exited and was drained).
	bool waitDrained(std::chrono::milliseconds timeout)
	{
		return waitUntil([&]() { std::lock_guard<std::mutex> lock(_mutex); return _eof; }, timeout);
	}

	/// True when every thread of the child is stopped (SIGSTOP is delivered
	/// asynchronously: kill() returns before the threads stop).
	bool stopped() const
	{
		try
		{
			const std::string tasks = "/proc/" + std::to_string(_handle.id()) + "/task";
			std::size_t count = 0;
			for (Poco::DirectoryIterator it(tasks), end; it != end; ++it, ++count)
			{
				Poco::FileInputStream stat(it->path() + "/stat");
				std::string line;
				std::getline(stat, line);
				// "tid (comm) S ...": the state follows the last ')'.
				const std::size_t paren = line.rfind(')');
				if (paren == std::string::npos || paren + 2 >= line.size())
					return false;
				const char state = line[paren + 2];
				if (state != 'T' && state != 't')
					return false;
			}
			return count > 0;
		}
		catch (Poco::Exception&)
		{
			return false;
		}
	}

	/// Waits until the child is stopped, releases the reader and waits until
	/// it read every byte the pipe holds (a stopped child writes no more).
	bool drainStopped(std::chrono::milliseconds timeout)
	{
		if (!waitUntil([&]() { return stopped(); }, timeout))
			return false;
		release();
		const bool empty = waitUntil([&]() {
			int available = 0;
			return ::ioctl(_out.readHandle(), FIONREAD, &available) == 0 && available == 0;
		}, timeout);
		// The last read's lines are counted under the lock right after it returned.
		const std::size_t count = lines();
		return empty && !waitUntil([&]() { return lines() != count; }, std::chrono::milliseconds(200));
	}

	std::string err() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _stderr;
	}

	int waitExit(std::chrono::milliseconds timeout)
	{
		int code = -1;
		waitUntil([&]() { return (code = _handle.tryWait()) != -1; }, timeout);
		return code;
	}

private:
	void readLines()
	{
		std::string pending;
		char buffer[512];
		for (;;)
		{
			{
				std::unique_lock<std::mutex> lock(_mutex);
				_changed.wait(lock, [&]() { return _released || _holdAfter == 0 || _numbers.size() < _holdAfter; });
			}
			const int n = _out.readBytes(buffer, sizeof(buffer));
			if (n <= 0)
				break;
			pending.append(buffer, static_cast<std::size_t>(n));
			std::size_t eol;
			while ((eol = pending.find('\n')) != std::string::npos)
			{
				const std::string line = pending.substr(0, eol);
				pending.erase(0, eol + 1);
				if (line.empty())
					continue;
				std::lock_guard<std::mutex> lock(_mutex);
				_numbers.push_back(numberOf(line));
			}
		}
		std::lock_guard<std::mutex> lock(_mutex);
		_eof = true;
	}

	void readErr()
	{
		char buffer[1024];
		for (;;)
		{
			const int n = _err.readBytes(buffer, sizeof(buffer));
			if (n <= 0)
				return;
			std::lock_guard<std::mutex> lock(_mutex);
			_stderr.append(buffer, static_cast<std::size_t>(n));
		}
	}

	std::size_t _holdAfter;
	Poco::Pipe _out, _err;
	Poco::ProcessHandle _handle;
	mutable std::mutex _mutex;
	std::condition_variable _changed;
	bool _released = false;
	bool _eof = false;
	std::vector<int> _numbers;
	std::string _stderr;
	std::thread _outReader, _errReader;
};

/// What handlers got, against what was sent.
struct Tally
{
	std::size_t sent = 0;
	std::size_t handled = 0;   ///< every handling, duplicates included
	std::size_t distinct = 0;  ///< distinct numbers among the sent ones
	std::size_t missing = 0;   ///< sent, never handled
	std::size_t duplicates = 0; ///< handled - distinct
	std::size_t unknown = 0;   ///< handled numbers that were never sent

	static Tally of(const std::set<int>& sent, const std::vector<int>& handled)
	{
		Tally tally;
		tally.sent = sent.size();
		tally.handled = handled.size();
		std::set<int> seen;
		for (int n : handled)
		{
			if (sent.count(n) == 0)
				++tally.unknown;
			else
				seen.insert(n);
		}
		tally.distinct = seen.size();
		tally.missing = tally.sent - tally.distinct;
		tally.duplicates = tally.handled - tally.unknown - tally.distinct;
		return tally;
	}

	std::string describe() const
	{
		std::ostringstream text;
		text << "sent " << sent << ", handled " << handled << ", distinct " << distinct << ", missing " << missing
		     << ", duplicates " << duplicates << ", unknown " << unknown;
		return text.str();
	}
};

/// {0, 1, ..., count-1}
inline std::set<int> range(int count)
{
	std::set<int> numbers;
	for (int i = 0; i < count; ++i)
		numbers.insert(i);
	return numbers;
}

/// The stream entry ids of `key` mapped to data.n of their envelope (field e).
inline std::map<std::string, int> entryNumbers(const RedisServer& server, const std::string& key)
{
	std::map<std::string, int> numbers;
	RedisValue entries = server.command({"XRANGE", key, "-", "+"});
	for (const auto& entry : entries.elements)
	{
		if (entry.elements.size() != 2)
			continue;
		const auto& fields = entry.elements[1].elements;
		for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
		{
			if (fields[i].str == "e")
				numbers[entry.elements[0].str] = numberOf(fields[i + 1].str);
		}
	}
	return numbers;
}

/// The ids pending in `group` of `key` (XPENDING key group - + 100000), with their consumer.
inline std::map<std::string, std::string> pendingEntries(const RedisServer& server, const std::string& key,
	const std::string& group)
{
	std::map<std::string, std::string> pending;
	RedisValue reply = server.command({"XPENDING", key, group, "-", "+", "100000"});
	for (const auto& item : reply.elements)
	{
		if (item.elements.size() >= 2)
			pending[item.elements[0].str] = item.elements[1].str;
	}
	return pending;
}

} // namespace test
} // namespace eventbus

namespace eventbus {
namespace test {

/// Collects data.n of what a handler gets; thread-safe. A handler made with
/// `failWhile` throws (the event stays pending) while it returns true for n.
class NumberLog
{
public:
	Handler handler(std::function<bool(int)> failWhile = nullptr)
	{
		return [this, failWhile](const Event& event) {
			const int n = event.data->has("n") ? event.data->getValue<int>("n") : -1;
			{
				std::lock_guard<std::mutex> lock(_mutex);
				++_attempts[n];
			}
			if (failWhile && failWhile(n))
				throw Poco::RuntimeException("handler refused event " + std::to_string(n));
			std::lock_guard<std::mutex> lock(_mutex);
			_numbers.push_back(n);
		};
	}

	std::vector<int> numbers() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _numbers;
	}

	/// How often the handler was called for n (failed calls included).
	int attempts(int n) const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		auto it = _attempts.find(n);
		return it == _attempts.end() ? 0 : it->second;
	}

private:
	mutable std::mutex _mutex;
	std::vector<int> _numbers;
	std::map<int, int> _attempts;
};

/// A payload {"n": n}.
inline std::string numbered(int n)
{
	return "{\"n\":" + std::to_string(n) + "}";
}

} // namespace test
} // namespace eventbus
