//
// main.cpp
//
// eventbus-bench: the bus against raw hiredis, side by side in one run.
// See docs/performance.md for what the rows mean and the figures of a run.
//
#include "BenchOptions.h"
#include "BusRuns.h"
#include "PocoRedisBaselines.h"
#include "RawBaselines.h"
#include "RawRedis.h"
#include "RedisClusterDeployment.h"
#include "RedisServer.h"
#include "Report.h"
#include "Soak.h"
#include "StreamsRuns.h"
#include "Workload.h"
#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/Logger.h>
#include <Poco/Version.h>
#include <cmath>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

using namespace eventbus;
using namespace eventbus::bench;

namespace {

struct RowSpec
{
	Row row;
	bool needsRedis = false;
	std::function<Measurement(std::size_t events)> run;
};

std::string versionOfPoco()
{
	const unsigned v = POCO_VERSION;
	return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 0xff) + "." + std::to_string((v >> 8) & 0xff);
}

Row makeRow(const std::string& name, const std::string& description, const std::string& baseline = "",
	Target target = Target::None, double ratio = 0, bool latency = false)
{
	Row row;
	row.name = name;
	row.description = description;
	row.baseline = baseline;
	row.target = target;
	row.targetRatio = ratio;
	row.latencyRow = latency;
	return row;
}

std::string commandLine(int argc, char** argv)
{
	std::string out = "eventbus-bench";
	for (int i = 1; i < argc; ++i) out += std::string(" ") + argv[i];
	return out;
}

} // namespace

