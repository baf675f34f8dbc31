// SPDX-License-Identifier: MIT
#include "alerts/tls_client.hpp"

namespace vitals {

Poco::Net::Context::Ptr tls_client_context(const std::filesystem::path &ca_file, bool verify) {
    using Poco::Net::Context;
    Context::Params params;
    params.caLocation = ca_file.string();
    params.loadDefaultCAs = ca_file.empty();
    params.verificationMode = verify ? Context::VERIFY_RELAXED : Context::VERIFY_NONE;
    params.cipherList = "HIGH:!aNULL:!kRSA:!PSK:!SRP:!MD5:!RC4:!3DES";
    Context::Ptr context = new Context(Context::TLS_CLIENT_USE, params);
    context->requireMinimumProtocol(Context::PROTO_TLSV1_2);
    context->enableExtendedCertificateVerification(verify); // the name, too
    return context;
}

} // namespace vitals
