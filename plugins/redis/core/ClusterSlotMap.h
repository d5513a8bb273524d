//
// ClusterSlotMap.h
//
// Which master serves each of the 16384 slots, read from a CLUSTER SLOTS
// reply (array of [start, end, [host, port, id, ...], replicas...]).
// A value: the router swaps a whole new map in on refresh.
//
#pragma once

#include "ClusterSlot.h"
#include "RedisTopology.h"
#include <hiredis/hiredis.h>
#include <array>
#include <string>
#include <vector>

namespace eventbus {

class ClusterSlotMap
{
public:
	ClusterSlotMap();

	/// Reads a CLUSTER SLOTS reply; a node announced with an empty host is
	/// taken at `replyingHost`. Throws Poco::DataFormatException on a reply
	/// of another shape.
	static ClusterSlotMap fromSlotsReply(const redisReply& reply, const std::string& replyingHost);

	/// Master serving `slot`, or nullptr when the slot is uncovered.
	const RedisNodeAddress* ownerOf(unsigned slot) const;

	/// Sets the owner of one slot (after MOVED).
	void assign(unsigned slot, const RedisNodeAddress& owner);

	/// Slots with an owner (16384 when the cluster is fully covered).
	unsigned coveredSlots() const;

	/// The distinct masters owning at least one slot.
	const std::vector<RedisNodeAddress>& masters() const { return _masters; }

private:
	int indexOf(const RedisNodeAddress& node);

	std::vector<RedisNodeAddress> _masters;
	std::array<int, ClusterSlot::Count> _owner; // index into _masters, -1 uncovered
};

} // namespace eventbus
