// Suite ID: unit.names
//
// NamesTest.cpp
//
// Tenant ids, topics, envs and prefixes are validated before they reach a
// channel; channels build and parse back unambiguously; only the framework
// builds patterns.
//
#include "UnitSupport.h"
#include "eventbus/Exceptions.h"
#include "eventbus/Names.h"
#include <cppunit/extensions/HelperMacros.h>

using namespace eventbus;
using namespace eventbus::test;

class NamesTest : public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(NamesTest);
	CPPUNIT_TEST(testValidTenantsAreAccepted);
	CPPUNIT_TEST(testTenantOf64CharactersIsAccepted);
	CPPUNIT_TEST(testTenantWithDotIsRefused);
	CPPUNIT_TEST(testTenantWithGlobCharactersIsRefused);
	CPPUNIT_TEST(testEmptyTenantIsRefused);
	CPPUNIT_TEST(testTenantOf65CharactersIsRefused);
	CPPUNIT_TEST(testTenantWithSpaceIsRefused);
	CPPUNIT_TEST(testTenantWithUnicodeIsRefused);
	CPPUNIT_TEST(testTenantMessageStartsWithFieldName);
	CPPUNIT_TEST(testValidTopicsAreAccepted);
	CPPUNIT_TEST(testTopicOf128CharactersIsAccepted);
	CPPUNIT_TEST(testTopicOf129CharactersIsRefused);
	CPPUNIT_TEST(testTopicWithEmptySegmentIsRefused);
	CPPUNIT_TEST(testTopicWithUppercaseIsRefused);
	CPPUNIT_TEST(testTopicWithGlobCharactersIsRefused);
	CPPUNIT_TEST(testTopicWithSpaceIsRefused);
	CPPUNIT_TEST(testTopicMessageStartsWithFieldName);
	CPPUNIT_TEST(testValidEnvsAreAccepted);
	CPPUNIT_TEST(testInvalidEnvsAreRefused);
	CPPUNIT_TEST(testEnvMessageStartsWithFieldName);
	CPPUNIT_TEST(testPrefixWithGlobIsRefused);
	CPPUNIT_TEST(testChannelBuildsFromParts);
	CPPUNIT_TEST(testChannelParsesBackToItsParts);
	CPPUNIT_TEST(testChannelBuildRefusesInvalidTenant);
	CPPUNIT_TEST(testChannelBuildRefusesInvalidTopic);
	CPPUNIT_TEST(testParseRefusesMalformedChannels);
	CPPUNIT_TEST(testCrossTenantPatternHasWildcardInTenantPosition);
	CPPUNIT_TEST(testCrossTenantPatternRefusesInvalidTopic);
	CPPUNIT_TEST(testPatternMatchesEveryTenantOfTheTopic);
	CPPUNIT_TEST(testPatternDoesNotMatchOtherTopicOrEnv);
	CPPUNIT_TEST(testStarMatchesDotsLikeRedis);
	CPPUNIT_TEST(testQuestionMarkMatchesExactlyOneCharacter);
	CPPUNIT_TEST(testLiteralPatternMatchesOnlyItself);
	CPPUNIT_TEST_SUITE_END();

