//
// RedisServer.cpp
//
#include "RedisServer.h"
#include "TestSupport.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/Event.h"
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/NumberParser.h>
#include <Poco/Path.h>
#include <Poco/StreamCopier.h>
#include <Poco/TemporaryFile.h>
#include <Poco/UUIDGenerator.h>
#include <hiredis/hiredis.h>
#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <csignal>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>

namespace eventbus {
namespace test {

namespace {

RedisValue toValue(const redisReply& reply)
{
	RedisValue value;
	switch (reply.type)
	{
	case REDIS_REPLY_STRING: value.type = RedisValue::String; break;
	case REDIS_REPLY_STATUS: value.type = RedisValue::Status; break;
	case REDIS_REPLY_ERROR: value.type = RedisValue::Error; break;
	case REDIS_REPLY_INTEGER: value.type = RedisValue::Integer; break;
	case REDIS_REPLY_ARRAY: value.type = RedisValue::Array; break;
	default: value.type = RedisValue::Nil; break;
	}
	if (reply.str)
		value.str.assign(reply.str, reply.len);
	value.integer = reply.integer;
	for (std::size_t i = 0; reply.type == REDIS_REPLY_ARRAY && i < reply.elements; ++i)
		value.elements.push_back(toValue(*reply.element[i]));
	return value;
}

std::string format(const std::vector<std::string>& argv)
{
	std::vector<const char*> args;
	std::vector<std::size_t> lengths;
	for (const auto& arg : argv)
	{
		args.push_back(arg.data());
		lengths.push_back(arg.size());
	}
	char* raw = nullptr;
	const int length = redisFormatCommandArgv(&raw, static_cast<int>(argv.size()), args.data(), lengths.data());
	if (length < 0)
		throw std::runtime_error("cannot format a command");
	std::string command(raw, static_cast<std::size_t>(length));
	redisFreeCommand(raw);
	return command;
}

void sendAll(Poco::Net::StreamSocket& socket, const std::string& bytes)
{
	std::size_t sent = 0;
	while (sent < bytes.size())
		sent += static_cast<std::size_t>(socket.sendBytes(bytes.data() + sent, static_cast<int>(bytes.size() - sent), MSG_NOSIGNAL));
}

/// Starts redis-server with `args` through sh, so its stdout and stderr (which
/// it would otherwise inherit: ctest's pipes) go to a file in `dir`; `exec`
/// keeps the pid. setpriv makes the kernel kill the server if this process
/// dies without stopping it.
Poco::ProcessHandle launchRedisServer(const std::string& dir, std::vector<std::string> args)
{
	std::string launcher = "exec redis-server \"$@\" >>'" + dir + "/redis.out' 2>&1";
	if (Poco::File("/usr/bin/setpriv").exists())
		launcher = "exec /usr/bin/setpriv --pdeathsig KILL redis-server \"$@\" >>'" + dir + "/redis.out' 2>&1";
	args.insert(args.begin(), {"-c", launcher, "redis-server"});
	return Poco::Process::launch("/bin/sh", args);
}

/// SIGTERM, SIGKILL if it has not exited within 5 s, then reaps it.
void terminateServer(Poco::ProcessHandle& process, Poco::Process::PID pid)
{
	::kill(pid, SIGTERM);
	const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
	while (process.tryWait() == -1)
	{
		if (std::chrono::steady_clock::now() >= deadline)
		{
			::kill(pid, SIGKILL);
			break;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	process.wait();
}

/// The last 2000 bytes of the server's log in `dir`.
std::string redisLogTail(const std::string& dir)
{
	try
	{
		Poco::FileInputStream in(dir + "/redis.log");
		std::string text;
		Poco::StreamCopier::copyToString(in, text);
		return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
	}
	catch (...)
	{
		return "(no log)";
	}
}

/// Makes a fresh folder in `dir` and calls `start` with a free loopback port
/// in `port`: a port picked free may be taken before redis binds it, so up to
/// three ports are tried. The folder is removed when every try failed.
void startOnFreePort(std::string& dir, unsigned short& port, const std::function<void()>& start)
{
	dir = Poco::TemporaryFile::tempName();
	Poco::File(dir).createDirectories();
	for (int attempt = 0;; ++attempt)
	{
		port = freeLoopbackPort();
		try
		{
			start();
			return;
		}
		catch (std::exception&)
		{
			if (attempt == 2)
			{
				Poco::File(dir).remove(true);
				throw;
			}
		}
	}
}

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

} // namespace

// ---------------------------------------------------------------- RedisClient

struct RedisClient::Reader
{
	redisReader* reader = redisReaderCreate();
	~Reader() { redisReaderFree(reader); }
};

RedisClient::RedisClient(const std::string& host, unsigned short port, std::chrono::milliseconds timeout)
	: _reader(new Reader)
	, _timeout(timeout)
{
	const Poco::Timespan span(static_cast<Poco::Timespan::TimeDiff>(timeout.count()) * 1000);
	_socket.connect(Poco::Net::SocketAddress(host, port), span);
	_socket.setNoDelay(true);
	_socket.setSendTimeout(span);
	_socket.setReceiveTimeout(span);
}

RedisClient::~RedisClient()
{
	close();
}

void RedisClient::close()
{
	try
	{
		_socket.close();
	}
	catch (...)
	{
	}
}

void RedisClient::send(const std::vector<std::string>& argv)
{
	sendAll(_socket, format(argv));
}

RedisValue RedisClient::command(const std::vector<std::string>& argv)
{
	send(argv);
	RedisValue value;
	if (!read(value, _timeout))
		throw std::runtime_error("no reply to " + argv.at(0) + " within " + std::to_string(_timeout.count()) + " ms");
	return value;
}

bool RedisClient::read(RedisValue& value, std::chrono::milliseconds timeout)
{
	const auto deadline = std::chrono::steady_clock::now() + timeout;
	char buffer[64 * 1024];
	for (;;)
	{
		void* raw = nullptr;
		if (redisReaderGetReply(_reader->reader, &raw) != REDIS_OK)
			throw std::runtime_error(std::string("protocol error: ") + _reader->reader->errstr);
		if (raw)
		{
			value = toValue(*static_cast<redisReply*>(raw));
			freeReplyObject(raw);
			return true;
		}
		const auto remaining = std::chrono::duration_cast<std::chrono::microseconds>(deadline - std::chrono::steady_clock::now());
		if (remaining.count() <= 0)
			return false;
		if (!_socket.poll(Poco::Timespan(remaining.count()), Poco::Net::Socket::SELECT_READ))
			return false;
		const int n = _socket.receiveBytes(buffer, sizeof(buffer));
		if (n <= 0)
			throw std::runtime_error("connection closed by the server");
		redisReaderFeed(_reader->reader, buffer, static_cast<std::size_t>(n));
	}
}

// ---------------------------------------------------------------- RedisServer

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
	terminateServer(*_process, _pid);
	waitExit();
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

// -------------------------------------------------------------- RedisObserver

RedisObserver::RedisObserver(const RedisServer& server, const std::string& pattern)
	: _client(new RedisClient(server.host(), server.port()))
{
	RedisValue confirmation = _client->command({"PSUBSCRIBE", pattern});
	if (confirmation.elements.empty() || confirmation.elements[0].str != "psubscribe")
		throw std::runtime_error("PSUBSCRIBE not confirmed");
	_thread = std::thread([this]() { run(); });
}

RedisObserver::~RedisObserver()
{
	_stop = true;
	_thread.join();
}

void RedisObserver::run()
{
	while (!_stop)
	{
		RedisValue value;
		try
		{
			if (!_client->read(value, std::chrono::milliseconds(20)))
				continue;
		}
		catch (std::exception&)
		{
			return;
		}
		if (value.type == RedisValue::Array && value.elements.size() == 4 && value.elements[0].str == "pmessage")
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_messages.push_back({value.elements[1].str, value.elements[2].str, value.elements[3].str});
		}
	}
}

std::vector<ObservedMessage> RedisObserver::messages() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _messages;
}

std::size_t RedisObserver::count() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _messages.size();
}

// ------------------------------------------------------------- FakeRespServer

FakeRespServer::FakeRespServer(std::string response, bool closeAfter)
	: _response(std::move(response))
	, _closeAfter(closeAfter)
	, _server(Poco::Net::SocketAddress("127.0.0.1", 0))
	, _port(_server.address().port())
{
	_thread = std::thread([this]() { run(); });
}

FakeRespServer::~FakeRespServer()
{
	_stop = true;
	_thread.join();
}

std::string FakeRespServer::url() const
{
	return "redis://127.0.0.1:" + std::to_string(_port) + "/0";
}

std::string FakeRespServer::endpoint() const
{
	return "127.0.0.1:" + std::to_string(_port);
}

void FakeRespServer::run()
{
	// One thread serves every client: no socket is shared between threads.
	std::vector<Poco::Net::StreamSocket> clients;
	char buffer[4096];
	while (!_stop)
	{
		Poco::Net::Socket::SocketList readable{_server}, writable, failed;
		readable.insert(readable.end(), clients.begin(), clients.end());
		try
		{
			if (Poco::Net::Socket::select(readable, writable, failed, Poco::Timespan(10 * 1000)) == 0)
				continue;
		}
		catch (std::exception&)
		{
			continue;
		}
		for (const auto& socket : readable)
		{
			if (socket == _server)
			{
				try
				{
					clients.push_back(_server.acceptConnection());
					++_connections;
				}
				catch (std::exception&)
				{
				}
				continue;
			}
			auto client = std::find(clients.begin(), clients.end(), socket);
			if (client == clients.end())
				continue;
			bool keep = false;
			try
			{
				if (client->receiveBytes(buffer, sizeof(buffer)) > 0)
				{
					sendAll(*client, _response);
					keep = !_closeAfter;
				}
			}
			catch (std::exception&)
			{
			}
			if (!keep)
			{
				client->close();
				clients.erase(client);
			}
		}
	}
	for (auto& client : clients)
		client.close();
}

// ----------------------------------------------------------------------------

std::string cloudEventJson(const std::string& tenantId, const std::string& topic, const std::string& dataJson,
	bool signWithSuiteKey, const std::string& id)
{
	Event event;
	event.id = id.empty() ? Poco::UUIDGenerator::defaultGenerator().createRandom().toString() : id;
	event.source = "/tests";
	event.type = topic;
	event.tenantId = tenantId;
	event.correlationId = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	Poco::JSON::Parser parser;
	event.data = parser.parse(dataJson).extract<Poco::JSON::Object::Ptr>();
	if (signWithSuiteKey)
		EnvelopeSigner("k1", signingKey(), {}).sign(event, dataJson);
	return CloudEventCodec::encode(event, dataJson);
}

} // namespace test
} // namespace eventbus

