//
// TlsRedisContext.cpp
//
// The client Context of rediss://: CAs, client certificate and key, the
// server name OpenSSL checks, and the certificate error of a failed handshake.
//
#include "TlsRedisContext.h"
#include "eventbus/Exceptions.h"
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/NetSSL.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <mutex>

namespace eventbus {

namespace {

// The first certificate error of the handshake running on this thread:
// OpenSSL reports only "certificate verify failed"; the callback knows why.
thread_local std::string handshakeFailure;

int verifyCallback(int ok, X509_STORE_CTX* store)
{
	if (ok || !handshakeFailure.empty())
		return ok;
	try
	{
		const int error = X509_STORE_CTX_get_error(store);
		std::string text = X509_verify_cert_error_string(error);
		if (X509* cert = X509_STORE_CTX_get_current_cert(store))
		{
			char subject[256] = {0};
			X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
			text += std::string(" (certificate ") + subject + ", depth " + std::to_string(X509_STORE_CTX_get_error_depth(store)) + ")";
		}
		handshakeFailure = text;
	}
	catch (...)
	{
		// Out of memory while describing the error: the handshake still fails.
	}
	return ok;
}

// An encrypted key file would make OpenSSL prompt on the terminal (or Poco's
// SSLManager ask its global passphrase handler): refuse instead.
int refusePassphrase(char*, int, int, void*)
{
	return 0;
}

/// Every error OpenSSL queued on this thread, oldest first; clears the queue.
std::string opensslErrors()
{
	std::string text;
	while (unsigned long error = ERR_get_error())
	{
		char buffer[256];
		ERR_error_string_n(error, buffer, sizeof(buffer));
		if (!text.empty())
			text += "; ";
		text += buffer;
	}
	return text.empty() ? std::string("unknown OpenSSL error") : text;
}

void loadFailure(const char* key, const std::string& path, const std::string& what)
{
	throw ConfigException(std::string(key) + ": cannot load " + what + " from '" + path + "': " + opensslErrors());
}

} // namespace

std::string& TlsRedisContext::verifyFailure()
{
	return handshakeFailure;
}

Poco::Net::Context::Ptr TlsRedisContext::create(const RedisSettings& settings)
{
	// Reference-counted by Poco; never undone: the plugin is never unloaded, and
	// the host (or another plugin) may use OpenSSL too.
	static std::once_flag initialized;
	std::call_once(initialized, []() { Poco::Net::initializeSSL(); });

	const RedisTlsSettings& tls = settings.tls;
	Poco::Net::Context::Params params;
	params.verificationMode = tls.verify ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE;
	params.loadDefaultCAs = tls.verify && tls.caFile.empty();
	params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES";
	Poco::Net::Context::Ptr context;
	try
	{
		context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
		context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
	}
	catch (Poco::Exception& exc)
	{
		throw ConfigException("eventbus.redis.tls: cannot create a TLS client context: " + exc.message());
	}
	// Poco's own name check skips loopback hosts unless VERIFY_STRICT and falls
	// back to DNS look-ups; OpenSSL checks the name during the handshake instead
	// (below), exactly, for IP addresses too.
	context->enableExtendedCertificateVerification(false);

	SSL_CTX* ctx = context->sslContext();
	ERR_clear_error();
	// Our callback, not SSLManager's: no global certificate handler decides.
	SSL_CTX_set_verify(ctx, tls.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, tls.verify ? &verifyCallback : nullptr);
	SSL_CTX_set_default_passwd_cb(ctx, &refusePassphrase);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	// Redis closes without close_notify (e.g. on restart): an end of stream,
	// reported as such. RESP frames itself, so a truncation is still detected.
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	if (!tls.caFile.empty() && SSL_CTX_load_verify_locations(ctx, tls.caFile.c_str(), nullptr) != 1)
		loadFailure(RedisTlsSettings::CaFileKey, tls.caFile, "CA certificates");
	if (tls.verify)
	{
		X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		Poco::Net::IPAddress address;
		const bool isAddress = Poco::Net::IPAddress::tryParse(tls.serverName, address);
		const int ok = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(param, tls.serverName.c_str())
			: X509_VERIFY_PARAM_set1_host(param, tls.serverName.c_str(), tls.serverName.size());
		if (ok != 1)
		{
			throw ConfigException(std::string(RedisTlsSettings::ServerNameKey) + ": '" + tls.serverName
				+ "' cannot be checked: " + opensslErrors());
		}
	}
	if (!tls.certFile.empty())
	{
		if (SSL_CTX_use_certificate_chain_file(ctx, tls.certFile.c_str()) != 1)
			loadFailure(RedisTlsSettings::CertFileKey, tls.certFile, "the client certificate");
		const bool keyLoaded = SSL_CTX_use_PrivateKey_file(ctx, tls.keyFile.c_str(), SSL_FILETYPE_PEM) == 1;
		if (!keyLoaded && ERR_GET_REASON(ERR_peek_last_error()) != X509_R_KEY_VALUES_MISMATCH)
			loadFailure(RedisTlsSettings::KeyFileKey, tls.keyFile, "the private key (PEM, not encrypted)");
		if (!keyLoaded || SSL_CTX_check_private_key(ctx) != 1)
		{
			ERR_clear_error();
			throw ConfigException(std::string(RedisTlsSettings::KeyFileKey) + ": the key in '" + tls.keyFile
				+ "' does not belong to the certificate in " + RedisTlsSettings::CertFileKey + " ('" + tls.certFile + "')");
		}
	}
	return context;
}

} // namespace eventbus