public:
	void testValidTenantsAreAccepted()
	{
		for (const char* t : {"acme", "ACME", "a", "tenant_01", "t-2", "0", "A_b-C9"})
		{
			CPPUNIT_ASSERT_MESSAGE(t, Names::isValidTenant(t));
			Names::validateTenant(t);
		}
	}

	void testTenantOf64CharactersIsAccepted()
	{
		CPPUNIT_ASSERT(Names::isValidTenant(std::string(64, 'a')));
	}

	void testTenantWithDotIsRefused()
	{
		CPPUNIT_ASSERT(!Names::isValidTenant("acme.eu"));
		expectThrow<ValidationException>([] { Names::validateTenant("acme.eu"); }, "acme.eu");
	}

	void testTenantWithGlobCharactersIsRefused()
	{
		for (const char* t : {"ac*me", "ac?me", "ac[me", "ac]me", "ac\\me", "*"})
		{
			CPPUNIT_ASSERT_MESSAGE(t, !Names::isValidTenant(t));
			expectThrow<ValidationException>([t] { Names::validateTenant(t); }, t);
		}
	}

	void testEmptyTenantIsRefused()
	{
		CPPUNIT_ASSERT(!Names::isValidTenant(""));
		expectThrow<ValidationException>([] { Names::validateTenant(""); }, "empty");
	}

	void testTenantOf65CharactersIsRefused()
	{
		CPPUNIT_ASSERT(!Names::isValidTenant(std::string(65, 'a')));
		expectThrow<ValidationException>([] { Names::validateTenant(std::string(65, 'a')); }, "65");
	}

	void testTenantWithSpaceIsRefused()
	{
		CPPUNIT_ASSERT(!Names::isValidTenant("ac me"));
		CPPUNIT_ASSERT(!Names::isValidTenant(" acme"));
		CPPUNIT_ASSERT(!Names::isValidTenant("acme\n"));
	}

	void testTenantWithUnicodeIsRefused()
	{
		CPPUNIT_ASSERT(!Names::isValidTenant("t\xc3\xa9nant"));   // ténant
		CPPUNIT_ASSERT(!Names::isValidTenant("\xe2\x9c\x93"));     // ✓
		CPPUNIT_ASSERT(!Names::isValidTenant(std::string("ac\0me", 5)));
	}

	void testTenantMessageStartsWithFieldName()
	{
		const std::string msg = expectThrow<ValidationException>([] { Names::validateTenant("a.b"); });
		CPPUNIT_ASSERT_MESSAGE(msg, startsWith(msg, "tenantId"));
	}

	void testValidTopicsAreAccepted()
	{
		for (const char* t : {"orders", "orders.created", "a-b_c.d9", "x.y.z.w", "0"})
		{
			CPPUNIT_ASSERT_MESSAGE(t, Names::isValidTopic(t));
			Names::validateTopic(t);
		}
	}

	void testTopicOf128CharactersIsAccepted()
	{
		std::string topic(60, 'a');
		topic += "." + std::string(67, 'b');
		CPPUNIT_ASSERT_EQUAL(std::size_t(128), topic.size());
		CPPUNIT_ASSERT(Names::isValidTopic(topic));
	}

	void testTopicOf129CharactersIsRefused()
	{
		std::string topic(60, 'a');
		topic += "." + std::string(68, 'b');
		CPPUNIT_ASSERT(!Names::isValidTopic(topic));
		expectThrow<ValidationException>([&] { Names::validateTopic(topic); }, "129");
	}

	void testTopicWithEmptySegmentIsRefused()
	{
		for (const char* t : {"", ".", "orders..created", ".orders", "orders."})
		{
			CPPUNIT_ASSERT_MESSAGE(t, !Names::isValidTopic(t));
			expectThrow<ValidationException>([t] { Names::validateTopic(t); }, t);
		}
	}

	void testTopicWithUppercaseIsRefused()
	{
		CPPUNIT_ASSERT(!Names::isValidTopic("Orders"));
		CPPUNIT_ASSERT(!Names::isValidTopic("orders.Created"));
	}

	void testTopicWithGlobCharactersIsRefused()
	{
		for (const char* t : {"orders.*", "orders.?", "orders[1]", "orders]", "or\\ders", "*"})
		{
			CPPUNIT_ASSERT_MESSAGE(t, !Names::isValidTopic(t));
			expectThrow<ValidationException>([t] { Names::validateTopic(t); }, t);
		}
	}

	void testTopicWithSpaceIsRefused()
	{
		CPPUNIT_ASSERT(!Names::isValidTopic("orders created"));
		CPPUNIT_ASSERT(!Names::isValidTopic("orders/created"));
		CPPUNIT_ASSERT(!Names::isValidTopic("ord\xc3\xa9rs"));
	}

	void testTopicMessageStartsWithFieldName()
	{
		const std::string msg = expectThrow<ValidationException>([] { Names::validateTopic("Orders"); });
		CPPUNIT_ASSERT_MESSAGE(msg, startsWith(msg, "topic"));
	}

	void testValidEnvsAreAccepted()
	{
		for (const char* e : {"local", "test", "prod-eu-1", "a", "x2"})
		{
			CPPUNIT_ASSERT_MESSAGE(e, Names::isValidEnv(e));
			Names::validateEnv(e);
		}
		CPPUNIT_ASSERT(Names::isValidEnv(std::string(32, 'e')));
	}

	void testInvalidEnvsAreRefused()
	{
		for (const std::string& e : std::vector<std::string>{"", "Prod", "prod.1", "prod_1", "prod 1", "pr*d", std::string(33, 'e')})
		{
			CPPUNIT_ASSERT_MESSAGE(e, !Names::isValidEnv(e));
			expectThrow<ValidationException>([&e] { Names::validateEnv(e); }, e);
		}
	}

	void testEnvMessageStartsWithFieldName()
	{
		const std::string msg = expectThrow<ValidationException>([] { Names::validateEnv("Prod.1"); });
		CPPUNIT_ASSERT_MESSAGE(msg, startsWith(msg, "env"));
	}

	void testPrefixWithGlobIsRefused()
	{
		Names::validatePrefix("c2pro");
		Names::validatePrefix("my-app");
		for (const char* p : {"a*b", "a.b", "", "A", "a?b"})
			expectThrow<ValidationException>([p] { Names::validatePrefix(p); }, p);
	}

	void testChannelBuildsFromParts()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("c2pro.test.acme.orders.created"),
			ChannelName::build("c2pro", "test", "acme", "orders.created"));
	}

	void testChannelParsesBackToItsParts()
	{
		const std::string channel = ChannelName::build("c2pro", "prod-eu", "Tenant_7", "billing.invoice.paid");
		ChannelParts parts;
		CPPUNIT_ASSERT(ChannelName::parse(channel, parts));
		CPPUNIT_ASSERT_EQUAL(std::string("c2pro"), parts.prefix);
		CPPUNIT_ASSERT_EQUAL(std::string("prod-eu"), parts.env);
		CPPUNIT_ASSERT_EQUAL(std::string("Tenant_7"), parts.tenantId);
		CPPUNIT_ASSERT_EQUAL(std::string("billing.invoice.paid"), parts.topic);
		CPPUNIT_ASSERT_EQUAL(channel, ChannelName::build(parts.prefix, parts.env, parts.tenantId, parts.topic));
	}

	void testChannelBuildRefusesInvalidTenant()
	{
		const std::string msg = expectThrow<ValidationException>(
			[] { ChannelName::build("c2pro", "test", "ac.me", "orders"); });
		CPPUNIT_ASSERT_MESSAGE(msg, startsWith(msg, "tenantId"));
		expectThrow<ValidationException>([] { ChannelName::build("c2pro", "test", "*", "orders"); });
	}

	void testChannelBuildRefusesInvalidTopic()
	{
		const std::string msg = expectThrow<ValidationException>(
			[] { ChannelName::build("c2pro", "test", "acme", "orders.*"); });
		CPPUNIT_ASSERT_MESSAGE(msg, startsWith(msg, "topic"));
		expectThrow<ValidationException>([] { ChannelName::build("c2pro", "Test", "acme", "orders"); });
		expectThrow<ValidationException>([] { ChannelName::build("c*", "test", "acme", "orders"); });
	}

	void testParseRefusesMalformedChannels()
	{
		for (const char* c : {"", "c2pro", "c2pro.test", "c2pro.test.acme", "c2pro.test.acme.",
		                      "c2pro..acme.orders", "c2pro.test..orders", "c2pro.Test.acme.orders",
		                      "c2pro.test.ac*me.orders", "c2pro.test.*.orders", "c2pro.test.acme.Orders",
		                      "c2pro.test.acme.orders..created", "c2pro.test.acme.orders.",
		                      "c2pro.test.acme.or ders"})
		{
			ChannelParts parts;
			CPPUNIT_ASSERT_MESSAGE(c, !ChannelName::parse(c, parts));
		}
	}

	void testCrossTenantPatternHasWildcardInTenantPosition()
	{
		CPPUNIT_ASSERT_EQUAL(std::string("c2pro.test.*.orders.created"),
			ChannelName::crossTenantPattern("c2pro", "test", "orders.created"));
	}

	void testCrossTenantPatternRefusesInvalidTopic()
	{
		expectThrow<ValidationException>([] { ChannelName::crossTenantPattern("c2pro", "test", "orders.*"); });
		expectThrow<ValidationException>([] { ChannelName::crossTenantPattern("c2pro", "te*t", "orders"); });
	}

	void testPatternMatchesEveryTenantOfTheTopic()
	{
		const std::string pattern = ChannelName::crossTenantPattern("c2pro", "test", "orders.created");
		CPPUNIT_ASSERT(ChannelName::matches(pattern, "c2pro.test.acme.orders.created"));
		CPPUNIT_ASSERT(ChannelName::matches(pattern, "c2pro.test.globex.orders.created"));
	}

	void testPatternDoesNotMatchOtherTopicOrEnv()
	{
		const std::string pattern = ChannelName::crossTenantPattern("c2pro", "test", "orders.created");
		CPPUNIT_ASSERT(!ChannelName::matches(pattern, "c2pro.test.acme.orders.updated"));
		CPPUNIT_ASSERT(!ChannelName::matches(pattern, "c2pro.prod.acme.orders.created"));
		CPPUNIT_ASSERT(!ChannelName::matches(pattern, "other.test.acme.orders.created"));
		CPPUNIT_ASSERT(!ChannelName::matches(pattern, "c2pro.test.acme.orders.created.more"));
	}

	void testStarMatchesDotsLikeRedis()
	{
		// Why the bus must check the parsed topic of a pattern delivery.
		CPPUNIT_ASSERT(ChannelName::matches("c2pro.test.*.orders.created", "c2pro.test.acme.x.orders.created"));
		CPPUNIT_ASSERT(ChannelName::matches("a*", "a"));
		CPPUNIT_ASSERT(ChannelName::matches("*", "anything.at.all"));
	}

	void testQuestionMarkMatchesExactlyOneCharacter()
	{
		CPPUNIT_ASSERT(ChannelName::matches("a?c", "abc"));
		CPPUNIT_ASSERT(!ChannelName::matches("a?c", "ac"));
		CPPUNIT_ASSERT(!ChannelName::matches("a?c", "abbc"));
	}

	void testLiteralPatternMatchesOnlyItself()
	{
		CPPUNIT_ASSERT(ChannelName::matches("c2pro.test.acme.orders", "c2pro.test.acme.orders"));
		CPPUNIT_ASSERT(!ChannelName::matches("c2pro.test.acme.orders", "c2pro.test.acme.orders2"));
		CPPUNIT_ASSERT(!ChannelName::matches("c2pro.test.acme.orders", "c2pro.test.acme.order"));
	}
};

CPPUNIT_TEST_SUITE_REGISTRATION(NamesTest);
