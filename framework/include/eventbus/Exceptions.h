//
// Exceptions.h
//
// The exception hierarchy of the bus. Every refusal at the API boundary is one
// of these; the message names the field, key, file or endpoint at fault and
// never carries a payload value.
//
#pragma once

#include <Poco/Exception.h>

namespace eventbus {

/// Base of every exception the bus throws.
POCO_DECLARE_EXCEPTION(, EventBusException, Poco::RuntimeException)

/// Bad input: an invalid name, malformed or oversized payload, a malformed envelope.
/// The message starts with the field name, e.g. "tenantId: ...", or with
/// "envelope:" and the attribute for a message refused by the codec.
POCO_DECLARE_EXCEPTION(, ValidationException, EventBusException)

/// A configured policy refuses the operation (env policy, cross-tenant scope).
/// The message names the configuration key that decides.
POCO_DECLARE_EXCEPTION(, PolicyException, EventBusException)

/// A configuration key is missing or has an invalid value; the message names the key.
POCO_DECLARE_EXCEPTION(, ConfigException, EventBusException)

/// A plugin file cannot be used; the message names the file and the reason.
POCO_DECLARE_EXCEPTION(, PluginException, EventBusException)

/// The transport cannot do what was asked (outage, timeout, refused by the server).
POCO_DECLARE_EXCEPTION(, TransportException, EventBusException)

/// A bounded queue or buffer is full; the event was not accepted.
POCO_DECLARE_EXCEPTION(, OverflowException, TransportException)

/// The server's access control refuses the operation (e.g. a Redis ACL user
/// without permission on the channel). Not an outage: it is not retried or
/// buffered. The message names the user and the channel, never a credential.
POCO_DECLARE_EXCEPTION(, AccessDeniedException, TransportException)

/// The operation was handed to the transport but its result is not known
/// (e.g. a PUBLISH was written and no reply came before the command timeout):
/// the event may or may not be delivered. Retrying with the same
/// PublishOptions::idempotencyKey lets subscribers drop a duplicate.
POCO_DECLARE_EXCEPTION(, OutcomeUnknownException, TransportException)

} // namespace eventbus
