//
// TestMain.cpp
//
// The main() of every suite: runs all registered CppUnit tests (or the ones
// named on the command line) and exits non-zero on any failure.
//
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>
#include "TestSupport.h"
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <stdexcept>

int main(int argc, char** argv)
{
	// A peer closing a socket must never kill a test process.
	std::signal(SIGPIPE, SIG_IGN);
	// Child `eventbus` processes in env production need a signing key.
	::setenv("EVENTBUS_SIGNING_KEY", eventbus::test::signingKey().c_str(), 0);

	CppUnit::TestResult controller;
	CppUnit::TestResultCollector result;
	controller.addListener(&result);
	CppUnit::BriefTestProgressListener progress;
	controller.addListener(&progress);

	CppUnit::TestRunner runner;
	runner.addTest(CppUnit::TestFactoryRegistry::getRegistry().makeTest());
	try
	{
		runner.run(controller, argc > 1 ? argv[1] : "");
	}
	catch (std::invalid_argument& exc)
	{
		std::cerr << "no such test: " << argv[1] << std::endl;
		return 2;
	}

	CppUnit::CompilerOutputter outputter(&result, std::cerr);
	outputter.write();
	std::cout << result.runTests() - result.testFailuresTotal() << " passed, "
	          << result.testFailuresTotal() << " failed" << std::endl;
	return result.wasSuccessful() ? 0 : 1;
}
