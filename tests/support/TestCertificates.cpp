//
// TestCertificates.cpp
//
#include "TestCertificates.h"
#include "RedisProcess.h"
#include "TestSupport.h"
#include <Poco/File.h>
#include <Poco/FileStream.h>
#include <Poco/TemporaryFile.h>
#include <atomic>
#include <stdexcept>

namespace eventbus {
namespace test {

namespace {

void writeText(const std::string& path, const std::string& text)
{
	Poco::FileOutputStream out(path);
	out << text;
	out.close();
}

} // namespace

TestCertificates::TestCertificates()
{
	dir = Poco::TemporaryFile::tempName();
	Poco::File(dir).createDirectories();
	try
	{
		makeCa("ca", "/CN=eventbus test CA");
		makeCa("other-ca", "/CN=eventbus unrelated CA");
		const std::string server = "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
		const std::string client = "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
		makeSigned("server", "ca", "/CN=eventbus test server", server + "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
		makeSigned("client", "ca", "/CN=eventbus test client", client);
		makeSigned("other-client", "other-ca", "/CN=eventbus unrelated client", client);
		makeSigned("wrong-name", "ca", "/CN=wrong-name.invalid", server + "subjectAltName=DNS:wrong-name.invalid\n");
		// -days -1: valid from now until a day ago, i.e. expired.
		makeSigned("expired", "ca", "/CN=eventbus expired server", server + "subjectAltName=IP:127.0.0.1,DNS:localhost\n", "-1");
		encryptedClientKey = dir + "/client-encrypted.key";
		openssl({"pkey", "-in", dir + "/client.key", "-aes256", "-passout", "pass:not-given", "-out", encryptedClientKey});
		notPemFile = dir + "/not-a-certificate.pem";
		writeText(notPemFile, "this is no certificate\n");
	}
	catch (...)
	{
		Poco::File(dir).remove(true);
		throw;
	}
	caFile = dir + "/ca.crt";
	serverCert = dir + "/server.crt";
	serverKey = dir + "/server.key";
	clientCert = dir + "/client.crt";
	clientKey = dir + "/client.key";
	otherCaFile = dir + "/other-ca.crt";
	otherClientCert = dir + "/other-client.crt";
	otherClientKey = dir + "/other-client.key";
	wrongNameCert = dir + "/wrong-name.crt";
	wrongNameKey = dir + "/wrong-name.key";
	expiredCert = dir + "/expired.crt";
	expiredKey = dir + "/expired.key";
}

TestCertificates::~TestCertificates()
{
	try
	{
		Poco::File(dir).remove(true);
	}
	catch (...)
	{
	}
}

void TestCertificates::openssl(const std::vector<std::string>& args) const
{
	CommandResult result = runCommand(executable("/usr/bin/openssl", "openssl"), args, "", std::chrono::milliseconds(20000));
	if (result.exitCode != 0)
	{
		throw std::runtime_error("openssl " + (args.empty() ? std::string() : args[0]) + " failed (exit "
			+ std::to_string(result.exitCode) + "): " + result.err);
	}
}

void TestCertificates::makeCa(const std::string& name, const std::string& subject)
{
	openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		"-keyout", dir + "/" + name + ".key", "-out", dir + "/" + name + ".crt", "-days", "2", "-subj", subject,
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
}

void TestCertificates::makeSigned(const std::string& name, const std::string& ca, const std::string& subject,
	const std::string& extensions, const std::string& days)
{
	static std::atomic<int> serial{1000};
	const std::string base = dir + "/" + name;
	openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
		"-keyout", base + ".key", "-out", base + ".csr", "-subj", subject});
	writeText(base + ".ext", extensions);
	openssl({"x509", "-req", "-in", base + ".csr", "-CA", dir + "/" + ca + ".crt", "-CAkey", dir + "/" + ca + ".key",
		"-set_serial", std::to_string(++serial), "-days", days, "-extfile", base + ".ext", "-out", base + ".crt"});
}

} // namespace test
} // namespace eventbus
