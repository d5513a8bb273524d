//
// OpsSupport.cpp
//
#include "OpsSupport.h"
#include "TestSupport.h"
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace eventbus {
namespace test {

struct ChildProcess::Output
{
	mutable std::mutex mutex;
	std::condition_variable changed;
	std::string out;
	std::string err;
};

namespace {

void readAll(int fd, std::shared_ptr<ChildProcess::Output> output, bool isErr)
{
	char buffer[4096];
	for (;;)
	{
		ssize_t n = ::read(fd, buffer, sizeof buffer);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) break;
		std::lock_guard<std::mutex> lock(output->mutex);
		(isErr ? output->err : output->out).append(buffer, static_cast<std::size_t>(n));
		output->changed.notify_all();
	}
	::close(fd);
}

} // namespace

ChildProcess::ChildProcess(const std::string& command, const std::vector<std::string>& args,
	const std::string& workingDir):
	_output(std::make_shared<Output>())
{
	int outPipe[2], errPipe[2];
	// Close-on-exec: no other child inherits these pipes and holds them open.
	if (::pipe2(outPipe, O_CLOEXEC) != 0 || ::pipe2(errPipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
	std::vector<std::string> argvStrings{command};
	argvStrings.insert(argvStrings.end(), args.begin(), args.end());
	std::vector<char*> argv;
	for (auto& a : argvStrings) argv.push_back(&a[0]);
	argv.push_back(nullptr);
	_pid = ::fork();
	if (_pid < 0) throw std::runtime_error("fork failed");
	if (_pid == 0)
	{
		// The child: default signal handling and an empty mask, whatever the test runner set.
		sigset_t none;
		sigemptyset(&none);
		::sigprocmask(SIG_SETMASK, &none, nullptr);
		::signal(SIGINT, SIG_DFL);
		::signal(SIGTERM, SIG_DFL);
		::signal(SIGQUIT, SIG_DFL);
		::signal(SIGPIPE, SIG_DFL);
		::dup2(outPipe[1], 1);
		::dup2(errPipe[1], 2);
		::close(outPipe[0]); ::close(outPipe[1]);
		::close(errPipe[0]); ::close(errPipe[1]);
		int devnull = ::open("/dev/null", O_RDONLY);
		if (devnull >= 0) ::dup2(devnull, 0);
		if (!workingDir.empty() && ::chdir(workingDir.c_str()) != 0) ::_exit(126);
		::execv(command.c_str(), argv.data());
		::_exit(127);
	}
	::close(outPipe[1]);
	::close(errPipe[1]);
	_outReader = std::thread(readAll, outPipe[0], _output, false);
	_errReader = std::thread(readAll, errPipe[0], _output, true);
}

ChildProcess::~ChildProcess()
{
	if (!_reaped)
	{
		::kill(_pid, SIGKILL);
		int status = 0;
		::waitpid(_pid, &status, 0);
	}
	// A daemon's grandchild may keep the pipes open only until its own end;
	// readers finish once every writer closed them.
	_outReader.join();
	_errReader.join();
}

std::string ChildProcess::out() const
{
	std::lock_guard<std::mutex> lock(_output->mutex);
	return _output->out;
}

std::string ChildProcess::err() const
{
	std::lock_guard<std::mutex> lock(_output->mutex);
	return _output->err;
}

std::string ChildProcess::waitForErr(const std::string& pattern, std::chrono::milliseconds timeout)
{
	const std::regex re(pattern);
	std::unique_lock<std::mutex> lock(_output->mutex);
	std::smatch match;
	auto found = [&]() { return std::regex_search(_output->err, match, re); };
	if (!_output->changed.wait_for(lock, timeout, found)) return "";
	return match.size() > 1 ? match[1].str() : match[0].str();
}

unsigned short ChildProcess::waitForListening(std::chrono::milliseconds timeout)
{
	std::string port = waitForErr("listening on 127\\.0\\.0\\.1:([0-9]+)", timeout);
	return port.empty() ? 0 : static_cast<unsigned short>(std::stoi(port));
}

void ChildProcess::signal(int sig)
{
	if (!_reaped) ::kill(_pid, sig);
}

bool ChildProcess::waitExit(int& code, std::chrono::milliseconds timeout)
{
	if (_reaped) return true;
	int status = 0;
	bool exited = waitUntil([&]() { return ::waitpid(_pid, &status, WNOHANG) == _pid; }, timeout);
	if (!exited) return false;
	_reaped = true;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return true;
}

HttpResult httpRequest(unsigned short port, const std::string& method, const std::string& path,
	const std::string& body, const std::map<std::string, std::string>& headers)
{
	HttpResult result;
	try
	{
		Poco::Net::HTTPClientSession session("127.0.0.1", port);
		session.setTimeout(Poco::Timespan(5, 0));
		Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
		for (const auto& h : headers) request.set(h.first, h.second);
		if (!body.empty() || method == "POST")
		{
			request.setContentType("application/json");
			request.setContentLength(static_cast<std::streamsize>(body.size()));
		}
		session.sendRequest(request) << body;
		Poco::Net::HTTPResponse response;
		std::istream& in = session.receiveResponse(response);
		Poco::StreamCopier::copyToString(in, result.body);
		result.status = response.getStatus();
		result.contentType = response.getContentType();
		for (const auto& h : response) result.headers[h.first] = h.second;
	}
	catch (Poco::Exception&)
	{
		result.status = 0;
	}
	return result;
}

namespace {

bool validName(const std::string& name)
{
	static const std::regex re("^[a-zA-Z_:][a-zA-Z0-9_:]*$");
	return std::regex_match(name, re);
}

// Parses {a="x",b="y\"z"} starting at text[pos] == '{'; leaves pos after '}'.
std::map<std::string, std::string> parseLabels(const std::string& text, std::size_t& pos)
{
	std::map<std::string, std::string> labels;
	++pos; // '{'
	while (pos < text.size() && text[pos] != '}')
	{
		std::size_t eq = text.find('=', pos);
		if (eq == std::string::npos) throw std::runtime_error("label without '='");
		std::string name = text.substr(pos, eq - pos);
		if (!validName(name) || name.find(':') != std::string::npos) throw std::runtime_error("bad label name '" + name + "'");
		pos = eq + 1;
		if (pos >= text.size() || text[pos] != '"') throw std::runtime_error("label value not quoted");
		++pos;
		std::string value;
		while (pos < text.size() && text[pos] != '"')
		{
			if (text[pos] == '\\' && pos + 1 < text.size())
			{
				char c = text[pos + 1];
				if (c == 'n') value += '\n';
				else if (c == '\\' || c == '"') value += c;
				else throw std::runtime_error("bad escape in label value");
				pos += 2;
			}
			else if (text[pos] == '\n') throw std::runtime_error("newline in label value");
			else value += text[pos++];
		}
		if (pos >= text.size()) throw std::runtime_error("unterminated label value");
		++pos; // closing quote
		if (labels.count(name)) throw std::runtime_error("duplicate label '" + name + "'");
		labels[name] = value;
		if (pos < text.size() && text[pos] == ',') ++pos;
	}
	if (pos >= text.size()) throw std::runtime_error("unterminated label set");
	++pos; // '}'
	return labels;
}

double parseValue(const std::string& text)
{
	if (text == "+Inf") return std::numeric_limits<double>::infinity();
	if (text == "-Inf") return -std::numeric_limits<double>::infinity();
	if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
	char* end = nullptr;
	double value = std::strtod(text.c_str(), &end);
	if (text.empty() || *end != '\0') throw std::runtime_error("bad value '" + text + "'");
	return value;
}

std::string familyOf(const std::string& name, const std::map<std::string, std::string>& types)
{
	if (types.count(name)) return name;
	for (const char* suffix : {"_bucket", "_sum", "_count"})
	{
		const std::string s(suffix);
		if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0)
		{
			std::string base = name.substr(0, name.size() - s.size());
			auto it = types.find(base);
			if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
		}
	}
	return "";
}

} // namespace

Exposition Exposition::parse(const std::string& text)
{
	Exposition exposition;
	std::istringstream in(text);
	std::string line;
	int number = 0;
	while (std::getline(in, line))
	{
		++number;
		try
		{
			if (line.empty()) continue;
			if (line[0] == '#')
			{
				std::istringstream words(line);
				std::string hash, keyword, name;
				words >> hash >> keyword >> name;
				if (keyword == "TYPE")
				{
					std::string type;
					words >> type;
					static const std::regex types("^(counter|gauge|histogram|summary|untyped)$");
					if (!validName(name) || !std::regex_match(type, types)) throw std::runtime_error("bad TYPE line");
					if (exposition.types.count(name)) throw std::runtime_error("second TYPE for " + name);
					exposition.types[name] = type;
				}
				else if (keyword == "HELP")
				{
					if (!validName(name)) throw std::runtime_error("bad HELP line");
					std::string rest;
					std::getline(words, rest);
					exposition.help[name] = rest;
				}
				continue;
			}
			Sample sample;
			std::size_t pos = 0;
			while (pos < line.size() && line[pos] != '{' && line[pos] != ' ') ++pos;
			sample.name = line.substr(0, pos);
			if (!validName(sample.name)) throw std::runtime_error("bad metric name '" + sample.name + "'");
			if (pos < line.size() && line[pos] == '{') sample.labels = parseLabels(line, pos);
			if (pos >= line.size() || line[pos] != ' ') throw std::runtime_error("no space before the value");
			std::string rest = line.substr(pos + 1);
			std::size_t space = rest.find(' '); // an optional timestamp follows
			sample.value = parseValue(rest.substr(0, space));
			if (familyOf(sample.name, exposition.types).empty())
				throw std::runtime_error("sample of '" + sample.name + "' without a TYPE before it");
			exposition.samples.push_back(sample);
		}
		catch (std::runtime_error& exc)
		{
			throw std::runtime_error("exposition line " + std::to_string(number) + " (" + line + "): " + exc.what());
		}
	}
	return exposition;
}

std::vector<Sample> Exposition::find(const std::string& name, const std::map<std::string, std::string>& labels) const
{
	std::vector<Sample> found;
	for (const auto& sample : samples)
	{
		if (sample.name != name) continue;
		bool all = true;
		for (const auto& label : labels)
		{
			auto it = sample.labels.find(label.first);
			if (it == sample.labels.end() || it->second != label.second) all = false;
		}
		if (all) found.push_back(sample);
	}
	return found;
}

} // namespace test
} // namespace eventbus
