// Suite ID: unit.redactor
//
// RedactorTest.cpp
//
// Sensitive values are masked wherever event content could be printed:
// case-insensitive keys, nested objects and arrays, any value type, free text.
//
#include "UnitSupport.h"
#include "eventbus/Redactor.h"
#include <Poco/JSON/Parser.h>
#include <algorithm>
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

namespace {

Poco::JSON::Object::Ptr parse(const std::string& json)
{
	Poco::JSON::Parser parser;
	return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

const char* Nested = R"({
  "user": {"name": "bob", "Password": "hunter2", "profile": {"API_KEY": "k-123"}},
  "items": [{"token": "t-1", "sku": "A"}, {"sku": "B"}, [{"secret": "s-2"}]],
  "authorization": {"scheme": "Bearer", "value": "xyz"},
  "secret": 42,
  "count": 3
})";

} // namespace

class RedactorTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(RedactorTest);
	CPPUNIT_TEST(testDefaultKeysCoverCommonSecrets);
	CPPUNIT_TEST(testKeysCompareCaseInsensitively);
	CPPUNIT_TEST(testOrdinaryKeysAreNotSensitive);
	CPPUNIT_TEST(testKeyEndingInSensitiveKeyIsSensitive);
	CPPUNIT_TEST(testCustomKeysReplaceDefaults);
	CPPUNIT_TEST(testTopLevelValueIsMasked);
	CPPUNIT_TEST(testNestedObjectsAndArraysAreMasked);
	CPPUNIT_TEST(testNonStringValuesAreMasked);
	CPPUNIT_TEST(testOtherValuesAreKept);
	CPPUNIT_TEST(testRedactCopyLeavesOriginalUnchanged);
	CPPUNIT_TEST(testMaskedCountIsReported);
	CPPUNIT_TEST(testToJsonIsCompactAndRedacted);
	CPPUNIT_TEST(testRedactTextMasksJsonText);
	CPPUNIT_TEST(testRedactTextMasksKeyEqualsValue);
	CPPUNIT_TEST(testRedactTextMasksQuotedKeyColonValue);
	CPPUNIT_TEST(testRedactTextMasksKeyColonValue);
	CPPUNIT_TEST(testRedactTextLeavesHarmlessTextAlone);
	CPPUNIT_TEST(testRedactTextTruncatesLongText);
	CPPUNIT_TEST_SUITE_END();

