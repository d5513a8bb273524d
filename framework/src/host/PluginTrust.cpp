//
// PluginTrust.cpp
//
#include "PluginTrust.h"
#include <Poco/Path.h>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace eventbus {

namespace {

const char* const StrictModesHint = " (eventbus.plugins.strictModes=false overrides)";

std::string folderOf(const std::string& path)
{
	return Poco::Path(path).parent().toString();
}

} // namespace

std::string PluginTrust::resolve(const std::string& path)
{
	char* real = ::realpath(path.c_str(), nullptr);
	if (!real) return {};
	std::string resolved(real);
	std::free(real);
	return resolved;
}

std::string PluginTrust::folderProblem(const std::string& folder)
{
	struct stat dirStat{};
	if (::stat(folder.c_str(), &dirStat) != 0) return {};
	if ((dirStat.st_mode & S_IWOTH) && !(dirStat.st_mode & S_ISVTX))
		return "untrusted: its folder " + folder + " is world-writable";
	if (dirStat.st_uid != 0 && dirStat.st_uid != ::geteuid())
		return "untrusted: its folder " + folder + " is owned by uid " + std::to_string(dirStat.st_uid)
			+ ", neither root nor the running user";
	return {};
}

std::string PluginTrust::problem(const std::string& path, const std::string& resolved)
{
	struct stat fileStat{};
	if (resolved.empty() || ::stat(resolved.c_str(), &fileStat) != 0) return {};
	const std::string link = resolved == path ? std::string() : " (" + path + " links to " + resolved + ")";
	if (fileStat.st_uid != 0 && fileStat.st_uid != ::geteuid())
		return "untrusted: owned by uid " + std::to_string(fileStat.st_uid) + ", neither root nor the running user"
			+ link + StrictModesHint;
	if (fileStat.st_mode & S_IWOTH)
		return "untrusted: the file is world-writable" + link + StrictModesHint;
	// The target's folder decides who may replace the code, the link's own
	// folder who may point the link elsewhere; stat() of the link's folder
	// alone would judge the wrong one.
	std::string problem = folderProblem(folderOf(resolved));
	if (problem.empty() && !link.empty())
		problem = folderProblem(folderOf(path));
	return problem.empty() ? problem : problem + link + StrictModesHint;
}

} // namespace eventbus
