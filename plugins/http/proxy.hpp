// Which HTTP proxy a request goes through: the check's own `proxy`, or the standard
// variables http_proxy, https_proxy and no_proxy as curl reads them. SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace vitals::http {

/// A proxy as "http://[user:password@]host[:port]" names it.
struct Proxy {
    std::string host;
    std::uint16_t port = 1080;
    std::string user;         ///< percent-decoded
    std::string password;     ///< percent-decoded
    std::string raw_userinfo; ///< as written, to scrub from any text

    /// "host:port", as messages name it (never the credentials).
    std::string shown() const;
};

/// Reads a proxy URL (http:// only, or a bare host:port as the variables often hold);
/// throws std::invalid_argument with words that never quote it.
Proxy parse_proxy(const std::string &url);

/// Whether `no_proxy` (comma-separated names, domains and addresses, or "*") exempts `host`.
bool bypasses_proxy(std::string_view no_proxy, const std::string &host);

/// The standard proxy variables, read once (when a check is created).
struct ProxyEnvironment {
    std::string http;     ///< http_proxy: lower case only, as curl (HTTP_PROXY may come from
                          ///< a CGI request's "Proxy:" header)
    std::string https;    ///< https_proxy, else HTTPS_PROXY
    std::string no_proxy; ///< no_proxy, else NO_PROXY

    static ProxyEnvironment read();

    /// The variable that applies to a URL of `scheme` to `host` and its value, or nothing
    /// when none is set or no_proxy exempts the host.
    std::optional<std::pair<const char *, std::string>> for_url(const std::string &scheme,
                                                                const std::string &host) const;
};

} // namespace vitals::http