public:
	void testDefaultKeysCoverCommonSecrets()
	{
		const auto keys = Redactor::defaultKeys();
		for (const char* k : {"password", "secret", "token", "authorization", "api_key"})
		{
			bool found = false;
			for (const auto& key : keys)
				found = found || Poco::icompare(key, std::string(k)) == 0;
			CPPUNIT_ASSERT_MESSAGE(k, found);
		}
		Redactor r;
		CPPUNIT_ASSERT(r.isSensitive("password"));
		CPPUNIT_ASSERT(r.isSensitive("api_key"));
	}

	void testKeysCompareCaseInsensitively()
	{
		Redactor r;
		CPPUNIT_ASSERT(r.isSensitive("Password"));
		CPPUNIT_ASSERT(r.isSensitive("PASSWORD"));
		CPPUNIT_ASSERT(r.isSensitive("API_KEY"));
		CPPUNIT_ASSERT(r.isSensitive("Authorization"));
		Redactor custom({"SSN"});
		CPPUNIT_ASSERT(custom.isSensitive("ssn"));
	}

	void testOrdinaryKeysAreNotSensitive()
	{
		Redactor r;
		CPPUNIT_ASSERT(!r.isSensitive("name"));
		CPPUNIT_ASSERT(!r.isSensitive("orderId"));
		CPPUNIT_ASSERT(!r.isSensitive(""));
	}

	void testKeyEndingInSensitiveKeyIsSensitive()
	{
		Redactor r;
		CPPUNIT_ASSERT(r.isSensitive("userPassword"));
		CPPUNIT_ASSERT(r.isSensitive("db_password"));
		CPPUNIT_ASSERT(r.isSensitive("githubToken"));
		CPPUNIT_ASSERT(r.isSensitive("API-KEY"));
		CPPUNIT_ASSERT(r.isSensitive("apiKey"));
		CPPUNIT_ASSERT(!r.isSensitive("passwordHint"));
	}

	void testCustomKeysReplaceDefaults()
	{
		Redactor r({"ssn", "pin"});
		CPPUNIT_ASSERT(r.isSensitive("ssn"));
		CPPUNIT_ASSERT(r.isSensitive("PIN"));
		CPPUNIT_ASSERT(!r.isSensitive("password"));
		auto out = r.redactCopy(parse(R"({"ssn":"123-45","password":"p"})"));
		CPPUNIT_ASSERT_EQUAL(std::string(Redactor::Mask), out->getValue<std::string>("ssn"));
		CPPUNIT_ASSERT_EQUAL(std::string("p"), out->getValue<std::string>("password"));
	}

	void testTopLevelValueIsMasked()
	{
		Redactor r;
		auto out = r.redactCopy(parse(R"({"password":"hunter2","name":"bob"})"));
		CPPUNIT_ASSERT_EQUAL(std::string(Redactor::Mask), out->getValue<std::string>("password"));
	}

	void testNestedObjectsAndArraysAreMasked()
	{
		Redactor r;
		auto out = r.redactCopy(parse(Nested));
		CPPUNIT_ASSERT_EQUAL(std::string("***"), out->getObject("user")->getValue<std::string>("Password"));
		CPPUNIT_ASSERT_EQUAL(std::string("***"), out->getObject("user")->getObject("profile")->getValue<std::string>("API_KEY"));
		auto items = out->getArray("items");
		CPPUNIT_ASSERT_EQUAL(std::string("***"), items->getObject(0)->getValue<std::string>("token"));
		CPPUNIT_ASSERT_EQUAL(std::string("***"), items->getArray(2)->getObject(0)->getValue<std::string>("secret"));
		const std::string json = r.toJson(parse(Nested));
		for (const char* v : {"hunter2", "k-123", "t-1", "s-2", "xyz"})
			CPPUNIT_ASSERT_MESSAGE(std::string(v) + " in " + json, !contains(json, v));
	}

	void testNonStringValuesAreMasked()
	{
		Redactor r;
		auto out = r.redactCopy(parse(Nested));
		CPPUNIT_ASSERT_EQUAL(std::string("***"), out->get("secret").convert<std::string>());
		CPPUNIT_ASSERT_EQUAL(std::string("***"), out->get("authorization").convert<std::string>());
	}

	void testOtherValuesAreKept()
	{
		Redactor r;
		auto out = r.redactCopy(parse(Nested));
		CPPUNIT_ASSERT_EQUAL(std::string("bob"), out->getObject("user")->getValue<std::string>("name"));
		CPPUNIT_ASSERT_EQUAL(std::string("A"), out->getArray("items")->getObject(0)->getValue<std::string>("sku"));
		CPPUNIT_ASSERT_EQUAL(std::string("B"), out->getArray("items")->getObject(1)->getValue<std::string>("sku"));
		CPPUNIT_ASSERT_EQUAL(3, out->getValue<int>("count"));
	}

	void testRedactCopyLeavesOriginalUnchanged()
	{
		Redactor r;
		auto original = parse(Nested);
		r.redactCopy(original);
		CPPUNIT_ASSERT_EQUAL(std::string("hunter2"), original->getObject("user")->getValue<std::string>("Password"));
		CPPUNIT_ASSERT_EQUAL(std::string("t-1"), original->getArray("items")->getObject(0)->getValue<std::string>("token"));
		CPPUNIT_ASSERT_EQUAL(std::string("s-2"), original->getArray("items")->getArray(2)->getObject(0)->getValue<std::string>("secret"));
		CPPUNIT_ASSERT_EQUAL(42, original->getValue<int>("secret"));
		CPPUNIT_ASSERT(original->isObject("authorization"));
	}

	void testMaskedCountIsReported()
	{
		Redactor r;
		std::size_t masked = 99;
		r.redactCopy(parse(Nested), &masked);
		// Password, API_KEY, token, secret (in array), authorization, secret (top level)
		CPPUNIT_ASSERT_EQUAL(std::size_t(6), masked);
		r.redactCopy(parse(R"({"a":1})"), &masked);
		CPPUNIT_ASSERT_EQUAL(std::size_t(0), masked);
	}

	void testToJsonIsCompactAndRedacted()
	{
		Redactor r;
		const std::string json = r.toJson(parse(R"({"password":"hunter2","name":"bob"})"));
		CPPUNIT_ASSERT(!contains(json, "hunter2"));
		CPPUNIT_ASSERT(!contains(json, "\n"));
		auto back = parse(json);
		CPPUNIT_ASSERT_EQUAL(std::string("bob"), back->getValue<std::string>("name"));
		CPPUNIT_ASSERT_EQUAL(std::string("***"), back->getValue<std::string>("password"));
	}

	void testRedactTextMasksJsonText()
	{
		Redactor r;
		const std::string out = r.redactText(R"({"user":{"password":"hunter2"},"name":"bob"})");
		CPPUNIT_ASSERT_MESSAGE(out, !contains(out, "hunter2"));
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "bob"));
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "***"));
	}

	void testRedactTextMasksKeyEqualsValue()
	{
		Redactor r;
		const std::string out = r.redactText("login failed: password=hunter2 for user bob");
		CPPUNIT_ASSERT_MESSAGE(out, !contains(out, "hunter2"));
		CPPUNIT_ASSERT_MESSAGE(out, startsWith(out, "login failed: password="));
		const std::string upper = r.redactText("PASSWORD=hunter2");
		CPPUNIT_ASSERT_MESSAGE(upper, !contains(upper, "hunter2"));
	}

	void testRedactTextMasksQuotedKeyColonValue()
	{
		Redactor r;
		const std::string out = r.redactText(R"(syntax error near "token": "abc" at 12)");
		CPPUNIT_ASSERT_MESSAGE(out, !contains(out, "abc"));
		CPPUNIT_ASSERT_MESSAGE(out, contains(out, "syntax error"));
		const std::string compact = r.redactText(R"(bad input {"token":"abc","x":1)");
		CPPUNIT_ASSERT_MESSAGE(compact, !contains(compact, "abc"));
	}

	void testRedactTextMasksKeyColonValue()
	{
		Redactor r;
		const std::string out = r.redactText("secret: s3cr3t and more");
		CPPUNIT_ASSERT_MESSAGE(out, !contains(out, "s3cr3t"));
	}

	void testRedactTextLeavesHarmlessTextAlone()
	{
		Redactor r;
		CPPUNIT_ASSERT_EQUAL(std::string("connection refused by 127.0.0.1:6379"),
			r.redactText("connection refused by 127.0.0.1:6379"));
	}

	void testRedactTextTruncatesLongText()
	{
		Redactor r;
		const std::string out = r.redactText(std::string(5000, 'x'), 100);
		CPPUNIT_ASSERT_MESSAGE(std::to_string(out.size()), out.size() <= 100 + 16);
		CPPUNIT_ASSERT(out.size() >= 50);
		CPPUNIT_ASSERT(r.redactText(std::string(10000, 'y')).size() <= 2048 + 16);
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedactorTest);
