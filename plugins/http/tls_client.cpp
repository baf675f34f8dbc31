// TLS contexts, sessions and the reading of TLS failures for the http plugin.
// SPDX-License-Identifier: MIT
#include "tls_client.hpp"
#include "exception_words.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLException.h>

#include <stdexcept>

namespace vitals::http {

namespace {

/// Why OpenSSL refused the chain, recorded by the verify callback on the thread doing the
/// handshake (Poco reports only "certificate verify failed").
thread_local std::string verify_failure;

extern "C" int remember_verify_failure(int preverify_ok, X509_STORE_CTX *store) {
    if (!preverify_ok && verify_failure.empty()) {
        try {
            const int depth = X509_STORE_CTX_get_error_depth(store);
            verify_failure = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
            if (depth > 0) verify_failure += " (at chain depth " + std::to_string(depth) + ")";
        } catch (...) {
            // Out of memory: the generic message will have to do.
        }
    }
    return preverify_ok;
}

} // namespace

std::unique_ptr<Poco::Net::HTTPClientSession>
TlsClient::session(const std::string &host, std::uint16_t port, ConnectionObserver &observer) {
    auto made = std::make_unique<WatchedSession<Poco::Net::HTTPSClientSession>>(observer, host,
                                                                                port, context());
    verify_failure.clear(); // what the handshake of this session will find
    return made;
}

std::unique_ptr<Poco::Net::HTTPClientSession>
TlsClient::session(const std::string &host, std::uint16_t port, ConnectionObserver &observer,
                   const Poco::Net::HTTPClientSession::ProxyConfig &proxy) {
    auto made = session(host, port, observer);
    made->setProxyConfig(proxy);
    return made;
}

std::string TlsClient::describe(const Poco::Exception &error, const std::string &host,
                                bool connected, const char *phase) const {
    if (dynamic_cast<const Poco::Net::CertificateValidationException *>(&error))
        return "TLS certificate is not valid for " + host;
    if (dynamic_cast<const Poco::Net::SSLContextException *>(&error))
        return "TLS setup failed: " + exception_words(error);
    if (!connected && !verify_failure.empty())
        return "TLS certificate not trusted: " + verify_failure;
    if (dynamic_cast<const Poco::Net::SSLException *>(&error))
        return (connected ? "TLS error while " + std::string{phase}
                          : std::string{"TLS handshake failed"}) +
               ": " + exception_words(error);
    return {};
}

Poco::Net::Context::Ptr TlsClient::context() {
    if (context_) return context_;
    Poco::Net::Context::Params params;
    params.verificationMode =
        settings_.verify ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
    params.verificationDepth = 9;
    params.caLocation = settings_.ca_file;
    params.loadDefaultCAs = settings_.ca_file.empty();
    params.certificateFile = settings_.client_cert;
    params.privateKeyFile = settings_.client_key;
    Poco::Net::Context::Ptr context;
    try {
        context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
    } catch (const Poco::Exception &e) {
        if (!settings_.client_cert.empty())
            throw std::runtime_error{"cannot load client_cert " + settings_.client_cert +
                                     " or client_key " + settings_.client_key + ": " +
                                     exception_words(e)};
        if (!settings_.ca_file.empty())
            throw std::runtime_error{"cannot load ca_file " + settings_.ca_file};
        throw std::runtime_error{"TLS setup failed: " + exception_words(e)};
    }
    // STRICT, not RELAXED: Poco skips the host-name check for loopback names otherwise.
    // Our own callback replaces Poco's so that the reason for a refusal can be reported.
    if (settings_.verify)
        SSL_CTX_set_verify(context->sslContext(), SSL_VERIFY_PEER, &remember_verify_failure);
    context_ = context;
    return context_;
}

} // namespace vitals::http
