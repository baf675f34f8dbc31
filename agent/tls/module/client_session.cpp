// SPDX-License-Identifier: MIT
#include "tls/module/client_session.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLException.h>

namespace vitals {
namespace {

Poco::Net::Context::Ptr client_context(const ClientTls &tls) {
    using Poco::Net::Context;
    Context::Params params;
    params.caLocation = tls.trusted.string();
    params.loadDefaultCAs =
        false; // only what the operator named: the agent's own CA, not the web's
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

std::unique_ptr<Poco::Net::HTTPClientSession> https_agent_session(const ListenAddress &address,
                                                                  const ClientTls &tls) {
    return std::make_unique<Poco::Net::HTTPSClientSession>(address.host, address.port,
                                                           client_context(tls));
}

bool is_certificate_rejection(const Poco::Exception &error) {
    return dynamic_cast<const Poco::Net::CertificateValidationException *>(&error) ||
           error.displayText().find("certificate verify failed") != std::string::npos;
}

} // namespace vitals
