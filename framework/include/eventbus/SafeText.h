//
// SafeText.h
//
// Makes untrusted text (wire bytes, names, exception messages) safe to print
// in a log line or on a terminal.
//
#pragma once

#include <cstddef>
#include <string>

namespace eventbus {

/// Escapes text that came from outside (the wire, a command line, a peer's
/// error) so that printing it cannot forge log lines or drive a terminal.
class SafeText
{
public:
	/// Appended when escape() had to shorten its output.
	static constexpr const char* TruncationMark = "...(truncated)";

	/// One line of printable text: `\n`, `\r` and `\t` are written as those
	/// two-character escapes; every other C0 control character, DEL, the C1
	/// controls (U+0080-U+009F), the line and paragraph separators
	/// (U+2028/U+2029) and the bidirectional controls (U+200E/F, U+202A-E,
	/// U+2066-9) as `\u001b`-style escapes; a byte that is not part of valid
	/// UTF-8 as `\xNN`. Everything else (printable ASCII, including `\` and
	/// quotes, and valid UTF-8) is kept as it is. When the escaped text would
	/// be longer than `maxLength` bytes it is cut at a character boundary (never
	/// inside an escape or a UTF-8 sequence) and TruncationMark is appended.
	static std::string escape(const std::string& text, std::size_t maxLength = 2048);

	/// escape() between single quotes: `'acme\nFORGED'`; for names quoted in
	/// error messages.
	static std::string quote(const std::string& text, std::size_t maxLength = 80);

	/// True when escape() would return `text` unchanged (ignoring the bound).
	static bool isSafe(const std::string& text);
};

} // namespace eventbus
