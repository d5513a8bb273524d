//
// OpsSupport.h
//
// What the ops suites share: a child process whose output is read while it
// runs (servers print "listening on HOST:PORT" on stderr), plain HTTP
// requests, and a parser of the Prometheus text exposition format.
//
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace eventbus {
namespace test {

/// A child process with its stdout and stderr collected by reader threads.
/// The destructor kills it (SIGKILL) if it still runs, and reaps it.
class ChildProcess
{
public:
	/// Starts `command` with `args` in `workingDir` (default: the current one),
	/// stdin from /dev/null, default signal dispositions and an empty mask.
	ChildProcess(const std::string& command, const std::vector<std::string>& args, const std::string& workingDir = "");
	~ChildProcess();

	ChildProcess(const ChildProcess&) = delete;
	ChildProcess& operator=(const ChildProcess&) = delete;

	pid_t pid() const { return _pid; }
	std::string out() const;
	std::string err() const;

	/// Waits until stderr matches `pattern` (ECMAScript regex); returns its
	/// first capture group (or the whole match), empty on timeout.
	std::string waitForErr(const std::string& pattern, std::chrono::milliseconds timeout);
	/// The port of the first "listening on 127.0.0.1:PORT" on stderr; 0 on timeout.
	unsigned short waitForListening(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

	void signal(int sig);
	/// Waits for the exit; true when it exited within `timeout`. `code` is the
	/// exit status, or 128 + the signal that ended it.
	bool waitExit(int& code, std::chrono::milliseconds timeout);

	/// What the reader threads collect (shared with them).
	struct Output;

private:
	pid_t _pid = 0;
	bool _reaped = false;
	std::shared_ptr<Output> _output;
	std::thread _outReader;
	std::thread _errReader;
};

/// One HTTP exchange.
struct HttpResult
{
	int status = 0; ///< 0: no connection
	std::string contentType;
	std::string body;
	std::map<std::string, std::string> headers;
};

/// `method` `path` on 127.0.0.1:`port`; status 0 when the connection fails.
HttpResult httpRequest(unsigned short port, const std::string& method, const std::string& path,
	const std::string& body = "", const std::map<std::string, std::string>& headers = {});

/// One sample line of an exposition: name{labels} value.
struct Sample
{
	std::string name;
	std::map<std::string, std::string> labels;
	double value = 0;
};

/// A parsed Prometheus text exposition (format 0.0.4).
struct Exposition
{
	std::vector<Sample> samples;
	std::map<std::string, std::string> types; ///< family name -> counter, gauge, histogram, ...
	std::map<std::string, std::string> help;

	/// Parses `text`; throws std::runtime_error naming the line that is not
	/// `# HELP`, `# TYPE`, empty, or `name{labels} value`, and any sample whose
	/// family has no TYPE declared before it.
	static Exposition parse(const std::string& text);

	/// The samples of `name` whose labels include `labels`.
	std::vector<Sample> find(const std::string& name, const std::map<std::string, std::string>& labels = {}) const;
};

} // namespace test
} // namespace eventbus
