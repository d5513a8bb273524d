//
// Event.h
//
// The event every path carries: CloudEvents attributes and the data object.
//
#pragma once

#include <Poco/JSON/Object.h>
#include <Poco/Timestamp.h>
#include <map>
#include <memory>
#include <string>

namespace eventbus {

/// One event as handlers see it: the CloudEvents 1.0 attributes, the tenant and
/// correlation extensions, and the JSON data.
///
/// The data object may be shared between the subscribers of one process:
/// handlers must treat it as read-only.
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
	Poco::JSON::Object::Ptr data;   ///< never null once published or decoded

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
