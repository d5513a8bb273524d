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
#include <cstring>
#include <string>

namespace eventbus {
namespace resp {

// "<kind><value>\r\n" at `at`; the end of what was written.
inline char* writeHeader(char* at, char kind, std::size_t value)
{
	*at++ = kind;
	at = std::to_chars(at, at + 20, value).ptr;
	*at++ = '\r';
	*at++ = '\n';
	return at;
}

/// Appends the command; `arg(element)` gives each argument as a std::string.
/// The string grows once, to the most the command can take, is written
/// through a pointer and is cut to what was written (an append per part
/// cost ~50 instructions each).
template <typename Range, typename Arg>
void appendCommand(std::string& out, const Range& args, Arg arg)
{
	constexpr std::size_t Header = 1 + 20 + 2; // kind, up to 20 digits, CRLF
	std::size_t bytes = Header;
	for (const auto& element : args) bytes += Header + arg(element).size() + 2;
	const std::size_t start = out.size();
	out.resize(start + bytes);
	char* const begin = &out[0];
	char* at = writeHeader(begin + start, '*', args.size());
	for (const auto& element : args)
	{
		const std::string& value = arg(element);
		at = writeHeader(at, '$', value.size());
		std::memcpy(at, value.data(), value.size());
		at += value.size();
		*at++ = '\r';
		*at++ = '\n';
	}
	out.resize(static_cast<std::size_t>(at - begin));
}

} // namespace resp
} // namespace eventbus
