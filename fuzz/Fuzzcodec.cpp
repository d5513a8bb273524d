//
// Fuzzcodec.cpp
//
// The CloudEvents decoder: any bytes are either refused with a
// ValidationException or decode to an event that re-encodes and decodes to
// the same attributes and the same data (every number as it was).
//
#include "eventbus/CloudEventCodec.h"
#include "eventbus/Exceptions.h"
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
	std::string wire(reinterpret_cast<const char*>(data), size);
	eventbus::Event event;
	try
	{
		event = eventbus::CloudEventCodec::decode(wire, 1024 * 1024);
	}
	catch (eventbus::ValidationException&)
	{
		return 0;
	}
	std::string again = eventbus::CloudEventCodec::encode(event);
	eventbus::Event second = eventbus::CloudEventCodec::decode(again, 4 * 1024 * 1024);
	if (second.id != event.id || second.type != event.type || second.tenantId != event.tenantId
		|| second.correlationId != event.correlationId || second.source != event.source
		|| second.time != event.time || second.extensions != event.extensions)
		std::abort();
	if (eventbus::CloudEventCodec::encodeData(*second.data) != eventbus::CloudEventCodec::encodeData(*event.data))
		std::abort();
	return 0;
}
