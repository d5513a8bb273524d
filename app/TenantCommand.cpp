//
// TenantCommand.cpp
//
#include "TenantCommand.h"
#include "eventbus/BusSettings.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include "eventbus/PluginHost.h"
#include <Poco/DigestEngine.h>
#include <Poco/Environment.h>
#include <Poco/NumberParser.h>
#include <Poco/RandomStream.h>
#include <Poco/SHA2Engine.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <algorithm>
#include <cctype>

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

TenantAccess TenantCommand::access() const
{
	if (!has("tenant"))
		throw Poco::Util::MissingOptionException("--tenant is required");
	TenantAccess access;
	access.tenantId = option("tenant");
	// No dots and no glob characters (*?[]\): a pattern built from it can
	// match its own channels only.
	Names::validateTenant(access.tenantId);
	const BusSettings settings = BusSettings::fromConfig(_config);
	access.env = settings.env;
	access.prefix = settings.prefix;
	access.user = has("user") ? option("user") : settings.prefix + "." + settings.env + "." + access.tenantId;
	if (!isUserName(access.user))
		throw Poco::InvalidArgumentException("--user: '" + access.user + "' is not a user name (1-128 of A-Z a-z 0-9 . _ -)");
	if (access.user == "default")
		throw Poco::InvalidArgumentException("--user: 'default' is Redis' own (admin) user; give the tenant a user of its own");
	if (has("db"))
	{
		const std::string text = option("db");
		if (!Poco::NumberParser::tryParse(text, access.db) || access.db < 0 || access.db > 65535)
			throw Poco::InvalidArgumentException("--db: '" + text + "' is not a database number (0-65535)");
	}
	return access;
}

void TenantCommand::readPassword(TenantAccess& access, std::ostream& err) const
{
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
		access.passwordHash = sha256Hex(password);
	}
	else if (has("password-hash"))
	{
		if (!isSha256Hex(option("password-hash")))
			throw Poco::InvalidArgumentException("--password-hash: expected the password's SHA-256 as 64 hex digits");
		access.passwordHash = lower(option("password-hash"));
	}
	else
	{
		const std::string password = generatePassword();
		access.passwordHash = sha256Hex(password);
		// Asked for: the only time it is shown. stdout keeps the hash only.
		err << "eventbus: tenant provision: generated password for ACL user " << access.user
		    << " (shown once, not stored): " << password << std::endl;
	}
}

std::shared_ptr<TenantAccessAdmin> TenantCommand::admin() const
{
	const BusSettings settings = BusSettings::fromConfig(_config);
	std::shared_ptr<TenantAccessAdmin> found = PluginHost::instance().capability<TenantAccessAdmin>(
		settings.pluginsPath, settings.transport, TenantAccessAdmin::Name, settings.pluginsStrictModes);
	if (!found)
	{
		throw ConfigException("the transport '" + settings.transport + "' (eventbus.transport) has no "
			+ TenantAccessAdmin::Name + " capability, so there is no server-side tenant user to manage; select a "
			"transport that has one (e.g. --define eventbus.transport=redis)");
	}
	return found;
}

int TenantCommand::provision(std::ostream& out, std::ostream& err)
{
	TenantAccess tenant = access();
	// Before a password is generated: none is shown for nothing.
	const std::shared_ptr<TenantAccessAdmin> server = admin();
	readPassword(tenant, err);
	const std::vector<ServerCommand> commands = server->provisionCommands(tenant);
	for (const auto& command : commands)
		out << TenantAccessAdmin::line(command) << "\n";
	out.flush();
	if (!has("apply"))
		return 0;
	const AppliedCommands applied = server->apply(_config, commands, "tenant provision");
	err << "eventbus: tenant provision: " << server->provisionReport(tenant, applied) << std::endl;
	return 0;
}

int TenantCommand::revoke(std::ostream& out, std::ostream& err)
{
	for (const char* name : {"password-env", "password-hash", "generate-password", "db"})
	{
		if (has(name))
			throw Poco::InvalidArgumentException(std::string("tenant revoke: --") + name + " does not apply");
	}
	const TenantAccess tenant = access();
	const std::shared_ptr<TenantAccessAdmin> server = admin();
	const std::vector<ServerCommand> commands = server->revokeCommands(tenant);
	for (const auto& command : commands)
		out << TenantAccessAdmin::line(command) << "\n";
	out.flush();
	if (!has("apply"))
		return 0;
	const AppliedCommands applied = server->apply(_config, commands, "tenant revoke");
	err << "eventbus: tenant revoke: " << server->revokeReport(tenant, applied) << std::endl;
	return 0;
}

} // namespace eventbus
