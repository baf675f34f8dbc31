// SPDX-License-Identifier: MIT
#include "http/access_policy.hpp"

#include <iterator>
#include <optional>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <vitals_plugins/text.hpp>

namespace vitals {
namespace {

/// What follows "<scheme> " in an Authorization value (scheme case-insensitive, RFC 9110
/// §11.1), or nothing when the value uses another scheme.
std::optional<std::string_view> credentials_of(std::string_view authorization,
                                               std::string_view scheme) {
    if (authorization.size() <= scheme.size() || authorization[scheme.size()] != ' ')
        return std::nullopt;
    if (!plugins::equal_ignoring_case(authorization.substr(0, scheme.size()), scheme))
        return std::nullopt;
    authorization.remove_prefix(scheme.size());
    while (!authorization.empty() && authorization.front() == ' ')
        authorization.remove_prefix(1);
    return authorization;
}

/// The password of Basic credentials, base64("user:password") (RFC 7617); empty when they
/// do not decode. The user name is ignored: the password is a token.
std::string basic_password(std::string_view encoded) {
    std::istringstream in{std::string{encoded}};
    Poco::Base64Decoder decoder{in};
    std::string decoded;
    try {
        decoded.assign(std::istreambuf_iterator<char>{decoder}, {});
    } catch (const Poco::DataFormatException &) {
        return {}; // not base64: credentials that match no token, like a wrong one
    }
    const auto colon = decoded.find(':');
    return colon == std::string::npos ? std::string{} : decoded.substr(colon + 1);
}

/// The token a request presents: a bearer token, or the password of Basic credentials (what
/// a browser can send); empty for anything else.
std::string presented_token(std::string_view authorization) {
    if (const auto bearer = credentials_of(authorization, "bearer")) return std::string{*bearer};
    if (const auto basic = credentials_of(authorization, "basic")) return basic_password(*basic);
    return {};
}

} // namespace

AccessPolicy::AccessPolicy(const AccessSettings &settings) : anonymous_(settings.anonymous) {
    for (const auto &token : settings.tokens)
        tokens_.push_back({digest_of_secret(token.secret), token.scope, token.name});
}

Caller AccessPolicy::identify(const HttpHeaders &headers) const {
    const auto authorization = headers.find("authorization");
    if (authorization == headers.end()) return {anonymous_, false};
    const std::string given = presented_token(authorization->second);
    if (given.empty()) return {Scope::none, false};
    const SecretDigest digest = digest_of_secret(given);
    // No early exit: the time taken does not say which token, if any, matched.
    Scope granted = Scope::none;
    const std::string *name = nullptr;
    for (const auto &token : tokens_) {
        const bool same = Poco::DigestEngine::constantTimeEquals(token.digest, digest);
        if (same && (!name || token.scope > granted)) {
            granted = token.scope;
            name = &token.name;
        }
    }
    return name ? Caller{granted, true, *name} : Caller{Scope::none, false};
}

} // namespace vitals