namespace eventbus {
namespace test {

// -------------------------------------------------------------------- TcpProxy

TcpProxy::TcpProxy(const std::string& host, unsigned short upstreamPort)
	: _host(host)
	, _upstreamPort(upstreamPort)
	, _server(Poco::Net::SocketAddress("127.0.0.1", 0))
	, _port(_server.address().port())
{
	_thread = std::thread([this]() { run(); });
}

TcpProxy::~TcpProxy()
{
	_stop = true;
	_thread.join();
}

std::string TcpProxy::url() const
{
	return "redis://127.0.0.1:" + std::to_string(_port) + "/0";
}

void TcpProxy::setEnabled(bool enabled)
{
	_enabled = enabled;
	if (enabled)
		return;
	// Synchronous: once this returns, every proxied connection is closed.
	const std::uint64_t generation = ++_generation;
	waitUntil([&]() { return _closedGeneration.load() >= generation; });
}

void TcpProxy::run()
{
	// One thread does everything (accept, forward, cut): no socket is shared
	// between threads.
	struct Pair
	{
		Poco::Net::StreamSocket client;
		Poco::Net::StreamSocket upstream;
	};
	std::vector<Pair> pairs;
	char buffer[64 * 1024];
	auto closePair = [](Pair& pair) {
		pair.client.close();
		pair.upstream.close();
	};
	while (!_stop)
	{
		const std::uint64_t generation = _generation.load();
		if (_closedGeneration.load() != generation)
		{
			for (auto& pair : pairs)
				closePair(pair);
			pairs.clear();
			_closedGeneration = generation;
		}
		Poco::Net::Socket::SocketList readable{_server}, writable, failed;
		for (const auto& pair : pairs)
		{
			readable.push_back(pair.client);
			readable.push_back(pair.upstream);
		}
		try
		{
			if (Poco::Net::Socket::select(readable, writable, failed, Poco::Timespan(10 * 1000)) == 0)
				continue;
		}
		catch (std::exception&)
		{
			continue;
		}
		for (const auto& socket : readable)
		{
			if (socket == _server)
			{
				try
				{
					Poco::Net::StreamSocket client = _server.acceptConnection();
					if (!_enabled)
					{
						client.close();
						continue;
					}
					Poco::Net::StreamSocket upstream;
					try
					{
						upstream.connect(Poco::Net::SocketAddress(_host, _upstreamPort), Poco::Timespan(1, 0));
					}
					catch (std::exception&)
					{
						client.close();
						continue;
					}
					pairs.push_back(Pair{client, upstream});
				}
				catch (std::exception&)
				{
				}
				continue;
			}
			auto pair = std::find_if(pairs.begin(), pairs.end(),
				[&](const Pair& p) { return p.client == socket || p.upstream == socket; });
			if (pair == pairs.end())
				continue;
			try
			{
				const bool fromClient = pair->client == socket;
				Poco::Net::StreamSocket from = fromClient ? pair->client : pair->upstream;
				Poco::Net::StreamSocket to = fromClient ? pair->upstream : pair->client;
				const int n = from.receiveBytes(buffer, sizeof(buffer));
				if (n <= 0)
					throw std::runtime_error("closed");
				sendAll(to, std::string(buffer, static_cast<std::size_t>(n)));
			}
			catch (std::exception&)
			{
				closePair(*pair);
				pairs.erase(pair);
			}
		}
	}
	for (auto& pair : pairs)
		closePair(pair);
}

// -------------------------------------------------------------------- EventLog

Handler EventLog::handler()
{
	return [this](const Event& event) {
		{
			std::lock_guard<std::mutex> lock(_mutex);
			_events.push_back(event);
		}
		_arrived.notify_all();
	};
}

std::vector<Event> EventLog::events() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _events;
}

std::size_t EventLog::size() const
{
	std::lock_guard<std::mutex> lock(_mutex);
	return _events.size();
}

bool EventLog::waitFor(std::size_t count, std::chrono::milliseconds timeout) const
{
	std::unique_lock<std::mutex> lock(_mutex);
	return _arrived.wait_for(lock, timeout, [&]() { return _events.size() >= count; });
}

std::vector<int> EventLog::intField(const std::string& key) const
{
	std::vector<int> values;
	for (const Event& event : events())
		values.push_back(event.data->getValue<int>(key));
	return values;
}

// ------------------------------------------------------------------ LogCapture

class LogCapture::Sink : public Poco::Channel
{
public:
	void log(const Poco::Message& message) override
	{
		std::lock_guard<std::mutex> lock(mutex);
		lines.push_back(message.getText());
	}
	mutable std::mutex mutex;
	std::vector<std::string> lines;
};

LogCapture::LogCapture(const std::string& logger)
	: _name(logger)
	, _sink(new Sink)
{
	Poco::Logger& target = Poco::Logger::get(_name);
	_previous = Poco::AutoPtr<Poco::Channel>(target.getChannel(), true);
	_previousLevel = target.getLevel();
	target.setChannel(_sink);
	target.setLevel(Poco::Message::PRIO_DEBUG);
}

LogCapture::~LogCapture()
{
	Poco::Logger& target = Poco::Logger::get(_name);
	target.setChannel(_previous);
	target.setLevel(_previousLevel);
}

std::vector<std::string> LogCapture::lines() const
{
	std::lock_guard<std::mutex> lock(_sink->mutex);
	return _sink->lines;
}

bool LogCapture::contains(const std::string& text) const
{
	for (const auto& line : lines())
	{
		if (line.find(text) != std::string::npos)
			return true;
	}
	return false;
}

bool LogCapture::waitFor(const std::string& text, std::chrono::milliseconds timeout) const
{
	return waitUntil([&]() { return contains(text); }, timeout);
}

// ---------------------------------------------------------------------------

Poco::AutoPtr<Poco::Util::MapConfiguration> redisConfig(const std::string& url,
	const std::map<std::string, std::string>& overrides)
{
	std::map<std::string, std::string> settings{
		{"eventbus.env", "production"},
		{"eventbus.redis.url", url},
		{"eventbus.redis.connectTimeoutMs", "500"},
		{"eventbus.redis.commandTimeoutMs", "1000"},
		{"eventbus.redis.healthIntervalMs", "200"},
		{"eventbus.redis.healthTimeoutMs", "600"},
		{"eventbus.redis.reconnect.initialMs", "50"},
		{"eventbus.redis.reconnect.maxMs", "500"},
	};
	for (const auto& kv : overrides)
		settings[kv.first] = kv.second;
	return makeConfig("redis", settings);
}

GapCounter::GapCounter(EventBus& bus)
	: _state(std::make_shared<State>())
{
	std::shared_ptr<State> state = _state;
	bus.setGapListener([state](const std::string&, const std::string& reason) {
		std::lock_guard<std::mutex> lock(state->mutex);
		state->reason = reason;
		++state->count;
	});
}

std::size_t GapCounter::count() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	return _state->count;
}

