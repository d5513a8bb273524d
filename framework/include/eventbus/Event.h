//
// Event.h
//
// The event every path carries: CloudEvents attributes and the data object.
//
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace eventbus {

/// An event's JSON data: the object a handler reads and its compact JSON
/// text, either of which may come first. What the bus hands over in-process
/// or decodes off the wire starts as text and is parsed once, on the first
/// call that needs the object (object(), ->, *), in the thread that makes it;
/// a handler that never reads the data never pays for building it. What a
/// caller publishes as an object starts as that object, and its text is
/// written once, on first use.
///
/// Copies share one object and one text (like the Poco::JSON::Object::Ptr it
/// replaces): treat the data of a published or delivered event as
/// read-only. Both lazy steps are thread-safe.
class EventData
{
public:
	EventData() = default;
	EventData(const Poco::JSON::Object::Ptr& object); // NOLINT: as a Ptr was, implicitly; null stays null
	EventData(Poco::JSON::Object* object);            // NOLINT: `data = new Poco::JSON::Object` keeps working

	/// Data from the compact JSON text of one object, which the caller has
	/// already validated (the codec's reader accepts it); parsed on first use.
	static EventData fromJson(std::string json);
	/// Both forms at once, when the caller has them (nothing is built lazily).
	static EventData fromBoth(const Poco::JSON::Object::Ptr& object, std::string json);

	bool isNull() const { return !_state; }
	explicit operator bool() const { return static_cast<bool>(_state); }

	/// The object (parsed now if this data started as text); null when null.
	const Poco::JSON::Object::Ptr& object() const;
	/// The compact JSON text (written now if this data started as an object);
	/// "{}" when null.
	const std::string& json() const;
	/// True once the object exists (it was given, or object() built it).
	bool hasObject() const;

	operator const Poco::JSON::Object::Ptr&() const { return object(); } // NOLINT
	const Poco::JSON::Object* operator->() const { return object().get(); }
	const Poco::JSON::Object& operator*() const { return *object(); }
	Poco::JSON::Object* operator->() { return mutableObject(); }
	Poco::JSON::Object& operator*() { return *mutableObject(); }

	/// True when this data is `object` itself (not a copy, not parsed text).
	bool is(const Poco::JSON::Object::Ptr& object) const;
	/// True when both are the same data (copies of one EventData).
	bool sameAs(const EventData& other) const { return _state == other._state; }

private:
	friend class Redactor;
	Poco::JSON::Object* mutableObject();
	/// json(), written by `write` (when not null) if it is written now.
	using Writer = std::function<std::string(const Poco::JSON::Object&)>;
	const std::string& jsonWrittenBy(const Writer* write) const;

	struct State
	{
		bool objectGiven = false;
		bool jsonGiven = false;
		std::once_flag objectOnce;
		std::once_flag jsonOnce;
		std::atomic<bool> built{false}; ///< object() parsed the text
		Poco::JSON::Object::Ptr object;
		std::string json;
		/// What a Redactor counted in the data in the walk that checked its
		/// text (checkAndCount) or wrote it (writeAndCount): the redactor that
		/// counted (null: none, or the object was since reached through the
		/// mutable operator->), and its count.
		std::atomic<const void*> countedBy{nullptr};
		std::size_t sensitiveCount = 0;
	};
	std::shared_ptr<State> _state;
};

/// One event as handlers see it: the CloudEvents 1.0 attributes, the tenant and
/// correlation extensions, and the JSON data.
///
/// The data may be shared between the subscribers of one process: handlers
/// must treat it as read-only. It is parsed on first access (see EventData).
struct Event
{
	std::string id;                 ///< message id, a fresh UUID per publish
	std::string source;             ///< CloudEvents source (eventbus.source)
	std::string type;               ///< the topic
	Poco::Timestamp time;           ///< when it was published
	std::string dataContentType = "application/json";
	std::string tenantId;           ///< extension `tenantid`
	std::string correlationId;      ///< extension `correlationid`
	std::map<std::string, std::string> extensions; ///< any other string extension attributes
	EventData data;                 ///< never null once published or decoded

	const std::string& topic() const { return type; }
};

using EventPtr = std::shared_ptr<const Event>;

/// What publish returns.
struct Receipt
{
	std::string messageId;
	std::string channel;
	std::string correlationId;
};

} // namespace eventbus
