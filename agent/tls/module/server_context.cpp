// SPDX-License-Identifier: MIT
#include "tls/module/server_context.hpp"

#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>

namespace vitals {
namespace {

class TlsTransport final : public Transport {
public:
    TlsTransport(SSL_CTX *context, int fd) : ssl_(SSL_new(context)) {
        if (!ssl_ || SSL_set_fd(ssl_, fd) != 1) throw std::runtime_error("SSL_new failed");
        SSL_set_accept_state(ssl_);
    }
    ~TlsTransport() override {
        // A quiet shutdown: no close_notify round trip on a non-blocking socket being closed.
        SSL_set_quiet_shutdown(ssl_, 1);
        SSL_free(ssl_);
    }

    IoStatus receive(char *buffer, std::size_t size, std::size_t &count) override {
        count = 0;
        const int result = SSL_read_ex(ssl_, buffer, size, &count);
        return result == 1 ? IoStatus::progressed : status_of(result);
    }

    IoStatus send(const char *data, std::size_t size, std::size_t &count) override {
        count = 0;
        const int result = SSL_write_ex(ssl_, data, size, &count);
        return result == 1 ? IoStatus::progressed : status_of(result);
    }

private:
    IoStatus status_of(int result) {
        const int error = SSL_get_error(ssl_, result);
        ERR_clear_error(); // the queue is per thread: leave nothing for the next connection
        switch (error) {
        case SSL_ERROR_WANT_READ:
            return IoStatus::want_read;
        case SSL_ERROR_WANT_WRITE:
            return IoStatus::want_write;
        case SSL_ERROR_ZERO_RETURN:
            return IoStatus::closed;
        default:
            return IoStatus::failed; // handshake failures, bad client certificates
        }
    }

    SSL *ssl_;
};

Poco::Net::Context::Ptr make_context(const TlsSettings &settings) {
    using Poco::Net::Context;
    Context::Params params;
    params.certificateFile = settings.certificate.string();
    params.privateKeyFile = settings.private_key.string();
    params.caLocation = settings.client_ca.string();
    params.verificationMode =
        settings.client_ca.empty() ? Context::VERIFY_NONE : Context::VERIFY_STRICT;
    params.cipherList = "HIGH:!aNULL:!kRSA:!PSK:!SRP:!MD5:!RC4:!3DES";
    try {
        Context::Ptr context = new Context(Context::TLS_SERVER_USE, params);
        context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
        return context;
    } catch (const Poco::Exception &e) {
        throw std::runtime_error(
            "TLS: cannot use certificate '" + params.certificateFile + "' with key '" +
            params.privateKeyFile + "'" +
            (params.caLocation.empty() ? "" : " and client CA '" + params.caLocation + "'") + ": " +
            e.displayText());
    }
}

class OpenSslServerContext final : public TlsServerContext {
public:
    explicit OpenSslServerContext(const TlsSettings &settings) : context_(make_context(settings)) {}

    std::unique_ptr<Transport> accept(int fd) const override {
        return std::make_unique<TlsTransport>(context_->sslContext(), fd);
    }

    int min_protocol_version() const override {
        return static_cast<int>(SSL_CTX_get_min_proto_version(context_->sslContext()));
    }

private:
    Poco::Net::Context::Ptr context_;
};

} // namespace

std::unique_ptr<TlsServerContext> openssl_server_context(const TlsSettings &settings) {
    return std::make_unique<OpenSslServerContext>(settings);
}

} // namespace vitals
