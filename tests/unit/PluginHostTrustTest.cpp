// Suite ID: unit.pluginhost.trust
//
// PluginHostTrustTest.cpp
//
// Part of the PluginHostTest suite. The trust check before a plugin file is
// opened: the built plugins pass; a world-writable file, or a file in a
// world-writable folder that is not sticky, is refused, and a strict load
// refuses it without opening it; a symlink is judged by its target (and by
// the folder it sits in), and the code that runs is the target's.
//
#include "PluginHostTestSupport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/PluginHost.h"
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

class PluginHostTrustTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(PluginHostTrustTest);
	CPPUNIT_TEST(testBuiltPluginsAreTrusted);
	CPPUNIT_TEST(testWorldWritableFileIsUntrusted);
	CPPUNIT_TEST(testFileInWorldWritableFolderIsUntrusted);
	CPPUNIT_TEST(testFileInStickyFolderIsTrusted);
	CPPUNIT_TEST(testStrictLoadRefusesUntrustedFileWithoutOpeningIt);
	CPPUNIT_TEST(testSymlinkIntoWorldWritableFolderIsUntrusted);
	CPPUNIT_TEST(testSymlinkIntoTrustedFolderLoadsItsTarget);
	CPPUNIT_TEST_SUITE_END();

public:
	void testBuiltPluginsAreTrusted()
	{
		CPPUNIT_ASSERT_EQUAL(std::string(), PluginHost::trustProblem(memoryPlugin()));
		CPPUNIT_ASSERT_EQUAL(std::string(), PluginHost::trustProblem(loopbackPlugin()));
	}

	void testWorldWritableFileIsUntrusted()
	{
		Poco::TemporaryFile dir;
		const std::string file = copyInto(dir, notAPlugin(), 0755);
		CPPUNIT_ASSERT_EQUAL(std::string(), PluginHost::trustProblem(file));
		::chmod(file.c_str(), 0666);
		CPPUNIT_ASSERT(!PluginHost::trustProblem(file).empty());
	}

	void testFileInWorldWritableFolderIsUntrusted()
	{
		Poco::TemporaryFile dir;
		const std::string file = copyInto(dir, notAPlugin(), 0777);
		CPPUNIT_ASSERT(!PluginHost::trustProblem(file).empty());
	}

	void testFileInStickyFolderIsTrusted()
	{
		Poco::TemporaryFile dir;
		const std::string file = copyInto(dir, notAPlugin(), 01777);
		CPPUNIT_ASSERT_EQUAL(std::string(), PluginHost::trustProblem(file));
	}

	void testStrictLoadRefusesUntrustedFileWithoutOpeningIt()
	{
		// The init-throws fixture would throw if it were opened: a refusal that
		// does not mention its initialisation proves it was not.
		Poco::TemporaryFile dir;
		const std::string file = copyInto(dir, initThrows(), 0755);
		::chmod(file.c_str(), 0666);
		const std::string msg = expectThrow<PluginException>([&] { PluginHost::instance().load(file); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, file));
		CPPUNIT_ASSERT_MESSAGE(msg, !contains(msg, "initialisation failed"));
		const PluginInfo info = PluginHost::instance().inspect(file);
		CPPUNIT_ASSERT(!info.ok);
		CPPUNIT_ASSERT(!contains(info.reason, "initialisation failed"));
		// Without strict modes it is opened, and refused for what it is.
		const std::string lax = expectThrow<PluginException>([&] { PluginHost::instance().load(file, false); });
		CPPUNIT_ASSERT_MESSAGE(lax, contains(lax, "initialisation failed"));
	}

	void testSymlinkIntoWorldWritableFolderIsUntrusted()
	{
		// Issue 15, defect 11: the link sits in a trusted folder, its target in
		// a folder anyone may write (not sticky), so anyone may swap the code.
		Poco::TemporaryFile open;
		const std::string target = copyInto(open, loopbackPlugin(), 0777);
		Poco::TemporaryFile trusted;
		const std::string link = linkInto(trusted, target, 0755);
		const std::string problem = PluginHost::trustProblem(link);
		CPPUNIT_ASSERT_MESSAGE("a link into a world-writable folder passed the trust check", !problem.empty());
		CPPUNIT_ASSERT_MESSAGE(problem, contains(problem, "world-writable"));
		CPPUNIT_ASSERT_MESSAGE(problem, contains(problem, Poco::Path(target).parent().toString()));
		const std::string msg = expectThrow<PluginException>([&] { PluginHost::instance().load(link); });
		CPPUNIT_ASSERT_MESSAGE(msg, contains(msg, Poco::Path(target).parent().toString()));
		// The target itself is refused for the same reason.
		CPPUNIT_ASSERT(!PluginHost::trustProblem(target).empty());
	}

	void testSymlinkIntoTrustedFolderLoadsItsTarget()
	{
		Poco::TemporaryFile real;
		const std::string target = copyInto(real, loopbackPlugin(), 0755);
		Poco::TemporaryFile links;
		const std::string link = linkInto(links, target, 0755);
		CPPUNIT_ASSERT_EQUAL(std::string(), PluginHost::trustProblem(link));
		auto transport = PluginHost::instance().createFromFile(link, "loopback");
		CPPUNIT_ASSERT_EQUAL(std::string("loopback"), transport->name());
		// The code that runs is the resolved file's, the one that was judged.
		CPPUNIT_ASSERT_EQUAL(realPath(target), libraryOf(transport.get()));
		// A link in a world-writable folder may be re-pointed by anyone.
		Poco::TemporaryFile open;
		const std::string openLink = linkInto(open, target, 0777);
		const std::string problem = PluginHost::trustProblem(openLink);
		CPPUNIT_ASSERT_MESSAGE(problem, contains(problem, Poco::Path(openLink).parent().toString()));
	}

private:
	/// What `file` resolves to, as dladdr names the library.
	static std::string realPath(const std::string& file)
	{
		char* real = ::realpath(file.c_str(), nullptr);
		std::string resolved = real ? real : "";
		std::free(real);
		return resolved;
	}

	/// A symbolic link to `target` in the temporary folder `dir` (created with `mode`).
	static std::string linkInto(Poco::TemporaryFile& dir, const std::string& target, mode_t mode)
	{
		dir.createDirectories();
		::chmod(dir.path().c_str(), mode);
		const std::string link = dir.path() + "/" + Poco::Path(target).getFileName();
		CPPUNIT_ASSERT_EQUAL(0, ::symlink(target.c_str(), link.c_str()));
		return link;
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(PluginHostTrustTest);
