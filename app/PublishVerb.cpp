//
// PublishVerb.cpp
//
// `eventbus publish`: reads the payload (option or standard input, bounded by
// eventbus.maxPayloadBytes), publishes one event and prints its receipt.
//
#include "EventBusApp.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Metrics.h"
#include <algorithm>
#include <iostream>

namespace eventbus {

namespace {

// Reads `in` to its end, but never more than `limit` + 1 bytes: a larger
// payload is refused without holding all of it in memory.
std::string readPayload(std::istream& in, std::size_t limit)
{
	std::string payload;
	char buffer[65536];
	while (payload.size() <= limit && in)
	{
		const std::size_t want = std::min(sizeof buffer, limit + 1 - payload.size());
		in.read(buffer, static_cast<std::streamsize>(want));
		payload.append(buffer, static_cast<std::size_t>(in.gcount()));
	}
	if (payload.size() > limit)
		throw ValidationException("payload: standard input exceeds eventbus.maxPayloadBytes (" + std::to_string(limit)
			+ " bytes); stopped reading there");
	return payload;
}

} // namespace

int EventBusApp::runPublish()
{
	std::string tenant = requireOption("tenant");
	std::string topic = requireOption("topic");
	PublishOptions options;
	options.correlationId = option("correlation-id");
	options.idempotencyKey = option("idempotency-key");
	// The bus first: a payload piped in later goes out on a connection that is
	// already up, and is read no further than eventbus.maxPayloadBytes.
	std::unique_ptr<EventBus> bus = openBus();
	std::string payload;
	auto it = _options.find("payload");
	if (it != _options.end()) payload = it->second;
	else payload = readPayload(std::cin, bus->settings().maxPayloadBytes);
	Receipt receipt = bus->publish(topic, payload, tenant, options);
	// With eventbus.redis.onOutage=buffer, publish() returns once the event is
	// buffered; close() flushes within eventbus.redis.commandTimeoutMs and
	// counts what it had to discard. Only a sent event gets a receipt and 0.
	const Labels discardedLabels{{"transport", bus->settings().transport}, {"reason", "buffer-discarded"}};
	const std::uint64_t discardedBefore = bus->metrics().counterValue(Metrics::Dropped, discardedLabels);
	bus->close();
	if (bus->metrics().counterValue(Metrics::Dropped, discardedLabels) > discardedBefore)
	{
		std::cerr << "eventbus: publish: transport unavailable: event " << receipt.messageId
		          << " was buffered but not sent to the transport before shutdown (eventbus.redis.onOutage=buffer)"
		          << std::endl;
		return EXIT_UNAVAILABLE;
	}
	std::cout << "{\"messageId\":\"" << receipt.messageId << "\",\"channel\":\"" << receipt.channel
	          << "\",\"correlationId\":\"" << receipt.correlationId << "\"}" << std::endl;
	return EXIT_OK;
}

} // namespace eventbus