std::string GapCounter::lastReason() const
{
	std::lock_guard<std::mutex> lock(_state->mutex);
	return _state->reason;
}

} // namespace test
} // namespace eventbus

// ------------------------------------------------------------ Redis ACL users

#include <Poco/URI.h>

namespace eventbus {
namespace test {

std::vector<std::string> aclUserArgs(const std::string& user, const std::vector<std::string>& rules)
{
	std::vector<std::string> args{"--user", user};
	args.insert(args.end(), rules.begin(), rules.end());
	return args;
}

std::string aclUrl(const RedisServer& server, const std::string& user, const std::string& password)
{
	std::string userPart, passwordPart;
	Poco::URI::encode(user, ":@/?#[]%", userPart);
	Poco::URI::encode(password, ":@/?#[]%", passwordPart);
	return "redis://" + userPart + ":" + passwordPart + "@" + server.endpoint() + "/0";
}

void aclSetUser(const RedisServer& server, const std::string& user, const std::vector<std::string>& rules)
{
	std::vector<std::string> argv{"ACL", "SETUSER", user};
	argv.insert(argv.end(), rules.begin(), rules.end());
	RedisValue reply = server.command(argv);
	if (reply.isError())
		throw std::runtime_error("ACL SETUSER " + user + " failed: " + reply.str);
}

long long aclLogCount(const RedisServer& server, const std::string& user, const std::string& reason,
	const std::string& object)
{
	RedisValue log = server.command({"ACL", "LOG", "128"});
	if (log.type != RedisValue::Array)
		throw std::runtime_error("ACL LOG: unexpected reply " + log.str);
	long long total = 0;
	for (const auto& entry : log.elements)
	{
		std::map<std::string, const RedisValue*> fields;
		for (std::size_t i = 0; i + 1 < entry.elements.size(); i += 2)
			fields[entry.elements[i].str] = &entry.elements[i + 1];
		auto field = [&](const char* name) { return fields.count(name) ? fields[name]->str : std::string(); };
		if (field("username") == user && field("reason") == reason && (object.empty() || field("object") == object))
			total += fields.count("count") ? fields["count"]->integer : 0;
	}
	return total;
}

long long clientsOf(const RedisServer& server, const std::string& user)
{
	const std::string list = server.command({"CLIENT", "LIST"}).str;
	std::istringstream lines(list);
	std::string line;
	long long count = 0;
	while (std::getline(lines, line))
	{
		if (line.find(" user=" + user + " ") != std::string::npos)
			++count;
	}
	return count;
}

std::vector<long long> clientIdsOf(const RedisServer& server, const std::string& user)
{
	const std::string list = server.command({"CLIENT", "LIST"}).str;
	std::istringstream lines(list);
	std::string line;
	std::vector<long long> ids;
	while (std::getline(lines, line))
	{
		if (line.compare(0, 3, "id=") == 0 && line.find(" user=" + user + " ") != std::string::npos)
			ids.push_back(Poco::NumberParser::parse64(line.substr(3, line.find(' ') - 3)));
	}
	std::sort(ids.begin(), ids.end());
	return ids;
}

long long publishRaw(const RedisServer& server, const std::string& channel, const std::string& payload)
{
	RedisValue reply = server.command({"PUBLISH", channel, payload});
	if (reply.isError())
		throw std::runtime_error("PUBLISH " + channel + " failed: " + reply.str);
	return reply.integer;
}

} // namespace test
} // namespace eventbus

