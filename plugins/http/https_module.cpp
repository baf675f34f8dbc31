// The http plugin's HTTPS half (http.d/https.so): TLS contexts, sessions and the reading of
// TLS failures, all that needs Poco NetSSL and OpenSSL. SPDX-License-Identifier: MIT
#include "https_module.hpp"
#include "exception_words.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLException.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace {

using vitals::http::ConnectionObserver;
using vitals::http::exception_words;

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

class Client final : public vitals::http::TlsClient {
public:
    explicit Client(vitals::http::TlsSettings settings) : settings_(std::move(settings)) {}

    std::unique_ptr<Poco::Net::HTTPClientSession>
    session(const std::string &host, std::uint16_t port, ConnectionObserver &observer) override {
        auto made = std::make_unique<vitals::http::WatchedSession<Poco::Net::HTTPSClientSession>>(
            observer, host, port, context());
        verify_failure.clear(); // what the handshake of this session will find
        return made;
    }

    std::string describe(const Poco::Exception &error, const std::string &host, bool connected,
                         const char *phase) const override {
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

private:
    /// The TLS settings as a context, made on first use: loading CA files is I/O, which a
    /// check's creation must not do. A failure is retried on the next run.
    Poco::Net::Context::Ptr context() {
        if (context_) return context_;
        Poco::Net::Context::Params params;
        params.verificationMode =
            settings_.verify ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
        params.verificationDepth = 9;
        params.caLocation = settings_.ca_file;
        params.loadDefaultCAs = settings_.ca_file.empty();
        Poco::Net::Context::Ptr context;
        try {
            context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        } catch (const Poco::Exception &e) {
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

    const vitals::http::TlsSettings settings_;
    Poco::Net::Context::Ptr context_;
};

std::unique_ptr<vitals::http::TlsClient> make_client(const vitals::http::TlsSettings &settings) {
    return std::make_unique<Client>(settings);
}

constexpr vitals::http::HttpsModule module_table{VITALS_VERSION, sizeof(vitals::http::HttpsModule),
                                                 &make_client};

} // namespace

extern "C" __attribute__((visibility("default"))) const vitals::http::HttpsModule *
vitals_http_https_module() {
    return &module_table;
}
