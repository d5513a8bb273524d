//
// main.cpp
//
// The entry point of the `eventbus` executable.
//
#include "EventBusApp.h"
#include <csignal>
#include <iostream>

int main(int argc, char** argv)
{
	// A peer closing a socket must never kill the process.
	std::signal(SIGPIPE, SIG_IGN);
	eventbus::EventBusApp app;
	try
	{
		app.init(argc, argv);
	}
	catch (std::exception& exc)
	{
		int code = app.fail(exc, "options");
		std::cerr << "eventbus: run 'eventbus --help' for the verbs and options" << std::endl;
		return code;
	}
	return app.run();
}
