//
// Fuzzredactor.cpp
//
// Redaction of free text and JSON: never crashes, respects the length
// bound, never lets the value of `password=` or a URL's password through when
// it is plain, and always returns one line of escaped text. Input that is
// valid JSON is redacted structurally; the probes are free text.
//
#include "eventbus/Redactor.h"
#include "eventbus/SafeText.h"
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
	static const eventbus::Redactor redactor;
	std::string input(reinterpret_cast<const char*>(data), size);
	std::string out = redactor.redactText(input, 4096);
	if (out.size() > 4096 + 32) std::abort();
	if (!eventbus::SafeText::isSafe(out)) std::abort();
	// The appended secret must be masked: the output may hold the marker at
	// most as often as the input itself did (the fuzzer learns the marker).
	static const std::string marker = "S3cr3tValue9";
	auto occurrences = [](const std::string& text) {
		std::size_t n = 0;
		for (std::size_t p = text.find(marker); p != std::string::npos; p = text.find(marker, p + 1)) ++n;
		return n;
	};
	std::string probe = redactor.redactText("x " + input + " password=" + marker + " y", 1 << 20);
	if (occurrences(probe) > occurrences(input)) std::abort();
	probe = redactor.redactText("x " + input + " redis://app:" + marker + "@db:6379/0 y", 1 << 20);
	if (occurrences(probe) > occurrences(input)) std::abort();
	return 0;
}
