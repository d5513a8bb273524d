//
// Names.cpp
//
// The rules for tenant ids, topics, envs and prefixes, and building, parsing
// and matching channels.
//
#include "eventbus/Names.h"
#include "eventbus/Exceptions.h"
#include "eventbus/SafeText.h"
#include <Poco/String.h>

namespace eventbus {

namespace {

// Which names each byte may appear in, looked up once per byte.
enum CharClass : unsigned char { TenantChar = 1, TopicChar = 2, EnvChar = 4 };

struct CharClasses
{
	unsigned char bits[256] = {};
	constexpr CharClasses()
	{
		for (int c = 'a'; c <= 'z'; ++c) bits[c] = TenantChar | TopicChar | EnvChar;
		for (int c = '0'; c <= '9'; ++c) bits[c] = TenantChar | TopicChar | EnvChar;
		for (int c = 'A'; c <= 'Z'; ++c) bits[c] = TenantChar;
		bits[static_cast<unsigned char>('_')] = TenantChar | TopicChar;
		bits[static_cast<unsigned char>('-')] = TenantChar | TopicChar | EnvChar;
	}
};

constexpr CharClasses charClasses;

bool isTenantChar(char c) { return charClasses.bits[static_cast<unsigned char>(c)] & TenantChar; }
bool isTopicChar(char c) { return charClasses.bits[static_cast<unsigned char>(c)] & TopicChar; }
bool isEnvChar(char c) { return charClasses.bits[static_cast<unsigned char>(c)] & EnvChar; }

// Why a name is invalid, or empty when it is valid. The reason never echoes
// the name in full: a name may be user input of any size.
std::string tenantProblem(const std::string& s)
{
	if (s.empty()) return "must not be empty";
	if (s.size() > Names::MaxTenantLength) return "longer than 64 characters";
	for (char c : s)
		if (!isTenantChar(c)) return "only A-Z, a-z, 0-9, '_' and '-' are allowed (no dots or glob characters)";
	return {};
}

std::string topicProblem(const std::string& s)
{
	if (s.empty()) return "must not be empty";
	if (s.size() > Names::MaxTopicLength) return "longer than 128 characters";
	bool segmentEmpty = true;
	for (char c : s)
	{
		if (c == '.')
		{
			if (segmentEmpty) return "empty segment (segments are separated by single dots)";
			segmentEmpty = true;
		}
		else if (isTopicChar(c)) segmentEmpty = false;
		else return "only dot-separated segments of a-z, 0-9, '_' and '-' are allowed";
	}
	if (segmentEmpty) return "empty segment (segments are separated by single dots)";
	return {};
}

std::string envProblem(const std::string& s)
{
	if (s.empty()) return "must not be empty";
	if (s.size() > Names::MaxEnvLength) return "longer than 32 characters";
	for (char c : s)
		if (!isEnvChar(c)) return "only a-z, 0-9 and '-' are allowed";
	return {};
}

// A name as quoted in an error message: escaped (a name may hold a newline
// or a terminal escape) and bounded (it may be of any size).
std::string quoted(const std::string& s)
{
	return SafeText::quote(s, 80);
}

[[noreturn]] void refuse(const std::string& field, const std::string& value, const std::string& problem)
{
	static const std::string separator = ": ";
	static const std::string invalid = " is invalid: ";
	throw ValidationException(Poco::cat(field, separator, quoted(value), invalid, problem));
}

} // namespace

void Names::validateTenant(const std::string& tenantId)
{
	std::string problem = tenantProblem(tenantId);
	if (!problem.empty()) refuse("tenantId", tenantId, problem);
}

void Names::validateTopic(const std::string& topic)
{
	std::string problem = topicProblem(topic);
	if (!problem.empty()) refuse("topic", topic, problem);
}

void Names::validateEnv(const std::string& env)
{
	std::string problem = envProblem(env);
	if (!problem.empty()) refuse("env", env, problem);
}

void Names::validatePrefix(const std::string& prefix)
{
	std::string problem = envProblem(prefix);
	if (!problem.empty()) refuse("prefix", prefix, problem);
}

bool Names::isValidTenant(const std::string& tenantId) { return tenantProblem(tenantId).empty(); }
bool Names::isValidTopic(const std::string& topic) { return topicProblem(topic).empty(); }
bool Names::isValidEnv(const std::string& env) { return envProblem(env).empty(); }

std::string ChannelName::build(const std::string& prefix, const std::string& env,
	const std::string& tenantId, const std::string& topic)
{
	Names::validatePrefix(prefix);
	Names::validateEnv(env);
	Names::validateTenant(tenantId);
	Names::validateTopic(topic);
	return join(prefix, env, tenantId, topic);
}

std::string ChannelName::join(const std::string& prefix, const std::string& env,
	const std::string& tenantId, const std::string& topic)
{
	std::string channel;
	channel.reserve(prefix.size() + env.size() + tenantId.size() + topic.size() + 3);
	channel.append(prefix).append(1, '.').append(env).append(1, '.').append(tenantId).append(1, '.').append(topic);
	return channel;
}

std::string ChannelName::crossTenantPattern(const std::string& prefix, const std::string& env,
	const std::string& topic)
{
	Names::validatePrefix(prefix);
	Names::validateEnv(env);
	Names::validateTopic(topic);
	return prefix + "." + env + ".*." + topic;
}

bool ChannelName::parse(const std::string& channel, ChannelParts& parts)
{
	// prefix and env have no dot, nor has a tenant id: the first three dots
	// split the channel unambiguously, the rest is the topic.
	std::size_t p1 = channel.find('.');
	if (p1 == std::string::npos) return false;
	std::size_t p2 = channel.find('.', p1 + 1);
	if (p2 == std::string::npos) return false;
	std::size_t p3 = channel.find('.', p2 + 1);
	if (p3 == std::string::npos) return false;
	ChannelParts result;
	result.prefix = channel.substr(0, p1);
	result.env = channel.substr(p1 + 1, p2 - p1 - 1);
	result.tenantId = channel.substr(p2 + 1, p3 - p2 - 1);
	result.topic = channel.substr(p3 + 1);
	if (!envProblem(result.prefix).empty() || !envProblem(result.env).empty()
		|| !tenantProblem(result.tenantId).empty() || !topicProblem(result.topic).empty())
		return false;
	parts = std::move(result);
	return true;
}

bool ChannelName::matches(const std::string& pattern, const std::string& channel)
{
	// Iterative glob with single-star backtracking (no character classes:
	// the framework never builds them, and user names cannot contain them).
	std::size_t p = 0, c = 0, starP = std::string::npos, starC = 0;
	while (c < channel.size())
	{
		if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == channel[c]))
		{
			++p; ++c;
		}
		else if (p < pattern.size() && pattern[p] == '*')
		{
			starP = p++;
			starC = c;
		}
		else if (starP != std::string::npos)
		{
			p = starP + 1;
			c = ++starC;
		}
		else return false;
	}
	while (p < pattern.size() && pattern[p] == '*') ++p;
	return p == pattern.size();
}

} // namespace eventbus
