//
// RedisValue.h
//
// A Redis reply, copied out of hiredis, for the suites' server-side checks.
//
#pragma once

#include <string>
#include <vector>

namespace eventbus {
namespace test {

/// A reply, copied out of hiredis.
struct RedisValue
{
	enum Type { Nil, String, Status, Integer, Array, Error };
	Type type = Nil;
	std::string str;       ///< String, Status, Error
	long long integer = 0; ///< Integer
	std::vector<RedisValue> elements; ///< Array

	bool isError() const { return type == Error; }
};

} // namespace test
} // namespace eventbus
