//
// TenantCommand.cpp
//
#include "TenantCommand.h"
#include "eventbus/BusSettings.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include <Poco/DigestEngine.h>
#include <Poco/Environment.h>
#include <Poco/NumberParser.h>
#include <Poco/RandomStream.h>
#include <Poco/SHA2Engine.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <algorithm>
#include <cctype>
#ifdef EVENTBUS_CLI_REDIS
#include "RedisConnection.h"
#include "TlsRedisSocket.h"
#include "RedisError.h"
#include "RedisSettings.h"
#endif

using Poco::Util::Option;

namespace eventbus {

namespace {

// What a password or a hash may not hold, and a user name may: only these
// characters, so every line stays one redis-cli command.
bool isUserName(const std::string& name)
{
	if (name.empty() || name.size() > 128)
		return false;
	return std::all_of(name.begin(), name.end(), [](char c) {
		return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
	});
}

bool isEnvName(const std::string& name)
{
	if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])))
		return false;
	return std::all_of(name.begin(), name.end(), [](char c) {
		return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
	});
}

bool isSha256Hex(const std::string& text)
{
	return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
		return std::isxdigit(static_cast<unsigned char>(c));
	});
}

std::string lower(std::string text)
{
	std::transform(text.begin(), text.end(), text.begin(), [](char c) {
		return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	});
	return text;
}

// 32 bytes of /dev/urandom (Poco's RandomInputStream) as 64 hex digits.
std::string generatePassword()
{
	Poco::RandomInputStream random;
	unsigned char bytes[32];
	random.read(reinterpret_cast<char*>(bytes), sizeof(bytes));
	if (random.gcount() != static_cast<std::streamsize>(sizeof(bytes)))
		throw Poco::IOException("tenant provision: cannot read random bytes for a password");
	static const char* const digits = "0123456789abcdef";
	std::string password;
	for (unsigned char b : bytes)
	{
		password += digits[b >> 4];
		password += digits[b & 0x0f];
	}
	return password;
}

// A password from an environment variable must be worth protecting a tenant
// boundary with; the message never repeats it.
constexpr std::size_t MinPasswordLength = 16;

} // namespace

// ------------------------------------------------------------------ TenantAcl

std::vector<std::string> TenantAcl::commandRules() const
{
	// Derived from plugins/redis: RedisConnection::open sends AUTH (allowed to
	// every user) and SELECT when the URL names a db; RedisPublisher sends
	// PUBLISH and PING (health); RedisSubscriber sends SUBSCRIBE, UNSUBSCRIBE
	// and PING (heartbeat). PSUBSCRIBE/PUNSUBSCRIBE serve only a cross-tenant
	// scope, which a tenant user never has. No HELLO, CLIENT SETNAME or keys.
	std::vector<std::string> rules{"+publish", "+subscribe", "+unsubscribe", "+ping"};
	if (db != 0)
		rules.push_back("+select|" + std::to_string(db));
	return rules;
}

std::vector<std::string> TenantAcl::setUser() const
{
	// reset: no password, no keys, no commands, off; whatever the user had
	// before is gone. resetchannels again because reset grants allchannels
	// when the server runs with acl-pubsub-default allchannels.
	std::vector<std::string> command{"ACL", "SETUSER", user, "reset", "on", "#" + passwordHash, "resetchannels",
		"&" + channels, "-@all"};
	for (const auto& rule : commandRules())
		command.push_back(rule);
	return command;
}

std::vector<std::string> TenantAcl::killClients() const
{
	return {"CLIENT", "KILL", "USER", user};
}

std::vector<std::string> TenantAcl::delUser() const
{
	return {"ACL", "DELUSER", user};
}

std::string TenantAcl::line(const std::vector<std::string>& command)
{
	std::string text;
	for (const auto& arg : command)
		text += (text.empty() ? "" : " ") + arg;
	return text;
}

// -------------------------------------------------------------- TenantCommand

