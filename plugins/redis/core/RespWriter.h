//
// RespWriter.h
//
// A command in RESP multi-bulk form, byte for byte what hiredis's
// redisFormatCommandArgv writes ("*N\r\n", then "$len\r\n" arg "\r\n" for
// each argument), appended to a string the caller reuses: no sprintf per
// length and no buffer of its own per command.
//
#pragma once

#include <charconv>
#include <cstddef>
#include <string>

namespace eventbus {
namespace resp {

inline void appendHeader(std::string& out, char kind, std::size_t value)
{
	char number[24];
	out.push_back(kind);
	out.append(number, std::to_chars(number, number + sizeof(number), value).ptr);
	out.append("\r\n", 2);
}

/// Appends the command; `arg(element)` gives each argument as a std::string.
template <typename Range, typename Arg>
void appendCommand(std::string& out, const Range& args, Arg arg)
{
	std::size_t bytes = 16;
	for (const auto& element : args) bytes += arg(element).size() + 24;
	out.reserve(out.size() + bytes);
	appendHeader(out, '*', args.size());
	for (const auto& element : args)
	{
		const std::string& value = arg(element);
		appendHeader(out, '$', value.size());
		out.append(value);
		out.append("\r\n", 2);
	}
}

} // namespace resp
} // namespace eventbus
