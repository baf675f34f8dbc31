// SPDX-License-Identifier: MIT
#include "http/access_policy.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace vitals {
namespace {

/// The token of "Bearer <token>" (scheme case-insensitive, RFC 9110 §11.1), or empty.
std::string_view bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer ";
    if (authorization.size() <= scheme.size()) return {};
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if ((authorization[i] | 0x20) != scheme[i]) return {};
    authorization.remove_prefix(scheme.size());
    while (!authorization.empty() && authorization.front() == ' ')
        authorization.remove_prefix(1);
    return authorization;
}

} // namespace

AccessPolicy::AccessPolicy(const AccessSettings &settings) : anonymous_(settings.anonymous) {
    for (const auto &token : settings.tokens)
        tokens_.push_back({digest_of(token.secret), token.scope});
}

AccessPolicy::Digest AccessPolicy::digest_of(std::string_view secret) {
    Digest digest{};
    SHA256(reinterpret_cast<const unsigned char *>(secret.data()), secret.size(), digest.data());
    return digest;
}

Caller AccessPolicy::identify(const HttpHeaders &headers) const {
    const auto authorization = headers.find("authorization");
    if (authorization == headers.end()) return {anonymous_, false};
    const auto given = bearer_token(authorization->second);
    if (given.empty()) return {Scope::none, false};
    const Digest digest = digest_of(given);
    // No early exit: the time taken does not say which token, if any, matched.
    Scope granted = Scope::none;
    bool matched = false;
    for (const auto &token : tokens_) {
        const bool same = CRYPTO_memcmp(token.digest.data(), digest.data(), digest.size()) == 0;
        granted = same && token.scope > granted ? token.scope : granted;
        matched = matched || same;
    }
    return matched ? Caller{granted, true} : Caller{Scope::none, false};
}

} // namespace vitals
