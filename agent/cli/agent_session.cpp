// SPDX-License-Identifier: MIT
#include "cli/agent_session.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <string>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLException.h>

namespace vitals {
namespace {

Poco::Net::Context::Ptr client_context(const ClientTls &tls) {
    using Poco::Net::Context;
    Context::Params params;
    params.caLocation = tls.trusted.string();
    // Only what the operator named: the agent's own CA, not the web's.
    params.loadDefaultCAs = false;
    params.verificationMode = Context::VERIFY_RELAXED; // the agent must prove who it is
    params.certificateFile = tls.certificate.string();
    params.privateKeyFile = tls.private_key.string();
    params.cipherList = "HIGH:!aNULL:!kRSA:!PSK:!SRP:!MD5:!RC4:!3DES";
    Context::Ptr context = new Context(Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
    if (tls.pinned) {
        // The agent's certificate file is usually a leaf, or a leaf and its
        // intermediates without the root: trust whatever it holds.
        X509_STORE_set_flags(SSL_CTX_get_cert_store(context->sslContext()),
                             X509_V_FLAG_PARTIAL_CHAIN);
        context->enableExtendedCertificateVerification(false);
    }
    return context;
}

} // namespace

std::unique_ptr<Poco::Net::HTTPClientSession> open_agent_session(const ListenAddress &address,
                                                                 const ClientTls &tls) {
    if (!tls.https)
        return std::make_unique<Poco::Net::HTTPClientSession>(address.host, address.port);
    return std::make_unique<Poco::Net::HTTPSClientSession>(address.host, address.port,
                                                           client_context(tls));
}

bool agent_certificate_rejected(const Poco::Exception &error) {
    if (dynamic_cast<const Poco::Net::CertificateValidationException *>(&error)) return true;
    // OpenSSL refusing the chain in the handshake reaches us as an SSLException carrying
    // OpenSSL's error string, which holds the reason's own text.
    const char *reason =
        ERR_reason_error_string(ERR_PACK(ERR_LIB_SSL, 0, SSL_R_CERTIFICATE_VERIFY_FAILED));
    return dynamic_cast<const Poco::Net::SSLException *>(&error) && reason &&
           error.message().find(reason) != std::string::npos;
}

} // namespace vitals
