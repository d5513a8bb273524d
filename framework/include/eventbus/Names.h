//
// Names.h
//
// Validation of the names that make up a channel, and the channel itself:
// {prefix}.{env}.{tenantId}.{topic}.
//
#pragma once

#include <string>

namespace eventbus {

/// Rules for tenant ids, topics, envs and the channel prefix. Every check
/// throws ValidationException whose message starts with the field name.
class Names
{
public:
	static constexpr std::size_t MaxTenantLength = 64;
	static constexpr std::size_t MaxTopicLength = 128;
	static constexpr std::size_t MaxEnvLength = 32;

	/// ^[A-Za-z0-9_-]{1,64}$
	static void validateTenant(const std::string& tenantId);
	/// Dot-separated segments of [a-z0-9_-]+, at most 128 characters.
	static void validateTopic(const std::string& topic);
	/// ^[a-z0-9-]{1,32}$
	static void validateEnv(const std::string& env);
	/// Same alphabet as env, at most 32 characters.
	static void validatePrefix(const std::string& prefix);

	static bool isValidTenant(const std::string& tenantId);
	static bool isValidTopic(const std::string& topic);
	static bool isValidEnv(const std::string& env);
};

/// The parts of a concrete channel.
struct ChannelParts
{
	std::string prefix;
	std::string env;
	std::string tenantId;
	std::string topic;
};

/// Builds and parses channels. Only the framework builds patterns.
class ChannelName
{
public:
	/// {prefix}.{env}.{tenantId}.{topic}; validates every part.
	static std::string build(const std::string& prefix, const std::string& env,
		const std::string& tenantId, const std::string& topic);
	/// The same without validating the parts: for parts validated already.
	static std::string join(const std::string& prefix, const std::string& env,
		const std::string& tenantId, const std::string& topic);

	/// The cross-tenant pattern {prefix}.{env}.*.{topic}, for an explicit
	/// cross-tenant scope. Because `*` also matches dots, a subscriber must check
	/// the parsed topic of every channel it receives (the bus does).
	static std::string crossTenantPattern(const std::string& prefix, const std::string& env,
		const std::string& topic);

	/// Parses a concrete channel. Returns false when it is not one
	/// (wrong shape, invalid part).
	static bool parse(const std::string& channel, ChannelParts& parts);

	/// Redis glob semantics for the subset the framework produces (`*`, `?`).
	static bool matches(const std::string& pattern, const std::string& channel);
};

} // namespace eventbus
