// Suite ID: ops.appserver
//
// AppServerTest.cpp
//
// examples/appserver as its users run it: a child process configured by its
// own properties file, whose orders module (POST /orders) and fulfilment
// module (GET /orders/handled) exchange orders.created through the embedded
// bus only.
//
#include "OpsSupport.h"
#include "TestSupport.h"
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>
#include <csignal>

using namespace eventbus::test;

namespace {

std::string appServerExecutable()
{
	return binDir() + "/eventbus-appserver";
}

Poco::JSON::Object::Ptr json(const std::string& text)
{
	return Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
}

HttpResult postOrder(unsigned short port, const std::string& tenant, const std::string& body)
{
	return httpRequest(port, "POST", "/orders", body, {{"X-Tenant-Id", tenant}});
}

std::vector<std::string> handled(unsigned short port, const std::string& tenant)
{
	std::vector<std::string> ids;
	HttpResult result = httpRequest(port, "GET", "/orders/handled?tenant=" + tenant);
	if (result.status != 200) return ids;
	Poco::JSON::Array::Ptr orders = json(result.body)->getArray("orders");
	for (std::size_t i = 0; i < orders->size(); ++i) ids.push_back(orders->getElement<std::string>(static_cast<unsigned>(i)));
	return ids;
}

} // namespace

class AppServerTest: public CppUnit::TestFixture
{
	CPPUNIT_TEST_SUITE(AppServerTest);
	CPPUNIT_TEST(testPostedOrderIsHandledByTheOtherModule);
	CPPUNIT_TEST(testEachTenantSeesOnlyItsOrders);
	CPPUNIT_TEST(testRefusedOrdersAreAnswered400);
	CPPUNIT_TEST_SUITE_END();

public:
	void setUp() override
	{
		_app.reset(new ChildProcess(appServerExecutable(), {"--define", "appserver.http.port=0"}));
		_port = _app->waitForListening();
		CPPUNIT_ASSERT_MESSAGE("no 'listening on' line; stderr: " + _app->err(), _port != 0);
	}

	void tearDown() override
	{
		// Every test ends with a clean stop on SIGTERM.
		_app->signal(SIGTERM);
		int code = -1;
		bool exited = _app->waitExit(code, std::chrono::milliseconds(5000));
		std::string err = _app->err();
		_app.reset();
		CPPUNIT_ASSERT_MESSAGE("appserver stops on SIGTERM", exited);
		CPPUNIT_ASSERT_EQUAL_MESSAGE(err, 0, code);
	}

	void testPostedOrderIsHandledByTheOtherModule()
	{
		HttpResult posted = postOrder(_port, "acme", R"({"orderId":"A-42","amount":12})");
		CPPUNIT_ASSERT_EQUAL_MESSAGE(posted.body, 202, posted.status);
		Poco::JSON::Object::Ptr receipt = json(posted.body);
		CPPUNIT_ASSERT_EQUAL(std::string("shop.local.acme.orders.created"), receipt->getValue<std::string>("channel"));
		const std::string messageId = receipt->getValue<std::string>("messageId");

		CPPUNIT_ASSERT(waitUntil([&]() { return handled(_port, "acme") == std::vector<std::string>{"A-42"}; }));
		// The fulfilment module's log names the order and the very event the orders module published.
		CPPUNIT_ASSERT_EQUAL(std::string("A-42"),
			_app->waitForErr("order ([A-Z0-9-]+) handled for tenant acme \\(event " + messageId, std::chrono::milliseconds(5000)));
	}

	void testEachTenantSeesOnlyItsOrders()
	{
		CPPUNIT_ASSERT_EQUAL(202, postOrder(_port, "acme", R"({"orderId":"A-1"})").status);
		CPPUNIT_ASSERT(waitUntil([&]() { return handled(_port, "acme").size() == 1; }));
		CPPUNIT_ASSERT_EQUAL(202, postOrder(_port, "globex", R"({"orderId":"G-1"})").status);
		CPPUNIT_ASSERT_EQUAL(202, postOrder(_port, "acme", R"({"orderId":"A-2"})").status);
		CPPUNIT_ASSERT(waitUntil([&]() { return handled(_port, "acme").size() == 2 && handled(_port, "globex").size() == 1; }));
		CPPUNIT_ASSERT((handled(_port, "acme") == std::vector<std::string>{"A-1", "A-2"}));
		CPPUNIT_ASSERT((handled(_port, "globex") == std::vector<std::string>{"G-1"}));
		// A tenant the fulfilment module does not serve is published but handled by nobody.
		CPPUNIT_ASSERT_EQUAL(202, postOrder(_port, "initech", R"({"orderId":"I-1"})").status);
		CPPUNIT_ASSERT_EQUAL(202, postOrder(_port, "acme", R"({"orderId":"A-3"})").status);
		CPPUNIT_ASSERT(waitUntil([&]() { return handled(_port, "acme").size() == 3; }));
		CPPUNIT_ASSERT(handled(_port, "initech").empty());
	}

	void testRefusedOrdersAreAnswered400()
	{
		HttpResult badTenant = postOrder(_port, "acme.evil", R"({"orderId":"X-1"})");
		CPPUNIT_ASSERT_EQUAL(400, badTenant.status);
		CPPUNIT_ASSERT_MESSAGE(badTenant.body, json(badTenant.body)->getValue<std::string>("error").find("tenantId") == 0);
		CPPUNIT_ASSERT_EQUAL(400, postOrder(_port, "acme", "not json").status);
		CPPUNIT_ASSERT_EQUAL(400, postOrder(_port, "acme", R"({"amount":1})").status);
		CPPUNIT_ASSERT_EQUAL(404, httpRequest(_port, "GET", "/orders").status);
		// Nothing refused reached the other module.
		CPPUNIT_ASSERT_EQUAL(202, postOrder(_port, "acme", R"({"orderId":"A-9"})").status);
		CPPUNIT_ASSERT(waitUntil([&]() { return !handled(_port, "acme").empty(); }));
		CPPUNIT_ASSERT((handled(_port, "acme") == std::vector<std::string>{"A-9"}));
	}

private:
	std::unique_ptr<ChildProcess> _app;
	unsigned short _port = 0;
};

CPPUNIT_TEST_SUITE_REGISTRATION(AppServerTest);
