//
// TestCertificates.h
//
// Throwaway certificates for the TLS suites, made with the openssl command.
//
#pragma once

#include <string>
#include <vector>

namespace eventbus {
namespace test {

/// Throwaway certificates for the TLS suites, made with the `openssl` command
/// in a temporary folder (removed with this object): EC P-256 keys, valid for
/// two days. Paths are absolute.
class TestCertificates
{
public:
	TestCertificates();
	~TestCertificates();

	TestCertificates(const TestCertificates&) = delete;
	TestCertificates& operator=(const TestCertificates&) = delete;

	std::string dir;
	std::string caFile;          ///< the suites' CA
	std::string serverCert;      ///< by caFile; SAN IP:127.0.0.1, DNS:localhost
	std::string serverKey;
	std::string clientCert;      ///< by caFile; clientAuth
	std::string clientKey;
	std::string otherCaFile;     ///< an unrelated CA
	std::string otherClientCert; ///< by otherCaFile
	std::string otherClientKey;
	std::string wrongNameCert;   ///< by caFile; SAN DNS:wrong-name.invalid only
	std::string wrongNameKey;
	std::string expiredCert;     ///< by caFile; SAN IP:127.0.0.1, expired
	std::string expiredKey;
	std::string encryptedClientKey; ///< clientKey, encrypted with a passphrase
	std::string notPemFile;      ///< text that is no certificate

private:
	void openssl(const std::vector<std::string>& args) const;
	void makeCa(const std::string& name, const std::string& subject);
	void makeSigned(const std::string& name, const std::string& ca, const std::string& subject,
		const std::string& extensions, const std::string& days = "2");
};

} // namespace test
} // namespace eventbus
