//
// BenchOptions.cpp
//
#include "BenchOptions.h"
#include <Poco/NumberParser.h>
#include <Poco/StringTokenizer.h>
#include <stdexcept>

namespace eventbus {
namespace bench {

namespace {

long long number(const std::string& option, const std::string& text, long long min, long long max)
{
	Poco::Int64 value = 0;
	if (!Poco::NumberParser::tryParse64(text, value) || value < min || value > max)
		throw std::invalid_argument(option + ": '" + text + "' is not an integer in [" + std::to_string(min) + ", "
			+ std::to_string(max) + "]");
	return value;
}

} // namespace

std::string BenchOptions::usage()
{
	return "usage: eventbus-bench [options]\n"
		"Measures the bus against raw hiredis in one run and prints a table (or JSON).\n"
		"  --events N          events per throughput row and round (default 50000)\n"
		"  --payload-bytes B   size of the JSON payload (default 256)\n"
		"  --batch K           commands per pipelined round trip, raw and bus (default 64)\n"
		"  --rounds R          rounds; throughput = best round, latency pools the rounds (default 3)\n"
		"  --rate R            events/s of the latency rows (default 1000)\n"
		"  --latency-events N  samples per latency row (default 6000)\n"
		"  --only ROW[,ROW]    rows (or prefixes: raw, redis, streams, memory, loopback, latency) and their baselines\n"
		"  --redis-url URL     use this server (redis://host:port); default: start redis-server on a free port\n"
		"  --duration S        soak mode: publish on memory with a subscriber for S seconds, report RSS and losses\n"
		"  --plugins DIR       the plugins folder (default: the build tree's)\n"
		"  --sign-all          sign envelopes on every Redis row (default: the e2e and latency rows)\n"
		"  --json              print JSON instead of the table\n";
}

BenchOptions BenchOptions::parse(int argc, char** argv)
{
	BenchOptions o;
	o.pluginDir = EVENTBUS_BENCH_PLUGIN_DIR;
	for (int i = 1; i < argc; ++i)
	{
		std::string arg = argv[i];
		std::string value;
		std::size_t eq = arg.find('=');
		bool inlineValue = arg.compare(0, 2, "--") == 0 && eq != std::string::npos;
		if (inlineValue)
		{
			value = arg.substr(eq + 1);
			arg = arg.substr(0, eq);
		}
		auto next = [&]() -> std::string {
			if (inlineValue) return value;
			if (i + 1 >= argc) throw std::invalid_argument(arg + ": missing value");
			return argv[++i];
		};
		if (arg == "--help" || arg == "-h") o.help = true;
		else if (arg == "--json") o.json = true;
		else if (arg == "--sign-all") o.signAll = true;
		else if (arg == "--events") o.events = static_cast<std::size_t>(number(arg, next(), 100, 100000000));
		else if (arg == "--payload-bytes") o.payloadBytes = static_cast<std::size_t>(number(arg, next(), 16, 1024 * 1024));
		else if (arg == "--batch") o.batch = static_cast<std::size_t>(number(arg, next(), 1, 100000));
		else if (arg == "--rounds") o.rounds = static_cast<int>(number(arg, next(), 1, 100));
		else if (arg == "--rate") o.rate = static_cast<int>(number(arg, next(), 1, 1000000));
		else if (arg == "--latency-events") o.latencyEvents = static_cast<std::size_t>(number(arg, next(), 100, 10000000));
		else if (arg == "--duration") o.durationSeconds = static_cast<int>(number(arg, next(), 1, 7 * 24 * 3600));
		else if (arg == "--redis-url") o.redisUrl = next();
		else if (arg == "--plugins") o.pluginDir = next();
		else if (arg == "--only")
		{
			Poco::StringTokenizer rows(next(), ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
			o.only.insert(o.only.end(), rows.begin(), rows.end());
		}
		else throw std::invalid_argument("unknown option '" + arg + "'");
	}
	return o;
}

bool BenchOptions::wants(const std::string& row) const
{
	if (only.empty()) return true;
	for (const auto& name : only)
	{
		if (row == name || row.compare(0, name.size() + 1, name + "-") == 0) return true;
		// "latency" selects raw-latency and redis-latency
		if (row.size() > name.size() && row.compare(row.size() - name.size(), name.size(), name) == 0
			&& row[row.size() - name.size() - 1] == '-')
			return true;
	}
	return false;
}

} // namespace bench
} // namespace eventbus
