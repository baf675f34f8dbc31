// Bearer (or Basic) tokens → the caller's scope. SPDX-License-Identifier: MIT
#pragma once

#include <string_view>
#include <vector>

#include "config/configuration.hpp"
#include "core/secret_digest.hpp"
#include "http/http_types.hpp"

namespace vitals {

/// Who a request comes from, by its `Authorization: Bearer` token, or by HTTP Basic
/// credentials whose password is a token (the user name is ignored), which is all a
/// browser can send. Tokens are kept as SHA-256 digests and every one is compared in
/// constant time, so neither timing nor a memory dump gives a token away.
class AccessPolicy {
public:
    explicit AccessPolicy(const AccessSettings &settings);

    /// No Authorization header: the anonymous scope. A known token: its scope.
    /// A malformed or unknown one: no scope, as if no credentials were given
    /// (so the answer is 401 with `WWW-Authenticate`, RFC 6750 §3.1).
    Caller identify(const HttpHeaders &headers) const;

    bool has_tokens() const { return !tokens_.empty(); }

private:
    struct Token {
        SecretDigest digest;
        Scope scope;
        std::string name;
    };

    std::vector<Token> tokens_;
    Scope anonymous_;
};

} // namespace vitals