namespace eventbus {
namespace test {

namespace {

std::string executable(const std::string& path, const std::string& name)
{
	return Poco::File(path).exists() ? path : name;
}

void writeText(const std::string& path, const std::string& text)
{
	Poco::FileOutputStream out(path);
	out << text;
	out.close();
}

} // namespace

// ------------------------------------------------------------ TestCertificates

TestCertificates::TestCertificates()
{
	dir = Poco::TemporaryFile::tempName();
	Poco::File(dir).createDirectories();
	try
	{
		makeCa("ca", "/CN=eventbus test CA");
		makeCa("other-ca", "/CN=eventbus unrelated CA");
		const std::string server = "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
		const std::string client = "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
		makeSigned("server", "ca", "/CN=eventbus test server", server + "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
		makeSigned("client", "ca", "/CN=eventbus test client", client);
		makeSigned("other-client", "other-ca", "/CN=eventbus unrelated client", client);
		makeSigned("wrong-name", "ca", "/CN=wrong-name.invalid", server + "subjectAltName=DNS:wrong-name.invalid\n");
		// -days -1: valid from now until a day ago, i.e. expired.
		makeSigned("expired", "ca", "/CN=eventbus expired server", server + "subjectAltName=IP:127.0.0.1,DNS:localhost\n", "-1");
		encryptedClientKey = dir + "/client-encrypted.key";
		openssl({"pkey", "-in", dir + "/client.key", "-aes256", "-passout", "pass:not-given", "-out", encryptedClientKey});
		notPemFile = dir + "/not-a-certificate.pem";
		writeText(notPemFile, "this is no certificate\n");
	}
	catch (...)
	{
		Poco::File(dir).remove(true);
		throw;
	}
	caFile = dir + "/ca.crt";
	serverCert = dir + "/server.crt";
	serverKey = dir + "/server.key";
	clientCert = dir + "/client.crt";
	clientKey = dir + "/client.key";
	otherCaFile = dir + "/other-ca.crt";
	otherClientCert = dir + "/other-client.crt";
	otherClientKey = dir + "/other-client.key";
	wrongNameCert = dir + "/wrong-name.crt";
	wrongNameKey = dir + "/wrong-name.key";
	expiredCert = dir + "/expired.crt";
	expiredKey = dir + "/expired.key";
}

TestCertificates::~TestCertificates()
{
	try
	{
		Poco::File(dir).remove(true);
	}
	catch (...)
	{
	}
}

void TestCertificates::openssl(const std::vector<std::string>& args) const
{
	CommandResult result = runCommand(executable("/usr/bin/openssl", "openssl"), args, "", std::chrono::milliseconds(20000));
	if (result.exitCode != 0)
	{
		throw std::runtime_error("openssl " + (args.empty() ? std::string() : args[0]) + " failed (exit "
			+ std::to_string(result.exitCode) + "): " + result.err);
	}
}

void TestCertificates::makeCa(const std::string& name, const std::string& subject)
{
	openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		"-keyout", dir + "/" + name + ".key", "-out", dir + "/" + name + ".crt", "-days", "2", "-subj", subject,
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
}

void TestCertificates::makeSigned(const std::string& name, const std::string& ca, const std::string& subject,
	const std::string& extensions, const std::string& days)
{
	static std::atomic<int> serial{1000};
	const std::string base = dir + "/" + name;
	openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		"-keyout", base + ".key", "-out", base + ".csr", "-subj", subject});
	writeText(base + ".ext", extensions);
	openssl({"x509", "-req", "-in", base + ".csr", "-CA", dir + "/" + ca + ".crt", "-CAkey", dir + "/" + ca + ".key",
		"-set_serial", std::to_string(++serial), "-days", days, "-extfile", base + ".ext", "-out", base + ".crt"});
}

// -------------------------------------------------------------- TlsRedisServer

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
