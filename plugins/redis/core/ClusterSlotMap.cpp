//
// ClusterSlotMap.cpp
//
// CLUSTER SLOTS parsing and the slot -> master table.
//
#include "ClusterSlotMap.h"
#include <Poco/Exception.h>
#include <algorithm>

namespace eventbus {

ClusterSlotMap::ClusterSlotMap()
{
	_owner.fill(-1);
}

ClusterSlotMap ClusterSlotMap::fromSlotsReply(const redisReply& reply, const std::string& replyingHost)
{
	if (reply.type != REDIS_REPLY_ARRAY)
		throw Poco::DataFormatException("CLUSTER SLOTS: not an array");
	ClusterSlotMap map;
	for (std::size_t i = 0; i < reply.elements; ++i)
	{
		const redisReply* range = reply.element[i];
		if (!range || range->type != REDIS_REPLY_ARRAY || range->elements < 3
		    || range->element[0]->type != REDIS_REPLY_INTEGER || range->element[1]->type != REDIS_REPLY_INTEGER)
			throw Poco::DataFormatException("CLUSTER SLOTS: malformed slot range");
		const long long first = range->element[0]->integer;
		const long long last = range->element[1]->integer;
		const redisReply* master = range->element[2];
		if (first < 0 || last < first || last >= static_cast<long long>(ClusterSlot::Count) || master->type != REDIS_REPLY_ARRAY
		    || master->elements < 2 || master->element[0]->type != REDIS_REPLY_STRING
		    || master->element[1]->type != REDIS_REPLY_INTEGER || master->element[1]->integer <= 0
		    || master->element[1]->integer > 65535)
			throw Poco::DataFormatException("CLUSTER SLOTS: malformed node");
		RedisNodeAddress node;
		node.host.assign(master->element[0]->str, master->element[0]->len);
		if (node.host.empty() || node.host == "?")
			node.host = replyingHost;
		else if (!RedisNodeAddress::isPlausibleHost(node.host))
			throw Poco::DataFormatException("CLUSTER SLOTS: a node announces a malformed host");
		node.port = static_cast<unsigned short>(master->element[1]->integer);
		const int index = map.indexOf(node);
		for (long long slot = first; slot <= last; ++slot)
			map._owner[static_cast<std::size_t>(slot)] = index;
	}
	return map;
}

const RedisNodeAddress* ClusterSlotMap::ownerOf(unsigned slot) const
{
	if (slot >= ClusterSlot::Count || _owner[slot] < 0)
		return nullptr;
	return &_masters[static_cast<std::size_t>(_owner[slot])];
}

void ClusterSlotMap::assign(unsigned slot, const RedisNodeAddress& owner)
{
	if (slot < ClusterSlot::Count)
		_owner[slot] = indexOf(owner);
}

unsigned ClusterSlotMap::coveredSlots() const
{
	return static_cast<unsigned>(std::count_if(_owner.begin(), _owner.end(), [](int i) { return i >= 0; }));
}

int ClusterSlotMap::indexOf(const RedisNodeAddress& node)
{
	const auto it = std::find(_masters.begin(), _masters.end(), node);
	if (it != _masters.end())
		return static_cast<int>(it - _masters.begin());
	_masters.push_back(node);
	return static_cast<int>(_masters.size() - 1);
}

} // namespace eventbus
