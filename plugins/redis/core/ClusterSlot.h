//
// ClusterSlot.h
//
// Redis Cluster key hashing: CRC16 (XMODEM, polynomial 0x1021, as in the
// Redis Cluster specification) and the slot of a key (crc16 mod 16384),
// honouring hash tags: the part between the first '{' and the first '}'
// after it, when that part is not empty.
//
// The bus's channel names carry no literal braces (the template
// `c2pro.{env}.{tenant_id}.{topic}` is a placeholder), so every channel
// hashes on its full name and channels spread across all slots.
//
#pragma once

#include <cstdint>
#include <string>

namespace eventbus {

class ClusterSlot
{
public:
	/// Number of slots in a Redis Cluster.
	static constexpr unsigned Count = 16384;

	/// CRC16/XMODEM of `data` (crc16("123456789") == 0x31C3).
	static std::uint16_t crc16(const char* data, std::size_t length);

	/// The part of `key` that is hashed: the hash tag when `key` holds a
	/// '{' followed later by a '}' with at least one byte between them,
	/// else the whole key.
	static std::string hashedPart(const std::string& key);

	/// Slot (0..16383) owning `key`.
	static unsigned ofKey(const std::string& key);
};

} // namespace eventbus
