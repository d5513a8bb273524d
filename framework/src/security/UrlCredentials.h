//
// UrlCredentials.h
//
// The password in the user info of URL-shaped text
// (scheme://user:password@host), for the Redactor.
//
#pragma once

#include <cstddef>
#include <string>

namespace eventbus {

class UrlCredentials
{
public:
	/// `text` with the user info password of every URL masked (a user info
	/// without a colon, whole); `masked` receives how many.
	static std::string mask(const std::string& text, std::size_t* masked);

	/// The index after `//` (or `\/\/`, JSON-escaped slashes) at `i`, or 0.
	static std::size_t afterSlashes(const std::string& in, std::size_t i);

	/// Copies the authority starting at `p` to `out` up to its '@', the
	/// password (or the whole user info without a colon) replaced by
	/// Redactor::Mask and counted in `masked`; returns the index of the '@'
	/// (`p` when there is no user info, nothing copied then).
	static std::size_t maskAuthority(const std::string& in, std::size_t p, std::string& out, std::size_t& masked);
};

} // namespace eventbus
