//
// RedisAcl.cpp
//
#include "RedisAcl.h"
#include <Poco/NumberParser.h>
#include <Poco/URI.h>
#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

namespace eventbus {
namespace test {

std::vector<std::string> aclUserArgs(const std::string& user, const std::vector<std::string>& rules)
{
	std::vector<std::string> args{"--user", user};
	args.insert(args.end(), rules.begin(), rules.end());
	return args;
}

std::string aclUrl(const RedisServer& server, const std::string& user, const std::string& password)
{
	std::string userPart, passwordPart;
	Poco::URI::encode(user, ":@/?#[]%", userPart);
	Poco::URI::encode(password, ":@/?#[]%", passwordPart);
	return "redis://" + userPart + ":" + passwordPart + "@" + server.endpoint() + "/0";
}

void aclSetUser(const RedisServer& server, const std::string& user, const std::vector<std::string>& rules)
{
	std::vector<std::string> argv{"ACL", "SETUSER", user};
	argv.insert(argv.end(), rules.begin(), rules.end());
	RedisValue reply = server.command(argv);
	if (reply.isError())
		throw std::runtime_error("ACL SETUSER " + user + " failed: " + reply.str);
}

long long aclLogCount(const RedisServer& server, const std::string& user, const std::string& reason,
	const std::string& object)
{
	RedisValue log = server.command({"ACL", "LOG", "128"});
	if (log.type != RedisValue::Array)
		throw std::runtime_error("ACL LOG: unexpected reply " + log.str);
	long long total = 0;
	for (const auto& entry : log.elements)
	{
		std::map<std::string, const RedisValue*> fields;
		for (std::size_t i = 0; i + 1 < entry.elements.size(); i += 2)
			fields[entry.elements[i].str] = &entry.elements[i + 1];
		auto field = [&](const char* name) { return fields.count(name) ? fields[name]->str : std::string(); };
		if (field("username") == user && field("reason") == reason && (object.empty() || field("object") == object))
			total += fields.count("count") ? fields["count"]->integer : 0;
	}
	return total;
}

long long clientsOf(const RedisServer& server, const std::string& user)
{
	const std::string list = server.command({"CLIENT", "LIST"}).str;
	std::istringstream lines(list);
	std::string line;
	long long count = 0;
	while (std::getline(lines, line))
	{
		if (line.find(" user=" + user + " ") != std::string::npos)
			++count;
	}
	return count;
}

std::vector<long long> clientIdsOf(const RedisServer& server, const std::string& user)
{
	const std::string list = server.command({"CLIENT", "LIST"}).str;
	std::istringstream lines(list);
	std::string line;
	std::vector<long long> ids;
	while (std::getline(lines, line))
	{
		if (line.compare(0, 3, "id=") == 0 && line.find(" user=" + user + " ") != std::string::npos)
			ids.push_back(Poco::NumberParser::parse64(line.substr(3, line.find(' ') - 3)));
	}
	std::sort(ids.begin(), ids.end());
	return ids;
}

long long publishRaw(const RedisServer& server, const std::string& channel, const std::string& payload)
{
	RedisValue reply = server.command({"PUBLISH", channel, payload});
	if (reply.isError())
		throw std::runtime_error("PUBLISH " + channel + " failed: " + reply.str);
	return reply.integer;
}

} // namespace test
} // namespace eventbus
