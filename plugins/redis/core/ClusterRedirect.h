//
// ClusterRedirect.h
//
// The two Redis Cluster redirections a node answers with when it does not
// serve a key's slot: "MOVED <slot> <host>:<port>" (the slot now lives
// there: update the slot map, retry once on the new owner) and
// "ASK <slot> <host>:<port>" (the slot is migrating: send ASKING then the
// command to the target, once, with no map update).
//
#pragma once

#include "RedisTopology.h"
#include "eventbus/Exceptions.h"
#include <string>

namespace eventbus {

struct ClusterRedirect
{
	enum class Kind
	{
		None,  ///< not a redirection
		Moved, ///< slot owner changed
		Ask    ///< one-shot redirection during a migration
	};

	Kind kind = Kind::None;
	unsigned slot = 0;
	RedisNodeAddress target;

	/// Parses a Redis error text ("MOVED 3999 127.0.0.1:6381"); Kind::None
	/// when it is another error or malformed (slot beyond 16383, no port, a
	/// host that fails RedisNodeAddress::isPlausibleHost).
	/// An empty host (a node announcing no address) is kept empty: the caller
	/// uses the host it reached the replying node on.
	static ClusterRedirect parse(const std::string& errorText);
};

/// Thrown by a per-node publisher or subscriber of a cluster when the node
/// answered MOVED or ASK: the cluster router re-routes and retries.
class ClusterRedirectedError : public TransportException
{
public:
	ClusterRedirectedError(const std::string& message, const ClusterRedirect& redirect)
		: TransportException(message), _redirect(redirect)
	{
	}
	const ClusterRedirect& redirect() const { return _redirect; }
	Poco::Exception* clone() const override { return new ClusterRedirectedError(*this); }
	void rethrow() const override { throw *this; }

private:
	ClusterRedirect _redirect;
};

} // namespace eventbus
