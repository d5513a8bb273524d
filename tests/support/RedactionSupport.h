//
// RedactionSupport.h
//
// What the redaction suites share: payloads full of sensitive keys whose
// values are unique canaries, a check that no canary appears in a text, and
// a Poco channel that captures every logger of the process at trace level.
//
#pragma once

#include "eventbus/Redactor.h"
#include <cppunit/TestAssert.h>
#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Channel.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <map>
#include <mutex>
#include <string>
#include <typeinfo>
#include <vector>

namespace eventbus {
namespace test {

/// Every sensitive value is `CANARY-<n>-secret`, or one of these numbers; a
/// value spelt with a JSON escape (`\u0043ANARY-...`) still holds "ANARY-".
const char* const CanaryNumbers[] = {"9182736450123", "9182736450124", "7319462851"};

/// Empty when `text` holds no canary; else the canary and where it is.
inline std::string canaryIn(const std::string& text)
{
	std::vector<std::string> needles{"CANARY", "ANARY-", "canary"};
	for (const char* n : CanaryNumbers) needles.push_back(n);
	for (const auto& needle : needles)
	{
		const std::size_t at = text.find(needle);
		if (at != std::string::npos)
		{
			const std::size_t from = at > 120 ? at - 120 : 0;
			return "'" + needle + "' at " + std::to_string(at) + " in: ..." + text.substr(from, 240) + "...";
		}
	}
	return std::string();
}

/// Small JSON objects (each under 1 KiB, each secret near its start), one
/// per form a secret may take: mixed case, nested objects and arrays, arrays
/// of objects, deep nesting, keys spelt with JSON escapes, JSON text escaped
/// into a string, key=value text in a string, numbers, and every key of
/// Redactor::defaultKeys() in lower case, upper case and as a suffix.
/// Every fragment also holds a harmless marker "VISIBLE-<n>".
inline std::vector<std::string> secretFragments()
{
	std::vector<std::string> f;
	f.push_back(R"({"visible":"VISIBLE-1","password":"CANARY-1-secret","PassWord":"CANARY-2-secret"})");
	f.push_back(R"({"visible":"VISIBLE-2","api_key":{"nested":"CANARY-3-secret","deeper":{"x":["CANARY-4-secret"]}},)"
		R"("API_KEY":["CANARY-5-secret",{"k":"CANARY-6-secret"}]})");
	f.push_back(R"({"visible":"VISIBLE-3","Authorization":"Bearer CANARY-7-secret",)"
		R"("authorization":{"scheme":"Bearer","value":"CANARY-8-secret"}})");
	f.push_back(R"({"visible":"VISIBLE-4","items":[{"sku":"A","token":"CANARY-9-secret"},{"Token":{"v":"CANARY-10-secret"}},)"
		R"([[{"ACCESS_TOKEN":"CANARY-11-secret"}]]]})");
	f.push_back(R"({"visible":"VISIBLE-5","pass\u0077ord":"CANARY-12-secret","\u0074oken":["CANARY-13-secret"],)"
		R"("\u0041PI_KEY":"\u0043ANARY-14-secret"})");
	f.push_back(R"({"visible":"VISIBLE-6","embedded":"{\"password\":\"CANARY-15-secret\",\"token\":{\"a\":\"CANARY-16-secret\"}}",)"
		R"("query":"user=bob&token=CANARY-17-secret&x=1"})");
	f.push_back(R"({"visible":"VISIBLE-7","cvv":9182736450123,"pin":0.7319462851093,"secret":{"n":9182736450124},)"
		R"("ssn":true,"credentials":null})");
	{
		std::string deep = R"({"visible":"VISIBLE-8",)";
		std::string close;
		for (int i = 0; i < 40; ++i)
		{
			deep += "\"l" + std::to_string(i) + "\":{";
			close += "}";
		}
		deep += R"("secret":"CANARY-18-secret","v":"VISIBLE-deep")" + close + "}";
		f.push_back(deep);
	}
	int n = 100;
	int visible = 100;
	for (const auto& key : Redactor::defaultKeys())
	{
		std::string upper;
		for (char c : key) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
		f.push_back("{\"visible\":\"VISIBLE-" + std::to_string(visible++) + "\",\"" + key + "\":\"CANARY-"
			+ std::to_string(n) + "-secret\",\"" + upper + "\":[\"CANARY-" + std::to_string(n + 1)
			+ "-secret\"],\"list\":[{\"db_" + key + "\":{\"v\":\"CANARY-" + std::to_string(n + 2) + "-secret\"}}]}");
		n += 3;
	}
	return f;
}

/// Every fragment as the member "f<i>" of one object (more than 2 KiB).
inline std::string combinedPayload()
{
	std::string out = "{";
	const auto fragments = secretFragments();
	for (std::size_t i = 0; i < fragments.size(); ++i)
		out += (i ? "," : "") + std::string("\"f") + std::to_string(i) + "\":" + fragments[i];
	return out + "}";
}

inline Poco::JSON::Object::Ptr parseObject(const std::string& json)
{
	Poco::JSON::Parser parser;
	return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

/// Captures every message logged through it, thread-safe.
class CaptureChannel: public Poco::Channel
{
public:
	void log(const Poco::Message& message) override
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_lines.push_back(message.getSource() + " [" + std::to_string(static_cast<int>(message.getPriority())) + "] "
			+ message.getText());
	}
	std::vector<std::string> lines() const
	{
		std::lock_guard<std::mutex> lock(_mutex);
		return _lines;
	}
	std::string text() const
	{
		std::string all;
		for (const auto& line : lines()) all += line + "\n";
		return all;
	}
	bool contains(const std::string& part) const
	{
		return text().find(part) != std::string::npos;
	}
	void clear()
	{
		std::lock_guard<std::mutex> lock(_mutex);
		_lines.clear();
	}
private:
	mutable std::mutex _mutex;
	std::vector<std::string> _lines;
};

/// While it lives, the root logger and every logger that exists get a
/// CaptureChannel and level trace; loggers made later inherit both from the
/// root. Restores every logger when it goes. Create it before any bus and let
/// it go after the last one (Poco swaps channels without a lock).
class TraceEverything
{
public:
	TraceEverything(): _channel(new CaptureChannel)
	{
		std::vector<std::string> names;
		Poco::Logger::names(names);
		names.push_back(std::string()); // the root
		for (const auto& name : names)
		{
			Poco::Logger& logger = Poco::Logger::get(name);
			_saved[name] = Saved{logger.getChannel(), logger.getLevel()};
		}
		Poco::Logger::setChannel("", _channel);
		Poco::Logger::setLevel("", Poco::Message::PRIO_TRACE);
	}
	~TraceEverything()
	{
		const Saved& root = _saved[std::string()];
		std::vector<std::string> names;
		Poco::Logger::names(names);
		for (const auto& name : names)
		{
			auto it = _saved.find(name);
			const Saved& s = it == _saved.end() ? root : it->second;
			Poco::Logger& logger = Poco::Logger::get(name);
			logger.setChannel(s.channel);
			logger.setLevel(s.level);
		}
		Poco::Logger::root().setChannel(root.channel);
		Poco::Logger::root().setLevel(root.level);
	}
	TraceEverything(const TraceEverything&) = delete;
	TraceEverything& operator=(const TraceEverything&) = delete;

