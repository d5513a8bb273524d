// Suite ID: unit.resp_writer
//
// RespWriterTest.cpp
//
// The redis plugin writes its commands itself: every command must come out
// byte for byte as hiredis's redisFormatCommandArgv writes it. No server.
//
#include "RedisClient.h"
#include "RespWriter.h"
#include <cppunit/extensions/HelperMacros.h>
#include <string>
#include <vector>

using namespace eventbus;

namespace {

std::string byWriter(const std::vector<std::string>& argv, const std::string& before = std::string())
{
	std::string out = before;
	resp::appendCommand(out, argv, [](const std::string& arg) -> const std::string& { return arg; });
	return out;
}

} // namespace

class RespWriterTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RespWriterTest);
	CPPUNIT_TEST(testCommandsAreWrittenAsHiredisWritesThem);
	CPPUNIT_TEST(testArgumentsOfEveryLengthAndByte);
	CPPUNIT_TEST(testAppendsAfterWhatIsThere);
	CPPUNIT_TEST_SUITE_END();

public:
	void testCommandsAreWrittenAsHiredisWritesThem()
	{
		const std::vector<std::vector<std::string>> commands = {
			{"PING"},
			{"PUBLISH", "c2pro.test.acme.orders.created", "{\"specversion\":\"1.0\"}"},
			{"SPUBLISH", "c", ""},
			{"XADD", "k", "MAXLEN", "~", "100000", "*", "e", "payload"},
			{"SUBSCRIBE", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"},
			{},
		};
		for (const auto& command : commands)
			CPPUNIT_ASSERT_EQUAL(test::formatByHiredis(command), byWriter(command));
	}

	void testArgumentsOfEveryLengthAndByte()
	{
		// Lengths across the digit boundaries of the "$len" header, and
		// every byte value (CR, LF and NUL included: bulk strings are binary).
		for (std::size_t length : {0, 1, 9, 10, 99, 100, 999, 1000, 65535, 65536, 1000000})
			CPPUNIT_ASSERT_EQUAL(test::formatByHiredis({"PUBLISH", "c", std::string(length, 'x')}),
				byWriter({"PUBLISH", "c", std::string(length, 'x')}));
		std::string every;
		for (int c = 0; c < 256; ++c) every.push_back(static_cast<char>(c));
		CPPUNIT_ASSERT_EQUAL(test::formatByHiredis({"PUBLISH", every, every}), byWriter({"PUBLISH", every, every}));
	}

	void testAppendsAfterWhatIsThere()
	{
		// A batch is commands appended one after another to one string.
		const std::string first = byWriter({"PUBLISH", "a", "1"});
		CPPUNIT_ASSERT_EQUAL(first + test::formatByHiredis({"PUBLISH", "b", "2"}), byWriter({"PUBLISH", "b", "2"}, first));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RespWriterTest);