void TenantCommand::defineOptions(Poco::Util::OptionSet& options)
{
	options.addOption(Option("user", "", "tenant: the ACL user (default: {prefix}.{env}.{tenant}).")
		.required(false).repeatable(false).argument("NAME"));
	options.addOption(Option("password-env", "", "tenant provision: the password is in this environment variable.")
		.required(false).repeatable(false).argument("VAR"));
	options.addOption(Option("password-hash", "", "tenant provision: the password's SHA-256 (64 hex digits).")
		.required(false).repeatable(false).argument("HEX"));
	options.addOption(Option("generate-password", "", "tenant provision: generate a password, shown once on stderr.")
		.required(false).repeatable(false));
	options.addOption(Option("db", "", "tenant provision: the database the tenant's eventbus.redis.url selects (default 0).")
		.required(false).repeatable(false).argument("N"));
	options.addOption(Option("apply", "", "tenant: run the commands on eventbus.redis.url (admin credentials).")
		.required(false).repeatable(false));
}

TenantCommand::TenantCommand(const Poco::Util::AbstractConfiguration& config,
	const std::map<std::string, std::string>& options)
	: _config(config)
	, _options(options)
{
}

std::string TenantCommand::option(const std::string& name) const
{
	auto it = _options.find(name);
	return it == _options.end() ? std::string() : it->second;
}

bool TenantCommand::has(const std::string& name) const
{
	return _options.count(name) > 0;
}

std::string TenantCommand::sha256Hex(const std::string& password)
{
	Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
	engine.update(password);
	return Poco::DigestEngine::digestToHex(engine.digest());
}

int TenantCommand::run(const std::string& action, std::ostream& out, std::ostream& err)
{
	if (action == "provision")
		return provision(out, err);
	if (action == "revoke")
		return revoke(out, err);
	throw Poco::InvalidArgumentException("tenant: unknown action '" + action + "' (provision, revoke)");
}

TenantAcl TenantCommand::acl(bool withPassword, std::ostream& err) const
{
	if (!has("tenant"))
		throw Poco::Util::MissingOptionException("--tenant is required");
	const std::string tenant = option("tenant");
	// No dots and no glob characters (*?[]\): the tenant's pattern below can
	// match its own channels only.
	Names::validateTenant(tenant);
	const BusSettings settings = BusSettings::fromConfig(_config);

	TenantAcl acl;
	// The bus's own channel builder, for a topic "x" replaced by the glob: the
	// pattern is exactly the prefix every channel of this tenant starts with.
	acl.channels = ChannelName::build(settings.prefix, settings.env, tenant, "x");
	acl.channels.back() = '*';
	acl.user = has("user") ? option("user") : settings.prefix + "." + settings.env + "." + tenant;
	if (!isUserName(acl.user))
		throw Poco::InvalidArgumentException("--user: '" + acl.user + "' is not a user name (1-128 of A-Z a-z 0-9 . _ -)");
	if (acl.user == "default")
		throw Poco::InvalidArgumentException("--user: 'default' is Redis' own (admin) user; give the tenant a user of its own");
	if (has("db"))
	{
		const std::string text = option("db");
		if (!Poco::NumberParser::tryParse(text, acl.db) || acl.db < 0 || acl.db > 65535)
			throw Poco::InvalidArgumentException("--db: '" + text + "' is not a database number (0-65535)");
	}
	if (!withPassword)
		return acl;

	const int sources = (has("password-env") ? 1 : 0) + (has("password-hash") ? 1 : 0)
		+ (has("generate-password") ? 1 : 0);
	if (sources != 1)
	{
		throw Poco::InvalidArgumentException("tenant provision: give exactly one of --password-env VAR, "
			"--password-hash HEX or --generate-password");
	}
	if (has("password-env"))
	{
		const std::string var = option("password-env");
		if (!isEnvName(var))
			throw Poco::InvalidArgumentException("--password-env: '" + var + "' is not an environment variable name");
		const std::string password = Poco::Environment::get(var, "");
		if (password.empty())
			throw Poco::InvalidArgumentException("--password-env: environment variable " + var + " is not set or empty");
		if (password.size() < MinPasswordLength)
		{
			throw Poco::InvalidArgumentException("--password-env: the password in " + var + " has "
				+ std::to_string(password.size()) + " characters; at least " + std::to_string(MinPasswordLength)
				+ " are required");
		}
		acl.passwordHash = sha256Hex(password);
	}
	else if (has("password-hash"))
	{
		if (!isSha256Hex(option("password-hash")))
			throw Poco::InvalidArgumentException("--password-hash: expected the password's SHA-256 as 64 hex digits");
		acl.passwordHash = lower(option("password-hash"));
	}
	else
	{
		const std::string password = generatePassword();
		acl.passwordHash = sha256Hex(password);
		// Asked for: the only time it is shown. stdout keeps the hash only.
		err << "eventbus: tenant provision: generated password for ACL user " << acl.user
		    << " (shown once, not stored): " << password << std::endl;
	}
	return acl;
}

