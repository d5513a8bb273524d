// Suite ID: unit.redactor
//
// RedactorTest.cpp
//
// Sensitive values are masked wherever event content could be printed:
// case-insensitive keys, nested objects and arrays, any value type, free text,
// the passwords of URL-shaped values; a bare value is masked up to the next
// space or separator only; what redactText returns is one escaped line.
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
	CPPUNIT_TEST(testRedactTextMasksOnlyTheValueOfABarePair);
	CPPUNIT_TEST(testRedactTextKeepsTheAuthenticationScheme);
	CPPUNIT_TEST(testUrlPasswordsAreMaskedInFreeText);
	CPPUNIT_TEST(testUrlPasswordsAreMaskedInJsonValues);
	CPPUNIT_TEST(testRedactTextIsOneEscapedLine);
	CPPUNIT_TEST(testCountSensitiveCountsWhatRedactCopyMasks);
	CPPUNIT_TEST(testIsSensitiveMatchesTheSuffixRuleForEveryKey);
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

	void testRedactTextMasksOnlyTheValueOfABarePair()
	{
		Redactor r;
		CPPUNIT_ASSERT_EQUAL(std::string("login failed: password=*** for user bob"),
			r.redactText("login failed: password=hunter2 for user bob"));
		CPPUNIT_ASSERT_EQUAL(std::string("token=***, retrying in 5 s"), r.redactText("token=abc, retrying in 5 s"));
		CPPUNIT_ASSERT_EQUAL(std::string("a=1&secret=***&b=2"), r.redactText("a=1&secret=s3&b=2"));
		CPPUNIT_ASSERT_EQUAL(std::string("refused 'pwd=***' (bad)"), r.redactText("refused 'pwd=x1' (bad)"));
		CPPUNIT_ASSERT_EQUAL(std::string("secret: *** and more"), r.redactText("secret: s3cr3t and more"));
	}

	void testRedactTextKeepsTheAuthenticationScheme()
	{
		Redactor r;
		CPPUNIT_ASSERT_EQUAL(std::string("Authorization: Bearer *** sent"), r.redactText("Authorization: Bearer eyJh.x-y sent"));
		CPPUNIT_ASSERT_EQUAL(std::string("authorization=Basic ***"), r.redactText("authorization=Basic dXNlcjpwdw=="));
		// Not a scheme: the first word is the value.
		CPPUNIT_ASSERT_EQUAL(std::string("authorization: *** granted"), r.redactText("authorization: s3cr3t granted"));
	}

	void testUrlPasswordsAreMaskedInFreeText()
	{
		Redactor r;
		CPPUNIT_ASSERT_EQUAL(std::string("cannot reach redis://app:***@db:6379/0: timeout"),
			r.redactText("cannot reach redis://app:hunter2@db:6379/0: timeout"));
		CPPUNIT_ASSERT_EQUAL(std::string("redis://:***@db and rediss://u:***@[::1]:6380 and https://***@example.com/x"),
			r.redactText("redis://:hunter2@db and rediss://u:p%40ss@[::1]:6380 and https://ghp_T0KEN@example.com/x"));
		// An '@' after the authority is no user info; no '@' at all leaves the URL alone.
		CPPUNIT_ASSERT_EQUAL(std::string("see http://example.com/a@b and redis://db:6379/0"),
			r.redactText("see http://example.com/a@b and redis://db:6379/0"));
		// JSON that escaped its slashes, and JSON text that is not valid (free text).
		CPPUNIT_ASSERT_EQUAL(std::string("{\"dsn\":\"redis:\\/\\/app:***@db\"} trailing"),
			r.redactText("{\"dsn\":\"redis:\\/\\/app:hunter2@db\"} trailing"));
		std::size_t masked = 0;
		CPPUNIT_ASSERT_EQUAL(std::string("postgres://app:***@db/x"), Redactor::maskUrlCredentials("postgres://app:pw@db/x", &masked));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), masked);
	}

	void testUrlPasswordsAreMaskedInJsonValues()
	{
		Redactor r;
		auto data = parse(R"({"dsn":"redis://app:hunter2@db:6379/0","list":["amqp://guest:guest@mq/"],"home":"https://example.com/"})");
		const std::string json = r.toJson(data);
		CPPUNIT_ASSERT_MESSAGE(json, !contains(json, "hunter2") && !contains(json, "guest@"));
		CPPUNIT_ASSERT_MESSAGE(json, contains(json, "\"redis://app:***@db:6379/0\""));
		CPPUNIT_ASSERT_MESSAGE(json, contains(json, "amqp://guest:***@mq/"));
		CPPUNIT_ASSERT_MESSAGE(json, contains(json, "https://example.com/"));
		std::size_t masked = 0;
		auto copy = r.redactCopy(data, &masked);
		CPPUNIT_ASSERT_EQUAL(std::size_t(2), masked);
		CPPUNIT_ASSERT_EQUAL(std::string("redis://app:***@db:6379/0"), copy->getValue<std::string>("dsn"));
		CPPUNIT_ASSERT_EQUAL(std::string("redis://app:hunter2@db:6379/0"), data->getValue<std::string>("dsn"));
		const std::string text = r.redactText(R"({"dsn":"redis://app:hunter2@db:6379/0"})");
		CPPUNIT_ASSERT_EQUAL(std::string(R"({"dsn":"redis://app:***@db:6379/0"})"), text);
	}

	void testRedactTextIsOneEscapedLine()
	{
		Redactor r;
		const std::string out = r.redactText(std::string("bad\n2026-01-01 FORGED line\r\x1b[2J\x00\x7f\xff tab\t password=x\ny", 52));
		CPPUNIT_ASSERT_EQUAL(std::string("bad\\n2026-01-01 FORGED line\\r\\u001b[2J\\u0000\\u007f\\xff tab\\t password=***\\ny"), out);
		// JSON that is a log line's data: escaped too.
		const std::string json = r.toJson(parse("{\"s\":\"\xe2\x80\xae\xc2\x9b\"}"));
		CPPUNIT_ASSERT_EQUAL(std::string("{\"s\":\"\\u202e\\u009b\"}"), json);
		// Truncation never cuts an escape or a UTF-8 character.
		const std::string cut = r.redactText(std::string(9, 'x') + "\x1b" + "\xc3\xa9", 12);
		CPPUNIT_ASSERT_EQUAL(std::string("xxxxxxxxx...(truncated)"), cut);
	}

	void testCountSensitiveCountsWhatRedactCopyMasks()
	{
		Redactor r;
		for (const char* json : {R"({"password":"x","dsn":"redis://a:b@h","n":[{"u":"https://t@h"},"ftp://h/x"]})",
				R"({"dsn":"redis://a:b@h"})", R"({"a":1,"b":"x//y","c":[null,true,1.5]})", Nested})
		{
			std::size_t masked = 0;
			r.redactCopy(parse(json), &masked);
			CPPUNIT_ASSERT_EQUAL_MESSAGE(json, masked, r.countSensitive(*parse(json)));
		}
		CPPUNIT_ASSERT_EQUAL(std::size_t(3), r.countSensitive(*parse(R"({"password":"x","dsn":"redis://a:b@h","n":[{"u":"https://t@h"}]})")));
		CPPUNIT_ASSERT_EQUAL(std::size_t(1), r.countSensitive(*parse(R"({"dsn":"redis://a:b@h"})")));
	}

	void testIsSensitiveMatchesTheSuffixRuleForEveryKey()
	{
		// The rule, written plainly: normalise (drop '_' and '-', lower-case
		// ASCII) and test whether it ends with a normalised listed key. The
		// redactor compares in place, bucketed by last character; both must
		// agree for listed keys, their case and separator variants, prefixed
		// ones, near misses and keys of one character.
		const std::vector<std::string> listed{"password", "api_key", "x", "Session-ID", "cvv", "pin", "kv"};
		const Redactor r(listed);
		auto normalise = [](const std::string& key) {
			std::string n;
			for (char c : key)
			{
				if (c == '_' || c == '-') continue;
				n.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
			}
			return n;
		};
		auto rule = [&](const std::string& key) {
			const std::string n = normalise(key);
			for (const auto& k : listed)
			{
				const std::string nk = normalise(k);
				if (!n.empty() && n.size() >= nk.size() && n.compare(n.size() - nk.size(), nk.size(), nk) == 0) return true;
			}
			return false;
		};
		std::vector<std::string> keys{"", "_", "-_-", "password", "PassWord", "db_password", "pass_word_", "passwor",
			"assword", "apikey", "API-KEY", "my_api_key", "apikeys", "sessionid", "session_id", "X", "xx", "ax", "pin",
			"spin", "pins", "cvv", "CVV_", "cv", "kv", "k_v", "v", "orderId", "total", "qty", "\xc3\xa9x", "\x7fx"};
		for (char c = 'a'; c <= 'z'; ++c) keys.push_back(std::string("key") + c);
		// Every pair of last two characters (a key is passed at once when its
		// pair is none of the listed keys'), with separators between them
		// and after, and the listed keys with a separator at every position.
		const std::string chars = "abdeiknoprsvwxyzADKPVX_-\xc3\x7f";
		for (char a : chars)
		{
			for (char b : chars)
			{
				for (const char* middle : {"", "_", "-_"})
				{
					keys.push_back(std::string(1, a) + middle + b);
					keys.push_back(std::string("word") + a + middle + b);
					keys.push_back(std::string("pass") + a + middle + b + "_");
				}
			}
		}
		for (const auto& k : listed)
		{
			for (std::size_t at = 0; at <= k.size(); ++at)
			{
				keys.push_back(k.substr(0, at) + "_" + k.substr(at));
				keys.push_back("user" + k.substr(0, at) + "-" + k.substr(at) + "-");
			}
		}
		for (const auto& key : keys)
			CPPUNIT_ASSERT_EQUAL_MESSAGE(key, rule(key), r.isSensitive(key));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedactorTest);
