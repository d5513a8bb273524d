//
// ClusterSlot.cpp
//
// CRC16/XMODEM bitwise (no table: keys are short and this is not the hot
// path next to a network round trip) and the hash tag rule.
//
#include "ClusterSlot.h"

namespace eventbus {

std::uint16_t ClusterSlot::crc16(const char* data, std::size_t length)
{
	std::uint16_t crc = 0;
	for (std::size_t i = 0; i < length; ++i)
	{
		crc = static_cast<std::uint16_t>(crc ^ (static_cast<std::uint16_t>(static_cast<unsigned char>(data[i])) << 8));
		for (int bit = 0; bit < 8; ++bit)
		{
			if (crc & 0x8000)
				crc = static_cast<std::uint16_t>((crc << 1) ^ 0x1021);
			else
				crc = static_cast<std::uint16_t>(crc << 1);
		}
	}
	return crc;
}

std::string ClusterSlot::hashedPart(const std::string& key)
{
	const std::string::size_type open = key.find('{');
	if (open == std::string::npos)
		return key;
	const std::string::size_type close = key.find('}', open + 1);
	if (close == std::string::npos || close == open + 1)
		return key;
	return key.substr(open + 1, close - open - 1);
}

unsigned ClusterSlot::ofKey(const std::string& key)
{
	const std::string part = hashedPart(key);
	return crc16(part.data(), part.size()) % Count;
}

} // namespace eventbus
