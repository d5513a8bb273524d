//
// EventData.cpp
//
// An event's data, built lazily from its text or its object.
//
#include "eventbus/Event.h"
#include "eventbus/CloudEventCodec.h"
#include "../codec/EnvelopeReader.h"
#include <limits>

namespace eventbus {

EventData::EventData(const Poco::JSON::Object::Ptr& object)
{
	if (object.isNull()) return;
	_state = std::make_shared<State>();
	_state->objectGiven = true;
	_state->object = object;
}

EventData::EventData(Poco::JSON::Object* object): EventData(Poco::JSON::Object::Ptr(object))
{
}

EventData EventData::fromJson(std::string json)
{
	EventData data;
	data._state = std::make_shared<State>();
	data._state->jsonGiven = true;
	data._state->json = std::move(json);
	return data;
}

EventData EventData::fromBoth(const Poco::JSON::Object::Ptr& object, std::string json)
{
	EventData data(object);
	if (data._state)
	{
		data._state->jsonGiven = true;
		data._state->json = std::move(json);
	}
	return data;
}

const Poco::JSON::Object::Ptr& EventData::object() const
{
	static const Poco::JSON::Object::Ptr none;
	if (!_state) return none;
	State& state = *_state;
	if (!state.objectGiven)
	{
		std::call_once(state.objectOnce, [&state]() {
			// The text was validated by the codec's reader when it arrived or
			// was written by the codec: the reader takes it back.
			Poco::JSON::Object::Ptr object;
			if (!EnvelopeReader::readObject(state.json, object))
				object = CloudEventCodec::parsePayload(state.json, std::numeric_limits<std::size_t>::max());
			state.object = object;
			state.built.store(true, std::memory_order_release);
		});
	}
	return state.object;
}

const std::string& EventData::json() const
{
	return jsonWrittenBy(nullptr);
}

const std::string& EventData::jsonWrittenBy(const Writer* write) const
{
	static const std::string empty("{}");
	if (!_state) return empty;
	State& state = *_state;
	if (!state.jsonGiven)
	{
		std::call_once(state.jsonOnce, [&state, write]() {
			state.json = write ? (*write)(*state.object) : CloudEventCodec::encodeData(*state.object);
		});
	}
	return state.json;
}

Poco::JSON::Object* EventData::mutableObject()
{
	object();
	if (!_state) return nullptr;
	_state->countedBy.store(nullptr, std::memory_order_relaxed); // the caller may change what was counted
	return _state->object.get();
}

bool EventData::hasObject() const
{
	if (!_state) return false;
	return _state->objectGiven || _state->built.load(std::memory_order_acquire);
}

bool EventData::is(const Poco::JSON::Object::Ptr& object) const
{
	return _state && _state->objectGiven && _state->object.get() == object.get();
}

} // namespace eventbus