	CaptureChannel& capture() { return *_channel; }

private:
	struct Saved
	{
		Poco::Channel::Ptr channel;
		int level = 0;
	};
	Poco::AutoPtr<CaptureChannel> _channel;
	std::map<std::string, Saved> _saved;
};

inline void assertClean(const std::string& text, const std::string& where)
{
	const std::string found = canaryIn(text);
	CPPUNIT_ASSERT_MESSAGE(where + ": leaked " + found, found.empty());
}

/// Calls `f`, which must throw E; checks message(), displayText() and what()
/// (and any nested exception) for canaries; returns displayText().
template <class E, class F>
std::string refusal(const std::string& where, F f)
{
	try
	{
		f();
	}
	catch (E& exc)
	{
		assertClean(exc.message(), where + " message()");
		assertClean(exc.displayText(), where + " displayText()");
		assertClean(exc.what(), where + " what()");
		for (const Poco::Exception* nested = exc.nested(); nested; nested = nested->nested())
			assertClean(nested->displayText(), where + " nested");
		return exc.displayText();
	}
	catch (Poco::Exception& exc)
	{
		CPPUNIT_FAIL(where + ": expected " + typeid(E).name() + ", got " + canaryIn(exc.displayText()));
	}
	catch (std::exception& exc)
	{
		CPPUNIT_FAIL(where + ": expected " + typeid(E).name() + ", got std::exception " + canaryIn(exc.what()));
	}
	CPPUNIT_FAIL(where + ": expected " + typeid(E).name() + ", nothing was thrown");
	return std::string();
}

} // namespace test
} // namespace eventbus
