// SPDX-License-Identifier: MIT
#include "http/server/tls_server_context.hpp"

#include <stdexcept>

#include <openssl/err.h>

#include <Poco/Crypto/EVPPKey.h>
#include <Poco/Exception.h>

namespace vitals {

Poco::Net::Context::Ptr make_tls_server_context(const TlsSettings &settings) {
    using Poco::Net::Context;
    Context::Params params;
    params.certificateFile = settings.certificate.string();
    // An encrypted key is read below with its passphrase: Poco would ask its SSLManager's
    // passphrase handler, configured elsewhere, for it.
    if (settings.key_passphrase.empty()) params.privateKeyFile = settings.private_key.string();
    params.caLocation = settings.client_ca.string();
    params.verificationMode =
        settings.client_ca.empty() ? Context::VERIFY_NONE : Context::VERIFY_STRICT;
    params.loadDefaultCAs = false;
    params.cipherList = "HIGH:!aNULL:!kRSA:!PSK:!SRP:!MD5:!RC4:!3DES";
    try {
        Context::Ptr context = new Context(Context::TLS_SERVER_USE, params);
        // Poco words a key it cannot read with OpenSSL's oldest queued error: only the key's.
        ERR_clear_error();
        if (!settings.key_passphrase.empty())
            context->usePrivateKey(
                Poco::Crypto::EVPPKey{"", settings.private_key.string(), settings.key_passphrase});
        context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
        // OpenSSL checks a client's certificate against client_ca. Poco would then also
        // match its names against the client's address, as if the client were a server.
        context->enableExtendedCertificateVerification(false);
        // No session cache across connections: nothing to share, nothing to bound.
        context->disableStatelessSessionResumption();
        return context;
    } catch (const Poco::Exception &e) {
        throw std::runtime_error(
            "TLS: cannot use certificate '" + params.certificateFile + "' with key '" +
            settings.private_key.string() + "'" +
            (params.caLocation.empty() ? "" : " and client CA '" + params.caLocation + "'") + ": " +
            e.displayText());
    }
}

} // namespace vitals