int main(int argc, char** argv)
{
	BenchOptions options;
	try
	{
		options = BenchOptions::parse(argc, argv);
	}
	catch (std::exception& exc)
	{
		std::cerr << "eventbus-bench: " << exc.what() << "\n" << BenchOptions::usage();
		return 2;
	}
	if (options.help)
	{
		std::cout << BenchOptions::usage();
		return 0;
	}
	// Warnings and errors of the bus reach stderr; nothing per event is logged at that level.
	Poco::Logger::root().setChannel(new Poco::ConsoleChannel(std::cerr));
	Poco::Logger::root().setLevel("warning");
	Poco::Logger::get("eventbus.bus").setLevel("warning");

	Workload workload = Workload::make(options.payloadBytes);
	if (options.durationSeconds > 0)
	{
		SoakResult result = runSoak(options, std::cerr);
		printSoak(result, options, options.json, std::cout);
		return result.ok() ? 0 : 1;
	}

	const std::string redisEnv = "production";
	const std::string redisChannel = Workload::channel(redisEnv);
	// Raw rows publish the very bytes the bus sends: the envelope of the same
	// payload, signed where the bus row they are compared with signs.
	const std::string signedWire = workload.wire(true);
	const std::string publishWire = options.signAll ? signedWire : workload.wire(false);
	const std::size_t asyncWindow = std::max<std::size_t>(options.batch * 4, 256);
	const std::size_t maxInFlight = 4000; // below the Redis transport's delivery queue (10000)

	std::unique_ptr<test::RedisServer> server; // tests/support: a redis-server of our own
	RedisAddress address;
	std::string redisUrl = options.redisUrl;
	std::string redisFailure;

	BusRuns bus(workload);
	// Env production, as deployed. It requires signed envelopes unless told
	// otherwise: the publish-only rows measure the publish path as the issue
	// defines it (unsigned unless --sign-all); e2e and latency rows sign and verify.
	auto redisConfig = [&](bool sign) {
		std::map<std::string, std::string> keys{
			{"eventbus.redis.url", redisUrl},
			{"eventbus.redis.pipeline.maxBatch", std::to_string(options.batch)}};
		if (sign || options.signAll) keys["eventbus.security.signing.key"] = Workload::SigningKey;
		else keys["eventbus.security.signing.required"] = "false";
		return busConfig(options, "redis", redisEnv, keys);
	};
	auto memoryConfig = [&](const std::string& transport, bool chain) {
		std::map<std::string, std::string> keys;
		if (!chain) keys["eventbus.middleware"] = "";
		return busConfig(options, transport, "test", keys);
	};
	// The cluster rows: a 3+3 Redis Cluster of the bench's own, started at the
	// first cluster row (not timed), the same workload on one channel (one
	// owning master): what routing and sharded Pub/Sub cost against one server.
	std::unique_ptr<test::RedisClusterDeployment> cluster;
	auto clusterConfig = [&](bool sign) {
		if (!cluster) cluster.reset(new test::RedisClusterDeployment);
		std::map<std::string, std::string> keys{
			{"eventbus.redis.url", "redis://127.0.0.1:1/0"},
			{"eventbus.redis.cluster.nodes", cluster->seedNodes()},
			{"eventbus.redis.pipeline.maxBatch", std::to_string(options.batch)}};
		if (sign || options.signAll) keys["eventbus.security.signing.key"] = Workload::SigningKey;
		else keys["eventbus.security.signing.required"] = "false";
		return busConfig(options, "redis", redisEnv, keys);
	};
	std::unique_ptr<RawRedis> raw;
	// Every run of a streams row on a stream of its own, deleted afterwards.
	StreamsRuns streams(bus, options, redisEnv);

	std::vector<RowSpec> specs;
	specs.push_back({makeRow("raw-sync", "hiredis redisCommand(PUBLISH) loop on one connection, the bus's envelope bytes"),
		true, [&](std::size_t n) { return raw->publishSync(redisChannel, publishWire, n); }});
	specs.push_back({makeRow("redis-sync", std::string("EventBus::publish over redis, full chain, each PUBLISH confirmed") + (options.signAll ? ", signed" : ""),
		"raw-sync", Target::ThroughputAtLeast, 0.90),
		true, [&](std::size_t n) { return bus.publishSync(*redisConfig(false), n); }});
	specs.push_back({makeRow("poco-redis-sync", "Poco::Redis::Client::execute(PUBLISH) loop on one connection, the bus's envelope bytes: what a Poco user writes by hand",
		"raw-sync"),
		true, [&](std::size_t n) { return PocoRedisBaselines::publishSync(address, redisChannel, publishWire, n); }});
	specs.push_back({makeRow("raw-pipelined", "hiredis redisAppendCommand x batch, then redisGetReply x batch, one connection"),
		true, [&](std::size_t n) { return raw->publishPipelined(redisChannel, publishWire, n, options.batch); }});
	specs.push_back({makeRow("poco-redis-pipelined", "Poco::Redis::Client::sendCommands with batch PUBLISHes per call, one connection",
		"raw-pipelined"),
		true, [&](std::size_t n) { return PocoRedisBaselines::publishPipelined(address, redisChannel, publishWire, n, options.batch); }});
	specs.push_back({makeRow("redis-async", std::string("EventBus::publishAsync over redis, full chain, every future collected") + (options.signAll ? ", signed" : ""),
		"raw-pipelined", Target::ThroughputAtLeast, 0.80),
		true, [&](std::size_t n) { return bus.publishAsync(*redisConfig(false), n, asyncWindow); }});
	specs.push_back({makeRow("redis-async-callback", "the callback form of EventBus::publishAsync over redis (no future per event), full chain",
		"raw-pipelined", Target::ThroughputAtLeast, 0.80),
		true, [&](std::size_t n) { return bus.publishAsyncCallback(*redisConfig(false), n, asyncWindow); }});
	specs.push_back({makeRow("raw-e2e", "hiredis PUBLISH pipelined x batch on one connection -> a SUBSCRIBEd hiredis reader thread in this process, counting what arrives"),
		true, [&](std::size_t n) { return RawBaselines::redisEndToEnd(address, redisChannel, signedWire, n, options.batch, maxInFlight); }});
	specs.push_back({makeRow("redis-e2e", "publishAsync -> handler in this process over redis: signed, decoded, verified, full chain both ways",
		"raw-e2e", Target::ThroughputAtLeast, 0.70),
		true, [&](std::size_t n) { return bus.endToEnd(*redisConfig(true), n, true, asyncWindow, maxInFlight); }});
	specs.push_back({makeRow("redis-e2e-text", "redis-e2e publishing the payload's JSON text (checked, carried as it came, no object built on either side)",
		"raw-e2e"),
		true, [&](std::size_t n) { return bus.endToEnd(*redisConfig(true), n, true, asyncWindow, maxInFlight, true); }});
	specs.push_back({makeRow("cluster-async", "EventBus::publishAsync over redis on a 3-master Redis Cluster (SPUBLISH to the channel's owner), full chain",
		"redis-async"),
		true, [&](std::size_t n) { return bus.publishAsync(*clusterConfig(false), n, asyncWindow); }});
	specs.push_back({makeRow("cluster-e2e", "publishAsync -> handler over redis on a 3-master Redis Cluster (SPUBLISH, SSUBSCRIBE on the owner), signed and verified",
		"redis-e2e"),
		true, [&](std::size_t n) { return bus.endToEnd(*clusterConfig(true), n, true, asyncWindow, maxInFlight); }});
	// Resubscription: 10,000 channels subscribed, the bench's server restarted
	// (only when the bench started it), the time until the server counts them
	// all again. The bench's own connections are opened anew after it.
	specs.push_back({makeRow("redis-resubscribe-10k", "redis: 10,000 channels subscribed, redis-server restarted: channels subscribed again per second of the recovery (kill, start, reconnect backoff, SUBSCRIBE)"),
		true, [&](std::size_t) {
			if (!server) throw std::runtime_error("needs the bench's own redis-server (no --redis-url)");
			auto count = [&]() -> std::size_t {
				try
				{
					RawRedis probe(address);
					RawRedis::ReplyPtr channels = probe.command("EVAL %s 0",
						"return #redis.call('PUBSUB', 'CHANNELS', '*.resub-*')");
					return channels && channels->type == REDIS_REPLY_INTEGER ? static_cast<std::size_t>(channels->integer) : 0;
				}
				catch (std::exception&)
				{
					return 0; // down: restarting
				}
			};
			Measurement m = bus.resubscribe(*redisConfig(false), 10000, [&]() { server->restart(); }, count);
			raw.reset(new RawRedis(address));
			streams.connect(address, redisUrl);
			return m;
		}});
	specs.push_back({makeRow("raw-xadd-sync", "hiredis redisCommand(XADD key MAXLEN ~ 100000 * e ...) loop on one connection, the bus's envelope bytes"),
		true, [&](std::size_t n) { return streams.rawSync(publishWire, n); }});
	specs.push_back({makeRow("streams-sync", std::string("EventBus::publish over redis-streams, full chain, each XADD confirmed") + (options.signAll ? ", signed" : ""),
		"raw-xadd-sync"),
		true, [&](std::size_t n) { return streams.busSync(n); }});
	specs.push_back({makeRow("raw-xadd-pipelined", "hiredis redisAppendCommand(XADD) x batch, then redisGetReply x batch, one connection"),
		true, [&](std::size_t n) { return streams.rawPipelined(publishWire, n); }});
	specs.push_back({makeRow("streams-async", std::string("EventBus::publishAsync over redis-streams, full chain, every future collected") + (options.signAll ? ", signed" : ""),
		"raw-xadd-pipelined"),
		true, [&](std::size_t n) { return streams.busAsync(n, asyncWindow); }});
	specs.push_back({makeRow("raw-xreadgroup-ack", "hiredis XADD x batch on one connection; a reader thread on another: XREADGROUP COUNT batch BLOCK 100, one XACK per batch"),
		true, [&](std::size_t n) { return streams.rawReadGroupAck(signedWire, n, maxInFlight); }});
	specs.push_back({makeRow("streams-e2e", "publishAsync -> handler in this process over redis-streams, consumer group, XACK after the handler: signed, verified, full chain both ways",
		"raw-xreadgroup-ack"),
		true, [&](std::size_t n) { return streams.busEndToEnd(n, asyncWindow, maxInFlight); }});
	auto clusterSeeds = [&]() {
		if (!cluster) cluster.reset(new test::RedisClusterDeployment);
		return cluster->seedNodes();
	};
	specs.push_back({makeRow("cluster-streams-async", "EventBus::publishAsync over redis-streams on a 3-master Redis Cluster (XADD to the stream's owner), full chain",
		"streams-async"),
		true, [&](std::size_t n) { return streams.clusterAsync(clusterSeeds(), n, asyncWindow); }});
	specs.push_back({makeRow("cluster-streams-e2e", "publishAsync -> handler over redis-streams on a 3-master Redis Cluster (a reader per master, XACK after the handler), signed and verified",
		"streams-e2e"),
		true, [&](std::size_t n) { return streams.clusterEndToEnd(clusterSeeds(), n, asyncWindow, maxInFlight); }});
	specs.push_back({makeRow("raw-queue", "std::mutex + std::condition_variable queue: one thread hands payload strings (the workload's JSON) to another, which counts them"),
		false, [&](std::size_t n) { return RawBaselines::queue(workload.payloadJson, n, maxInFlight); }});
	specs.push_back({makeRow("memory-none", "memory: publish -> handler, eventbus.middleware= (no middleware)",
		"raw-queue", Target::ThroughputAtLeast, 0.50),
		false, [&](std::size_t n) { return bus.endToEnd(*memoryConfig("memory", false), n, false, 0, maxInFlight); }});
	specs.push_back({makeRow("memory-full", "memory: publish -> handler, default chain tenant-guard,redaction,idempotency,metrics",
		"raw-queue", Target::ThroughputAtLeast, 0.30),
		false, [&](std::size_t n) { return bus.endToEnd(*memoryConfig("memory", true), n, false, 0, maxInFlight); }});
	specs.push_back({makeRow("memory-none-text", "memory-none publishing the payload's JSON text: checked, carried as it came, no object built",
		"raw-queue"),
		false, [&](std::size_t n) { return bus.endToEnd(*memoryConfig("memory", false), n, false, 0, maxInFlight, true); }});
	specs.push_back({makeRow("memory-full-text", "memory-full publishing the payload's JSON text (redaction counts on the text)",
		"raw-queue"),
		false, [&](std::size_t n) { return bus.endToEnd(*memoryConfig("memory", true), n, false, 0, maxInFlight, true); }});
	// Scale: fan-out to 1, 10, 100 subscriptions of one channel, and one
	// subscription among 10,000 unrelated ones (other tenants): what a
	// publish costs as the work grows, on the memory transport.
	specs.push_back({makeRow("memory-fanout-1", "memory, default chain: publish -> 1 subscription (the fan-out rows' baseline)"),
		false, [&](std::size_t n) { return bus.fanOut(*memoryConfig("memory", true), n, 1, 0, maxInFlight); }});
	for (std::size_t fan : {10, 100})
	{
		specs.push_back({makeRow("memory-fanout-" + std::to_string(fan), "memory, default chain: publish -> "
			+ std::to_string(fan) + " subscriptions of the channel, events/s of publishes", "memory-fanout-1"),
			false, [&, fan](std::size_t n) { return bus.fanOut(*memoryConfig("memory", true), std::max<std::size_t>(n / fan, 100), fan, 0, maxInFlight); }});
	}
	specs.push_back({makeRow("memory-10k-unrelated", "memory, default chain: publish -> 1 subscription while 10,000 subscriptions of other tenants exist (should stay ~1.0)",
		"memory-fanout-1"),
		false, [&](std::size_t n) { return bus.fanOut(*memoryConfig("memory", true), n, 1, 10000, maxInFlight); }});
	specs.push_back({makeRow("memory-1000x10", "memory, default chain: 1,000 tenants x 10 topics subscribed (one subscription per channel), publishes round-robin over the 10,000 channels (should stay ~1.0)",
		"memory-fanout-1"),
		false, [&](std::size_t n) { return bus.roundRobin(*memoryConfig("memory", true), n, 1000, 10, maxInFlight); }});
	specs.push_back({makeRow("loopback-none", "loopback: publish -> encode -> decode -> handler, no middleware", "raw-queue"),
		false, [&](std::size_t n) { return bus.endToEnd(*memoryConfig("loopback", false), n, false, 0, maxInFlight); }});
	specs.push_back({makeRow("loopback-full", "loopback: the same through the default chain", "loopback-none"),
		false, [&](std::size_t n) { return bus.endToEnd(*memoryConfig("loopback", true), n, false, 0, maxInFlight); }});
	specs.push_back({makeRow("bus-overhead", "publish() through the default chain into a transport that drops it: the bus's own cost per event (unsigned)"),
		false, [&](std::size_t n) { return bus.publishDiscarded(*memoryConfig("discard", true), n); }});
	// The chain's cost per middleware: publish() into the dropping transport
	// with no middleware, then with each built-in alone; the report's
	// "chain cost per publish" note gives each one's ns/event over chain-none.
	static const char* const ChainMembers[] = {"tenant-guard", "redaction", "idempotency", "metrics"};
	auto chainConfig = [&](const std::string& middleware) {
		return busConfig(options, "discard", "test", {{"eventbus.middleware", middleware}});
	};
	specs.push_back({makeRow("chain-none", "publish() into a transport that drops it, eventbus.middleware= (none): the baseline of the chain-* rows"),
		false, [&](std::size_t n) { return bus.publishDiscarded(*chainConfig(""), n); }});
	for (const char* member : ChainMembers)
	{
		specs.push_back({makeRow(std::string("chain-") + member,
			std::string("chain-none with eventbus.middleware=") + member + " alone", "chain-none"),
			false, [&, member](std::size_t n) { return bus.publishDiscarded(*chainConfig(member), n); }});
	}
	specs.push_back({makeRow("decode-verify", "decode + verify of the signed envelope in one thread: the subscriber's own cost per event"),
		false, [&](std::size_t n) { return bus.decodeVerify(n); }});
	specs.push_back({makeRow("raw-latency", "hiredis PUBLISH -> a raw SUBSCRIBE connection's reader thread, at --rate",
		"", Target::None, 0, true),
		true, [&](std::size_t n) { return RawRedis::roundTrip(address, redisChannel, signedWire, n, options.rate); }});
	specs.push_back({makeRow("redis-latency", "EventBus::publish -> handler over redis at --rate, signed and verified, full chain",
		"raw-latency", Target::P99AtMost, 2.0, true),
		true, [&](std::size_t n) { return bus.roundTrip(*redisConfig(true), n, options.rate); }});

	// A selected row brings its baseline along.
	std::vector<bool> selected(specs.size(), false);
	for (std::size_t i = 0; i < specs.size(); ++i)
	{
		if (!options.wants(specs[i].row.name)) continue;
		selected[i] = true;
		for (std::size_t j = 0; j < specs.size(); ++j)
			if (specs[j].row.name == specs[i].row.baseline) selected[j] = true;
	}
	bool needsRedis = false;
	for (std::size_t i = 0; i < specs.size(); ++i) needsRedis = needsRedis || (selected[i] && specs[i].needsRedis);

	Report report;
	report.note("command", commandLine(argc, argv));
	report.note("machine", std::to_string(std::thread::hardware_concurrency()) + " CPUs, " + cpuModel());
#ifdef NDEBUG
	report.note("build", "optimised (NDEBUG)");
#else
	report.note("build", "not optimised (no NDEBUG): figures are not representative");
#endif
	report.note("versions", "Poco " + versionOfPoco() + ", hiredis " + std::to_string(HIREDIS_MAJOR) + "."
		+ std::to_string(HIREDIS_MINOR) + "." + std::to_string(HIREDIS_PATCH));
	report.note("workload", "payload " + std::to_string(workload.payloadJson.size()) + " B JSON, envelope "
		+ std::to_string(publishWire.size()) + " B (signed " + std::to_string(signedWire.size()) + " B), batch " + std::to_string(options.batch) + ", events/round "
		+ std::to_string(options.events) + ", rounds " + std::to_string(options.rounds) + ", latency "
		+ std::to_string(options.latencyEvents) + " events at " + std::to_string(options.rate) + "/s");

	if (needsRedis)
	{
		try
		{
			if (redisUrl.empty())
			{
				server.reset(new test::RedisServer);
				redisUrl = server->url();
			}
			address = RedisAddress::parse(redisUrl);
			raw.reset(new RawRedis(address));
			streams.connect(address, redisUrl);
			report.note("redis", address.host + ":" + std::to_string(address.port) + " redis-server "
				+ redisServerVersion(address) + (server ? " (started by the bench: --save '' --appendonly no)" : ""));
		}
		catch (std::exception& exc)
		{
			redisFailure = exc.what();
			report.note("redis", "unavailable: " + redisFailure);
		}
	}

	for (std::size_t i = 0; i < specs.size(); ++i)
		if (selected[i]) report.rows.push_back(specs[i].row);

	bool failed = false;
	for (int round = 1; round <= options.rounds; ++round)
	{
		for (std::size_t i = 0; i < specs.size(); ++i)
		{
			if (!selected[i]) continue;
			Row& row = *report.find(specs[i].row.name);
			if (!row.failure.empty()) continue;
			if (specs[i].needsRedis && !redisFailure.empty())
			{
				row.failure = "no redis: " + redisFailure;
				continue;
			}
			const std::size_t events = row.latencyRow
				? std::max<std::size_t>(100, options.latencyEvents / static_cast<std::size_t>(options.rounds))
				: options.events;
			std::cerr << "round " << round << "/" << options.rounds << ": " << row.name << " (" << events
			          << " events)..." << std::flush;
			try
			{
				Measurement m = specs[i].run(events);
				std::cerr << " " << static_cast<long long>(m.seconds > 0 ? static_cast<double>(m.events) / m.seconds : 0)
				          << " events/s" << (m.lost ? ", LOST " + std::to_string(m.lost) : std::string()) << std::endl;
				if (m.lost || m.errors) failed = true;
				row.add(std::move(m));
			}
			catch (std::exception& exc)
			{
				std::cerr << " failed: " << exc.what() << std::endl;
				row.failure = exc.what();
				row.measured = false;
				failed = true;
			}
		}
	}
	if (server) server->stop();

	// What each middleware adds to a publish, from the chain-* rows (best
	// rounds): the "chain's own cost in ns/event per middleware".
	const Row* chainNone = report.find("chain-none");
	if (chainNone && chainNone->measured && chainNone->eventsPerSecond > 0)
	{
		const double noneNs = 1e9 / chainNone->eventsPerSecond;
		std::string costs;
		for (const char* member : ChainMembers)
		{
			const Row* row = report.find(std::string("chain-") + member);
			if (!row || !row->measured || row->eventsPerSecond <= 0) continue;
			const long long ns = std::llround(1e9 / row->eventsPerSecond - noneNs);
			costs += (costs.empty() ? "" : ", ") + std::string(member) + " " + (ns >= 0 ? "+" : "") + std::to_string(ns) + " ns";
		}
		if (!costs.empty())
			report.note("chain cost per publish", costs + " (each alone, over chain-none at "
				+ std::to_string(std::llround(noneNs)) + " ns/event)");
	}

	if (options.json) report.printJson(std::cout);
	else report.printTable(std::cout);
	return failed ? 1 : 0;
}