int TenantCommand::provision(std::ostream& out, std::ostream& err)
{
	const TenantAcl tenant = acl(true, err);
	const std::vector<std::vector<std::string>> commands{tenant.setUser(), tenant.killClients()};
	for (const auto& command : commands)
		out << TenantAcl::line(command) << "\n";
	out.flush();
	if (!has("apply"))
		return 0;
	std::string endpoint;
	const std::vector<long long> replies = apply(commands, "tenant provision", endpoint);
	err << "eventbus: tenant provision: applied on redis " << endpoint << ": ACL user " << tenant.user
	    << " may use " << tenant.channels << "; " << (replies.size() > 1 ? replies[1] : 0)
	    << " connection(s) of it closed" << std::endl;
	return 0;
}

int TenantCommand::revoke(std::ostream& out, std::ostream& err)
{
	for (const char* name : {"password-env", "password-hash", "generate-password", "db"})
	{
		if (has(name))
			throw Poco::InvalidArgumentException(std::string("tenant revoke: --") + name + " does not apply");
	}
	const TenantAcl tenant = acl(false, err);
	const std::vector<std::vector<std::string>> commands{tenant.delUser()};
	out << TenantAcl::line(commands[0]) << std::endl;
	if (!has("apply"))
		return 0;
	std::string endpoint;
	const std::vector<long long> replies = apply(commands, "tenant revoke", endpoint);
	if (replies.empty() || replies[0] == 0)
		err << "eventbus: tenant revoke: redis " << endpoint << " has no ACL user " << tenant.user << "; nothing to revoke" << std::endl;
	else
		err << "eventbus: tenant revoke: ACL user " << tenant.user << " deleted on redis " << endpoint
		    << "; its connections are closed" << std::endl;
	return 0;
}

#ifdef EVENTBUS_CLI_REDIS

std::vector<long long> TenantCommand::apply(const std::vector<std::vector<std::string>>& commands,
	const std::string& verb, std::string& endpoint) const
{
	const RedisSettings settings = RedisSettings::fromConfig(_config);
	endpoint = settings.endpoint.describe();
	const std::string user = settings.endpoint.user.empty() ? "default" : settings.endpoint.user;
	// rediss:// admin URLs go over TLS with the same eventbus.redis.tls.* keys as the transport.
	std::unique_ptr<RedisSocket> socket = settings.endpoint.tls ? TlsRedisSocket::factory(settings)()
		: std::unique_ptr<RedisSocket>(new PlainRedisSocket);
	RedisConnection connection(settings, std::move(socket), 1024 * 1024);
	try
	{
		connection.open();
	}
	catch (RedisError& exc)
	{
		if (exc.failure() != RedisFailure::Auth)
			throw;
		throw AccessDeniedException(verb + " --apply: the admin credentials in " + RedisSettings::UrlKey + " (user '"
			+ user + "') were refused: " + exc.message());
	}
	std::vector<long long> replies;
	for (const auto& command : commands)
	{
		try
		{
			ReplyPtr reply = connection.command(command);
			replies.push_back(reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0);
		}
		catch (RedisError& exc)
		{
			if (exc.failure() != RedisFailure::Permission && exc.failure() != RedisFailure::Auth)
				throw;
			throw AccessDeniedException(verb + " --apply: user '" + user + "' of " + RedisSettings::UrlKey
				+ " may not run " + command[0] + " " + command[1] + " (an admin user is needed): " + exc.message());
		}
	}
	connection.close();
	return replies;
}

#else

std::vector<long long> TenantCommand::apply(const std::vector<std::vector<std::string>>&, const std::string& verb,
	std::string&) const
{
	throw ConfigException(verb + " --apply: this eventbus was built without the redis transport "
		"(EVENTBUS_WITH_REDIS=OFF); pipe the printed commands into redis-cli instead");
}

#endif

} // namespace eventbus
