//
// Workload.cpp
//
#include "Workload.h"
#include "eventbus/CloudEventCodec.h"
#include "eventbus/EnvelopeSigner.h"
#include "eventbus/Names.h"
#include <Poco/JSON/Parser.h>
#include <Poco/UUIDGenerator.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace eventbus {
namespace bench {

std::string Workload::makePayloadJson(std::size_t bytes)
{
	// Keys in sorted order: Poco's JSON object stringifies sorted, so this
	// text is also what the bus sends.
	const std::string head = "{\"currency\":\"EUR\",\"customer\":{\"country\":\"FR\",\"id\":\"cust-000042\","
		"\"name\":\"Ada Lovelace\"},\"items\":[{\"price\":9.5,\"qty\":2,\"sku\":\"sku-0001\"},"
		"{\"price\":19.99,\"qty\":1,\"sku\":\"sku-0002\"}],\"note\":\"";
	const std::string tail = "\",\"orderId\":\"ord-0000000123\",\"total\":38.99}";
	std::string note;
	if (bytes > head.size() + tail.size()) note.assign(bytes - head.size() - tail.size(), 'x');
	return head + note + tail;
}

Workload Workload::make(std::size_t payloadBytes)
{
	Workload w;
	w.payloadJson = makePayloadJson(payloadBytes);
	Poco::JSON::Parser parser;
	w.payload = parser.parse(w.payloadJson).extract<Poco::JSON::Object::Ptr>();
	return w;
}

std::string Workload::channel(const std::string& env)
{
	return ChannelName::build("c2pro", env, Tenant, Topic);
}

std::string Workload::wire(bool signedEnvelope) const
{
	Event event;
	event.id = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	event.source = "/eventbus";
	event.type = Topic;
	event.tenantId = Tenant;
	event.correlationId = Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
	event.data = payload;
	std::ostringstream data;
	payload->stringify(data);
	if (signedEnvelope)
		EnvelopeSigner("k1", SigningKey, {}).sign(event, data.str());
	return CloudEventCodec::encode(event, data.str());
}

Poco::AutoPtr<Poco::Util::MapConfiguration> busConfig(const BenchOptions& options, const std::string& transport,
	const std::string& env, const std::map<std::string, std::string>& overrides)
{
	Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
	config->setString("eventbus.env", env);
	config->setString("eventbus.transport", transport);
	config->setString("eventbus.plugins.path", options.pluginDir);
	for (const auto& kv : overrides) config->setString(kv.first, kv.second);
	return config;
}

std::size_t residentBytes()
{
	std::ifstream statm("/proc/self/statm");
	std::size_t size = 0, resident = 0;
	statm >> size >> resident;
	return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::string cpuModel()
{
	std::ifstream cpuinfo("/proc/cpuinfo");
	std::string line;
	while (std::getline(cpuinfo, line))
	{
		if (line.compare(0, 10, "model name") == 0)
		{
			std::size_t colon = line.find(':');
			if (colon != std::string::npos)
			{
				std::size_t start = line.find_first_not_of(' ', colon + 1);
				return start == std::string::npos ? std::string() : line.substr(start);
			}
		}
	}
	return "unknown";
}

} // namespace bench
} // namespace eventbus
