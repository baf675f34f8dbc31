// HTTP proxies for the http plugin. SPDX-License-Identifier: MIT
#include "proxy.hpp"

#include <vitals_plugins/text.hpp>

#include <Poco/Exception.h>
#include <Poco/NumberParser.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace vitals::http {

using vitals::plugins::to_lower;
using vitals::plugins::trim;

std::string Proxy::shown() const {
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Proxy parse_proxy(const std::string &url) {
    std::string rest = url;
    if (const auto scheme_end = rest.find("://"); scheme_end != std::string::npos) {
        if (to_lower(rest.substr(0, scheme_end)) != "http")
            throw std::invalid_argument{"must be an http:// proxy (the scheme to reach the "
                                        "proxy with; https:// URLs still go through it by "
                                        "CONNECT)"};
        rest.erase(0, scheme_end + 3);
    }
    if (const auto path = rest.find('/'); path != std::string::npos) {
        if (rest.find_first_not_of('/', path) != std::string::npos)
            throw std::invalid_argument{"must have no path: http://host:port"};
        rest.erase(path);
    }
    Proxy proxy;
    if (const auto at = rest.rfind('@'); at != std::string::npos) {
        proxy.raw_userinfo = rest.substr(0, at);
        rest.erase(0, at + 1);
        const auto colon = proxy.raw_userinfo.find(':');
        try {
            Poco::URI::decode(proxy.raw_userinfo.substr(0, colon), proxy.user);
            if (colon != std::string::npos)
                Poco::URI::decode(proxy.raw_userinfo.substr(colon + 1), proxy.password);
        } catch (const Poco::Exception &) {
            throw std::invalid_argument{"has a bad %-escape in its user information"};
        }
    }
    std::string port_text;
    if (rest.starts_with('[')) { // [::1]:3128
        const auto close = rest.find(']');
        if (close == std::string::npos) throw std::invalid_argument{"has an unclosed '['"};
        proxy.host = rest.substr(1, close - 1);
        if (close + 1 < rest.size()) {
            if (rest[close + 1] != ':') throw std::invalid_argument{"has junk after its address"};
            port_text = rest.substr(close + 2);
        }
    } else {
        const auto colon = rest.rfind(':');
        proxy.host = rest.substr(0, colon);
        if (colon != std::string::npos) port_text = rest.substr(colon + 1);
    }
    if (proxy.host.empty()) throw std::invalid_argument{"has no host"};
    if (!port_text.empty()) {
        unsigned port = 0;
        if (!Poco::NumberParser::tryParseUnsigned(port_text, port) || port < 1 || port > 65535)
            throw std::invalid_argument{"has a port that is not from 1 to 65535"};
        proxy.port = static_cast<std::uint16_t>(port);
    }
    return proxy;
}

bool bypasses_proxy(std::string_view no_proxy, const std::string &host) {
    const std::string name = to_lower(host);
    std::size_t start = 0;
    while (start <= no_proxy.size()) {
        const auto end = std::min(no_proxy.find(',', start), no_proxy.size());
        std::string entry = to_lower(trim(no_proxy.substr(start, end - start)));
        start = end + 1;
        if (entry == "*") return true;
        if (entry.starts_with('[')) // [::1] or [::1]:8080
            entry = entry.substr(1, entry.find(']') - 1);
        else if (entry.find(':') == entry.rfind(':') && entry.find(':') != std::string::npos)
            entry.erase(entry.find(':')); // a port, which curl ignores too
        while (entry.starts_with('.'))
            entry.erase(0, 1);
        if (entry.empty()) continue;
        if (name == entry) return true;
        if (name.size() > entry.size() && name.ends_with(entry) &&
            name[name.size() - entry.size() - 1] == '.')
            return true;
    }
    return false;
}

ProxyEnvironment ProxyEnvironment::read() {
    const auto variable = [](const char *name) -> std::string {
        const char *value = std::getenv(name);
        return value ? value : "";
    };
    ProxyEnvironment environment;
    environment.http = variable("http_proxy");
    environment.https = variable("https_proxy");
    if (environment.https.empty()) environment.https = variable("HTTPS_PROXY");
    environment.no_proxy = variable("no_proxy");
    if (environment.no_proxy.empty()) environment.no_proxy = variable("NO_PROXY");
    return environment;
}

std::optional<std::pair<const char *, std::string>>
ProxyEnvironment::for_url(const std::string &scheme, const std::string &host) const {
    const bool secure = scheme == "https";
    const std::string &proxy = secure ? https : http;
    if (proxy.empty() || bypasses_proxy(no_proxy, host)) return std::nullopt;
    return std::pair{secure ? "https_proxy" : "http_proxy", proxy};
}

} // namespace vitals::http
