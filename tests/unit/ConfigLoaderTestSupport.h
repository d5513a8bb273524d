//
// ConfigLoaderTestSupport.h
//
// What the ConfigLoader*Test parts of the ConfigLoaderTest suite share: an
// environment variable set or unset for one scope, and a fixture with a fresh
// temporary folder to write configuration files into.
//
#pragma once

#include "UnitSupport.h"
#include <Poco/FileStream.h>
#include <Poco/TemporaryFile.h>
#include <cppunit/extensions/HelperMacros.h>
#include <cstdlib>
#include <memory>
#include <string>

namespace eventbus {
namespace test {

/// Sets or unsets an environment variable for one scope.
class ScopedEnv
{
public:
	ScopedEnv(const std::string& name, const char* value) : _name(name)
	{
		const char* old = std::getenv(name.c_str());
		_had = old != nullptr;
		if (_had)
			_old = old;
		if (value)
			::setenv(name.c_str(), value, 1);
		else
			::unsetenv(name.c_str());
	}
	~ScopedEnv()
	{
		if (_had)
			::setenv(_name.c_str(), _old.c_str(), 1);
		else
			::unsetenv(_name.c_str());
	}
private:
	std::string _name;
	std::string _old;
	bool _had = false;
};

/// A fixture whose every test has a temporary folder of its own (`_dir`);
/// write() puts a file into it.
class ConfigFolderFixture : public CppUnit::TestFixture
{
public:
	void setUp() override
	{
		_dir.reset(new Poco::TemporaryFile);
		_dir->createDirectories();
	}

	void tearDown() override
	{
		_dir.reset();
	}

protected:
	std::string write(const std::string& name, const std::string& content)
	{
		const std::string path = _dir->path() + "/" + name;
		Poco::FileOutputStream out(path);
		out << content;
		out.close();
		return path;
	}

	std::unique_ptr<Poco::TemporaryFile> _dir;
};

} // namespace test
} // namespace eventbus
