//
// ConformanceMain.cpp
//
// The main() of a conformance runner: runs every registered CppUnit test (or
// the one named on the command line); exits non-zero on any failure. It needs
// nothing but CppUnit: it ships with the SDK.
//
#include <cppunit/BriefTestProgressListener.h>
#include <cppunit/CompilerOutputter.h>
#include <cppunit/TestResult.h>
#include <cppunit/TestResultCollector.h>
#include <cppunit/TestRunner.h>
#include <cppunit/extensions/TestFactoryRegistry.h>
#include <csignal>
#include <iostream>
#include <stdexcept>

int main(int argc, char** argv)
{
	// A peer closing a socket must never kill a test process.
	std::signal(SIGPIPE, SIG_IGN);

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
