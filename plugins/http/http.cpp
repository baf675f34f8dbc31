// Vitals "http" checker: does a URL answer as expected, and how fast. SPDX-License-Identifier: MIT
#include "deadline_reaper.hpp"
#include "exception_words.hpp"
#include "json_assertion.hpp"
#include "proxy.hpp"
#include "tls_client.hpp"
#include "watched_session.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/RegularExpression.h>
#include <Poco/URI.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;
using vitals::http::DeadlineReaper;
using vitals::http::exception_words;
using namespace std::chrono_literals;

/// The most of a body read for body_contains / body_regex; the rest is never downloaded.
constexpr std::size_t body_cap = 1024 * 1024;

// key, type, required, default, description, secret
constexpr vitals_param_spec http_params[] = {
    {"url", VITALS_PARAM_STRING, 1, nullptr,
     "http:// or https:// URL; user:password@ in it is sent as Basic auth and never shown", 1},
    {"method", VITALS_PARAM_STRING, 0, "GET", "Request method: GET, HEAD, POST, PUT, ...", 0},
    {"body", VITALS_PARAM_STRING, 0, nullptr,
     "Request body (set its Content-Type in headers); never shown", 1},
    {"expected_status", VITALS_PARAM_STRING_LIST, 0, "2xx,3xx",
     "Status codes that count as up, each \"200\", \"2xx\" or \"200-299\"", 0},
    {"body_contains", VITALS_PARAM_STRING, 0, nullptr,
     "Fail unless the body (its first 1 MiB) contains this text", 0},
    {"body_regex", VITALS_PARAM_STRING, 0, nullptr,
     "Fail unless the body (its first 1 MiB) matches this Perl-compatible regular expression", 0},
    {"json", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "Fail unless the JSON body meets each, \"POINTER OP VALUE\": \"/status == UP\"", 0},
    {"json_warning", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "Warn unless the JSON body meets each, as json: \"/queue/depth < 100\"", 0},
    {"headers", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "Request headers, each \"Name: value\"; the values are never shown", 1},
    {"username", VITALS_PARAM_STRING, 0, nullptr, "User name for Basic auth, with password", 0},
    {"password", VITALS_PARAM_STRING, 0, nullptr, "Password for Basic auth", 1},
    {"bearer_token", VITALS_PARAM_STRING, 0, nullptr, "Token sent as \"Authorization: Bearer ...\"",
     1},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr, "Warn when the response takes longer than this",
     0},
    {"error", VITALS_PARAM_DURATION, 0, nullptr, "Fail when the response takes longer than this",
     0},
    {"follow_redirects", VITALS_PARAM_BOOL, 0, "false",
     "Follow 301/302/303/307/308 redirects and judge the final response", 0},
    // No default in the table, so that setting it without follow_redirects can be refused.
    {"max_redirects", VITALS_PARAM_INT, 0, nullptr,
     "Most redirects followed (1-20, default 5) before failing, with follow_redirects = true", 0},
    {"verify_tls", VITALS_PARAM_BOOL, 0, "true",
     "Verify the server's certificate chain and host name (https)", 0},
    {"ca_file", VITALS_PARAM_STRING, 0, nullptr,
     "PEM file of CA certificates trusted instead of the system's (https)", 0},
    {"client_cert", VITALS_PARAM_STRING, 0, nullptr,
     "PEM file of the client certificate shown to the server (https, with client_key)", 0},
    {"client_key", VITALS_PARAM_STRING, 0, nullptr, "PEM file of client_cert's private key (https)",
     0},
    {"proxy", VITALS_PARAM_STRING, 0, nullptr,
     "HTTP proxy, http://[user:password@]host:port; \"\" for none (default: http_proxy, "
     "https_proxy and no_proxy from the environment)",
     1},
    {}, // the NULL key that ends the table
};

// ---------------------------------------------------------------- text helpers

/// `text` without HTTP's optional white space (RFC 9110 OWS), which is spaces and tabs only.
std::string trim_ows(std::string_view text) {
    return std::string{trim(text, " \t")};
}

/// Replaces every occurrence of each secret in `text`. Messages are built from parts that
/// cannot hold a secret; this is the second line of defence against a library that echoes
/// what it was given.
std::string scrub(std::string text, const std::vector<std::string> &secrets) {
    for (const auto &secret : secrets) {
        // Shorter ones would garble ordinary words; no message part can hold them anyway.
        if (secret.size() < 4) continue;
        text = mask_secret(std::move(text), secret);
    }
    return text;
}

// ---------------------------------------------------------------- URL and parameters

/// A URL split into what is shown and what is secret.
struct Target {
    Poco::URI uri;            ///< without user information
    std::string user;         ///< percent-decoded
    std::string password;     ///< percent-decoded
    std::string raw_userinfo; ///< as written, to scrub from any text
};

/// The URL minus "user:password@", which Poco never sees: its URI parser splits at every '@'
/// (losing part of a password holding an unencoded one) and its syntax errors quote the URL.
Target split_userinfo(const std::string &url) {
    Target target;
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos)
        throw std::invalid_argument("must start with http:// or https://");
    const auto authority_start = scheme_end + 3;
    const auto authority_end = url.find_first_of("/?#", authority_start);
    const std::string authority = url.substr(
        authority_start,
        authority_end == std::string::npos ? std::string::npos : authority_end - authority_start);
    const auto at = authority.rfind('@');
    std::string without = url;
    if (at != std::string::npos) {
        target.raw_userinfo = authority.substr(0, at);
        without.erase(authority_start, at + 1);
        const auto colon = target.raw_userinfo.find(':');
        Poco::URI::decode(target.raw_userinfo.substr(0, colon), target.user);
        if (colon != std::string::npos)
            Poco::URI::decode(target.raw_userinfo.substr(colon + 1), target.password);
    }
    target.uri = Poco::URI{without};
    return target;
}

bool is_https(const Poco::URI &uri) {
    return uri.getScheme() == "https";
}

/// The URL as messages show it: no user information, and the query hidden ("?...") since it
/// may carry a token.
std::string shown(const Poco::URI &uri) {
    std::string text = uri.getScheme() + "://" + uri.getAuthority();
    text += uri.getPath().empty() ? "/" : uri.getPath();
    if (!uri.getRawQuery().empty()) text += "?...";
    return text;
}

/// Scheme, host and port: configured headers and credentials go only to the same origin.
std::string origin(const Poco::URI &uri) {
    return uri.getScheme() + "://" + to_lower(uri.getHost()) + ":" + std::to_string(uri.getPort());
}

/// One accepted status range, from "200", "2xx" or "200-299".
struct StatusRange {
    int low;
    int high;
    std::string text;

    bool contains(int status) const { return status >= low && status <= high; }
};

std::optional<int> status_number(std::string_view text) {
    int value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || text.size() != 3)
        return std::nullopt;
    if (value < 100 || value > 599) return std::nullopt;
    return value;
}

std::optional<StatusRange> parse_status_range(const std::string &text) {
    const std::string item = to_lower(trim_ows(text));
    if (item.size() == 3 && item[0] >= '1' && item[0] <= '5' && item.substr(1) == "xx") {
        const int hundreds = (item[0] - '0') * 100;
        return StatusRange{hundreds, hundreds + 99, item};
    }
    if (const auto dash = item.find('-'); dash != std::string::npos) {
        const auto low = status_number(trim_ows(item.substr(0, dash)));
        const auto high = status_number(trim_ows(item.substr(dash + 1)));
        if (!low || !high || *low > *high) return std::nullopt;
        return StatusRange{*low, *high, std::to_string(*low) + "-" + std::to_string(*high)};
    }
    const auto single = status_number(item);
    if (!single) return std::nullopt;
    return StatusRange{*single, *single, item};
}

/// RFC 9110 token characters, the only ones a header name may have.
bool is_token(std::string_view name) {
    constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               extra.find(c) != std::string_view::npos;
    });
}

struct Header {
    std::string name;
    std::string value;
};

// ---------------------------------------------------------------- deadline enforcement

/// One session's connection: handed to the run's deadline watch as soon as it is up.
class SessionWatch final : public vitals::http::ConnectionObserver {
public:
    explicit SessionWatch(DeadlineReaper::Watch &deadline) : deadline_(deadline) {}

    void connected(int fd) override {
        connected_ = true;
        deadline_.watch(fd);
    }

    bool connected() const { return connected_; }
    bool timed_out() const { return deadline_.fired(); }

private:
    DeadlineReaper::Watch &deadline_;
    bool connected_ = false;
};

/// Poco's per-operation timeout for what is left; never zero, which would mean "no timeout".
Poco::Timespan timeout_until(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::microseconds>(deadline - Clock::now());
    return Poco::Timespan{std::max<Poco::Timespan::TimeDiff>(left.count(), 1000)};
}

// ---------------------------------------------------------------- one exchange

/// A run that cannot go on; its text follows "METHOD URL: ".
class Failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// What one request got back.
struct Response {
    int status = 0;
    std::string reason;
    std::string location; ///< Location header, if any
    std::string body;     ///< at most body_cap bytes, kept only when matching
    std::uint64_t body_bytes = 0;
};

class HttpCheck {
public:
    explicit HttpCheck(const vitals::Params &params) {
        const std::string url = params.string("url");
        try {
            target_ = split_userinfo(url);
        } catch (const std::exception &) {
            // Not the exception's text: Poco's URI errors quote the URL, password and all.
            params.reject("url", "is not a valid URL (expected http://host[:port]/path or "
                                 "https://...)");
        }
        secrets_ = {target_.raw_userinfo, target_.password};
        add_query_secrets(target_.uri);
        const auto &uri = target_.uri;
        if (uri.getScheme() != "http" && uri.getScheme() != "https")
            params.reject("url", "must start with http:// or https://");
        if (uri.getHost().empty()) params.reject("url", "has no host");
        if (!uri.getFragment().empty()) params.reject("url", "must not have a #fragment");

        method_ = params.string("method");
        for (char &c : method_)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (!is_token(method_))
            params.reject("method", "is not a method name, got \"" + printable(method_, 20) + "\"");
        if (params.has("body")) {
            body_ = params.string("body");
            if (method_ == "HEAD") params.reject("body", "cannot be sent with HEAD");
        }

        read_statuses(params);
        read_body_checks(params);
        read_headers(params);
        read_auth(params);
        read_json(params);
        read_proxy(params);

        limits_ = time_limits(params, "response");

        follow_redirects_ = params.boolean("follow_redirects");
        if (params.has("max_redirects")) {
            max_redirects_ = params.integer("max_redirects");
            if (max_redirects_ < 1 || max_redirects_ > 20)
                params.reject("max_redirects",
                              "must be from 1 to 20, got " + std::to_string(max_redirects_));
            if (!follow_redirects_)
                params.reject("max_redirects", "has no effect unless follow_redirects = true");
        }

        verify_tls_ = params.boolean("verify_tls");
        if (params.has("ca_file")) {
            ca_file_ = params.string("ca_file");
            if (ca_file_.empty() || ca_file_.front() != '/')
                params.reject("ca_file", "must be an absolute path, got \"" + ca_file_ + "\"");
            if (!verify_tls_) params.reject("ca_file", "has no effect with verify_tls = false");
        }
        vitals::http::TlsSettings tls{verify_tls_, ca_file_, {}, {}};
        read_client_certificate(params, tls);
        tls_.emplace(std::move(tls));
        what_ = method_ + " " + shown(uri);
        // Longest first: a secret that holds another (the query, one of its values) goes whole.
        std::sort(secrets_.begin(), secrets_.end(),
                  [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
    }

    void run(vitals::Run &run) {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error(what_ + ": no time left to send the request");
            return;
        }
        const auto start = Clock::now();
        try {
            DeadlineReaper::Watch deadline_watch{*reaper_, *deadline};
            Poco::URI current = target_.uri;
            Response response;
            int redirects = 0;
            for (;;) {
                response = exchange(current, deadline_watch, *deadline, start);
                if (!follow_redirects_ || !is_redirect(response.status)) break;
                if (response.location.empty())
                    throw Failure{std::to_string(response.status) + " " + response.reason +
                                  " without a Location header"};
                if (redirects == max_redirects_)
                    throw Failure{"more than " + std::to_string(max_redirects_) + " redirect" +
                                  (max_redirects_ == 1 ? "" : "s") + ", last to " +
                                  redirect_target(current, response.location)};
                current = next_location(current, response.location);
                ++redirects;
            }
            report(run, response, Clock::now() - start, current, redirects);
        } catch (const Failure &failure) {
            run.error(scrub(what_ + ": " + failure.what(), secrets_));
        }
    }

private:
    // ------------------------------------------------------------ validation

    /// The query and each of its values, as written and decoded: any may be a token, and a
    /// server may echo either form (in a reason phrase, a body, an error page).
    void add_query_secrets(const Poco::URI &uri) {
        const std::string &query = uri.getRawQuery();
        if (query.empty()) return;
        secrets_.push_back(query);
        for (std::size_t start = 0; start <= query.size();) {
            const auto end = std::min(query.find('&', start), query.size());
            const std::string item = query.substr(start, end - start);
            const auto equals = item.find('=');
            // "?token" alone is a value too.
            const std::string raw = equals == std::string::npos ? item : item.substr(equals + 1);
            std::string decoded;
            try {
                Poco::URI::decode(raw, decoded, true);
            } catch (const Poco::Exception &) {
                decoded.clear(); // a bad %-escape: only the raw form can come back
            }
            secrets_.push_back(raw);
            secrets_.push_back(decoded);
            start = end + 1;
        }
    }

    void read_statuses(const vitals::Params &params) {
        for (const auto &item : params.strings("expected_status")) {
            const auto range = parse_status_range(item);
            if (!range)
                params.reject("expected_status", "\"" + printable(item, 20) +
                                                     "\" is not a status code (100-599), a class "
                                                     "such as \"2xx\" or a range \"200-299\"");
            expected_.push_back(*range);
        }
        if (expected_.empty())
            params.reject("expected_status", "must list at least one status code");
    }

    void read_body_checks(const vitals::Params &params) {
        if (params.has("body_contains")) {
            body_contains_ = params.string("body_contains");
            if (body_contains_->empty())
                params.reject("body_contains", "must not be empty: every body contains \"\"");
        }
        if (params.has("body_regex")) {
            body_regex_text_ = params.string("body_regex");
            try {
                body_regex_ = std::make_unique<Poco::RegularExpression>(body_regex_text_);
            } catch (const Poco::Exception &e) {
                params.reject("body_regex", "is not a valid regular expression: " + e.message());
            }
        }
        if (method_ == "HEAD" && (body_contains_ || body_regex_))
            params.reject(body_contains_ ? "body_contains" : "body_regex",
                          "needs a body: HEAD responses have none (use method = \"GET\")");
    }

    void read_headers(const vitals::Params &params) {
        if (!params.has("headers")) return;
        const auto items = params.strings("headers");
        for (std::size_t i = 0; i < items.size(); ++i) {
            // Never quote the item: it may hold a token.
            const std::string which = "item " + std::to_string(i + 1);
            const auto colon = items[i].find(':');
            if (colon == std::string::npos)
                params.reject("headers", which + " must be \"Name: value\"");
            Header header{trim_ows(items[i].substr(0, colon)),
                          trim_ows(items[i].substr(colon + 1))};
            if (!is_token(header.name))
                params.reject("headers", which + " has no valid header name before ':'");
            if (header.value.find_first_of("\r\n", 0) != std::string::npos ||
                header.value.find('\0') != std::string::npos)
                params.reject("headers",
                              which + " (" + header.name + ") must not contain line breaks");
            const std::string name = to_lower(header.name);
            if (name == "content-length" || name == "transfer-encoding")
                params.reject("headers", which + " (" + header.name +
                                             ") cannot be set: it is the length of body");
            if (name == "authorization") has_authorization_ = true;
            secrets_.push_back(header.value);
            headers_.push_back(std::move(header));
        }
    }

    void read_auth(const vitals::Params &params) {
        const bool basic = params.has("username") || params.has("password");
        if (params.has("password") && !params.has("username"))
            params.reject("password", "needs username");
        if (params.has("bearer_token")) {
            const std::string token = params.string("bearer_token");
            if (token.empty()) params.reject("bearer_token", "must not be empty");
            if (basic) params.reject("bearer_token", "cannot be sent with username and password");
            authorization_ = "Bearer " + token;
            secrets_.push_back(token);
        } else if (basic) {
            const std::string user = params.string("username");
            const std::string password = params.has("password") ? params.string("password") : "";
            if (user.find(':') != std::string::npos)
                params.reject("username", "must not contain ':' (Basic auth splits there)");
            authorization_ = "Basic " + base64(user + ":" + password);
            secrets_.push_back(password);
        }
        if (authorization_.empty()) return;
        const char *key = params.has("bearer_token") ? "bearer_token" : "username";
        secrets_.push_back(authorization_);
        if (has_authorization_)
            params.reject(key, "cannot be used with an Authorization header in headers");
        if (!target_.raw_userinfo.empty())
            params.reject(key, "cannot be used with user:password@ in the url");
    }

    void read_json(const vitals::Params &params) {
        for (const char *key : {"json", "json_warning"}) {
            if (!params.has(key)) continue;
            const auto items = params.strings(key);
            if (items.empty()) params.reject(key, "must list at least one assertion");
            auto &assertions = std::string_view{key} == "json" ? json_errors_ : json_warnings_;
            for (std::size_t i = 0; i < items.size(); ++i) {
                try {
                    assertions.emplace_back(items[i]);
                } catch (const std::invalid_argument &e) {
                    params.reject(key, "item " + std::to_string(i + 1) + " " + e.what());
                }
            }
        }
        if (method_ == "HEAD" && !(json_errors_.empty() && json_warnings_.empty()))
            params.reject(json_errors_.empty() ? "json_warning" : "json",
                          "needs a body: HEAD responses have none (use method = \"GET\")");
    }

    void read_proxy(const vitals::Params &params) {
        if (!params.has("proxy")) {
            proxy_environment_ = vitals::http::ProxyEnvironment::read();
            return;
        }
        const std::string url = params.string("proxy");
        proxy_environment_.reset(); // set, even to "": the environment has no say
        if (url.empty()) return;
        try {
            proxy_ = vitals::http::parse_proxy(url);
        } catch (const std::invalid_argument &e) {
            params.reject("proxy", e.what()); // never the URL: it may hold a password
        }
        secrets_.push_back(proxy_->raw_userinfo);
        secrets_.push_back(proxy_->password);
    }

    void read_client_certificate(const vitals::Params &params, vitals::http::TlsSettings &tls) {
        for (const char *key : {"client_cert", "client_key"}) {
            if (!params.has(key)) continue;
            const std::string path = params.string(key);
            if (path.empty() || path.front() != '/')
                params.reject(key, "must be an absolute path, got \"" + path + "\"");
            (std::string_view{key} == "client_cert" ? tls.client_cert : tls.client_key) = path;
        }
        if (tls.client_cert.empty() != tls.client_key.empty())
            params.reject(tls.client_cert.empty() ? "client_key" : "client_cert",
                          "needs " +
                              std::string{tls.client_cert.empty() ? "client_cert" : "client_key"});
    }

    /// The proxy for a request to `uri`, from the check or the environment; nothing for none.
    std::optional<vitals::http::Proxy> proxy_for(const Poco::URI &uri) const {
        if (proxy_) return proxy_;
        if (!proxy_environment_) return std::nullopt;
        const auto variable = proxy_environment_->for_url(uri.getScheme(), uri.getHost());
        if (!variable) return std::nullopt;
        try {
            return vitals::http::parse_proxy(variable->second);
        } catch (const std::invalid_argument &e) {
            throw Failure{std::string{"the environment's "} + variable->first + " " + e.what()};
        }
    }

    // ------------------------------------------------------------ the exchange

    static bool is_redirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    /// The Location resolved against the URL that answered, shown without secrets.
    std::string redirect_target(const Poco::URI &base, const std::string &location) const {
        try {
            return shown(next_location(base, location));
        } catch (const Failure &) {
            return "an invalid Location";
        }
    }

    static Poco::URI next_location(const Poco::URI &base, const std::string &location) {
        Poco::URI next;
        try {
            next = base;
            next.resolve(split_userinfo_relative(location));
        } catch (const Poco::Exception &) {
            throw Failure{"redirect to an invalid Location"};
        }
        if (next.getScheme() != "http" && next.getScheme() != "https")
            throw Failure{"redirect to an unsupported scheme \"" + printable(next.getScheme(), 20) +
                          "\""};
        next.setFragment("");
        return next;
    }

    /// A Location with any user information dropped (it is never sent on, nor shown).
    static std::string split_userinfo_relative(const std::string &location) {
        if (location.find("://") == std::string::npos) return location;
        try {
            return split_userinfo(location).uri.toString();
        } catch (const std::exception &) {
            return location;
        }
    }

    Response exchange(const Poco::URI &uri, DeadlineReaper::Watch &deadline_watch,
                      Clock::time_point deadline, Clock::time_point start) {
        if (Clock::now() >= deadline) throw Failure{timed_out(start, "before the request")};
        const bool send_credentials = origin(uri) == origin(target_.uri);
        Poco::Net::HTTPRequest request{
            method_, uri.getPathAndQuery().empty() ? std::string{"/"} : uri.getPathAndQuery(),
            Poco::Net::HTTPMessage::HTTP_1_1};
        request.setKeepAlive(false);
        request.set("User-Agent", "vitals-http/0.1");
        if (send_credentials) {
            for (const auto &header : headers_) {
                if (equal_ignoring_case(header.name, "user-agent")) request.erase("User-Agent");
                request.add(header.name, header.value);
            }
            if (!target_.raw_userinfo.empty() && !has_authorization_)
                request.set("Authorization",
                            "Basic " + base64(target_.user + ":" + target_.password));
            if (!authorization_.empty()) request.set("Authorization", authorization_);
        }
        if (body_) request.setContentLength(static_cast<std::streamsize>(body_->size()));
        const auto proxy = proxy_for(uri);
        Poco::Net::HTTPClientSession::ProxyConfig proxy_config;
        if (proxy) {
            proxy_config.host = proxy->host;
            proxy_config.port = proxy->port;
            proxy_config.username = proxy->user;
            proxy_config.password = proxy->password;
        }
        SessionWatch watch{deadline_watch};
        try {
            if (is_https(uri)) {
                std::unique_ptr<Poco::Net::HTTPClientSession> session;
                try {
                    session = tls_->session(uri.getHost(), uri.getPort(), watch, proxy_config);
                } catch (const std::exception &e) {
                    throw Failure{e.what()};
                }
                return converse(*session, watch, &*tls_, request, deadline, start);
            }
            vitals::http::WatchedSession<Poco::Net::HTTPClientSession> session{
                watch, uri.getHost(), uri.getPort(), proxy_config};
            return converse(session, watch, nullptr, request, deadline, start);
        } catch (const Failure &failure) {
            if (!proxy) throw;
            throw Failure{std::string{failure.what()} + " (through proxy " + proxy->shown() + ")"};
        }
    }

    /// One request and its response; `tls` reads the failures of an https session.
    Response converse(Poco::Net::HTTPClientSession &session, const SessionWatch &watch,
                      const vitals::http::TlsClient *tls, Poco::Net::HTTPRequest &request,
                      Clock::time_point deadline, Clock::time_point start) {
        const char *phase = "connecting";
        try {
            session.setKeepAlive(false);
            const auto left = timeout_until(deadline);
            session.setTimeout(left, left, left);
            std::ostream &out = session.sendRequest(request);
            if (body_) out << *body_ << std::flush;
            phase = "waiting for the response";
            Poco::Net::HTTPResponse reply;
            std::istream &body = session.receiveResponse(reply);
            // Poco takes a shutdown in the middle of the headers for their end.
            if (watch.timed_out()) throw Failure{timed_out(start, phase)};
            Response response;
            response.status = static_cast<int>(reply.getStatus());
            // Scrubbed before printable() cuts it, or a secret cut in half would survive.
            response.reason = printable(scrub(reply.getReason(), secrets_));
            response.location = reply.get("Location", "");
            if (method_ != "HEAD") {
                phase = "reading the body";
                read_body(body, response);
            }
            if (watch.timed_out()) throw Failure{timed_out(start, phase)};
            return response;
        } catch (const Failure &) {
            throw;
        } catch (const Poco::Exception &e) {
            if (watch.timed_out()) throw Failure{timed_out(start, phase)};
            throw Failure{describe(e, tls, session.getHost(), watch.connected(), phase, start)};
        } catch (const std::exception &e) {
            if (watch.timed_out()) throw Failure{timed_out(start, phase)};
            throw Failure{after_colon(e.what())};
        }
    }

    void read_body(std::istream &body, Response &response) const {
        // Poco's stream buffers report socket errors as a bad stream; this rethrows them.
        body.exceptions(std::ios::badbit);
        const bool keep =
            body_contains_ || body_regex_ || !json_errors_.empty() || !json_warnings_.empty();
        std::array<char, 16 * 1024> buffer{};
        while (response.body_bytes < body_cap) {
            const auto want =
                std::min<std::uint64_t>(buffer.size(), body_cap - response.body_bytes);
            body.read(buffer.data(), static_cast<std::streamsize>(want));
            const auto got = static_cast<std::size_t>(body.gcount());
            if (got == 0) break;
            response.body_bytes += got;
            if (keep) response.body.append(buffer.data(), got);
        }
    }

    /// The words after "METHOD URL: " for a library exception.
    std::string describe(const Poco::Exception &e, const vitals::http::TlsClient *tls,
                         const std::string &host, bool connected, const char *phase,
                         Clock::time_point start) const {
        if (dynamic_cast<const Poco::TimeoutException *>(&e)) return timed_out(start, phase);
        if (dynamic_cast<const Poco::Net::ConnectionRefusedException *>(&e))
            return "connection refused";
        if (dynamic_cast<const Poco::Net::DNSException *>(&e))
            return "cannot resolve " + host + " (" + to_lower(e.name()) + ")";
        if (tls)
            if (std::string words = tls->describe(e, host, connected, phase); !words.empty())
                return words;
        if (dynamic_cast<const Poco::Net::NoMessageException *>(&e))
            return "connection closed without a response";
        if (dynamic_cast<const Poco::Net::MessageException *>(&e))
            return "malformed response: " + exception_words(e);
        return std::string{connected ? "" : "cannot connect: "} + exception_words(e) +
               (connected ? std::string{" while "} + phase : "");
    }

    std::string timed_out(Clock::time_point start, const char *phase) const {
        return "timed out after " + format_duration(Clock::now() - start) + " " + phase;
    }

    // ------------------------------------------------------------ verdict

    bool status_expected(int status) const {
        return std::any_of(expected_.begin(), expected_.end(),
                           [&](const StatusRange &range) { return range.contains(status); });
    }

    std::string expected_text() const {
        std::vector<std::string> parts;
        for (const auto &range : expected_)
            parts.push_back(range.text);
        return join(parts, ", ");
    }

    std::string body_problem(const Response &response) const {
        const std::string scope = response.body_bytes >= body_cap ? " (first 1 MiB)" : "";
        if (body_contains_ && response.body.find(*body_contains_) == std::string::npos)
            return "body" + scope + " does not contain \"" + printable(*body_contains_, 60) + "\"";
        if (body_regex_) {
            Poco::RegularExpression::Match match{};
            int matches = 0;
            try {
                matches = body_regex_->match(response.body, 0, match);
            } catch (const Poco::Exception &e) {
                return "body_regex failed on the body: " + after_colon(e.message());
            }
            if (matches == 0)
                return "body" + scope + " does not match /" + printable(body_regex_text_, 60) + "/";
        }
        return {};
    }

    /// What the first of `assertions` the body fails says ("/status is \"DOWN\", not == UP"),
    /// or "" when it meets them all. A body that is no JSON fails any of them.
    static std::string json_problem(const Response &response,
                                    const std::vector<vitals::http::JsonAssertion> &assertions) {
        if (assertions.empty()) return {};
        if (response.body_bytes >= body_cap)
            return "the body is larger than 1 MiB, too large for its JSON to be checked";
        Poco::Dynamic::Var document;
        try {
            document = vitals::http::parse_json(response.body);
        } catch (const std::invalid_argument &e) {
            return "the body is not JSON: " + printable(e.what());
        }
        for (const auto &assertion : assertions)
            if (const auto problem = assertion.problem(document)) return *problem;
        return {};
    }

    void report(vitals::Run &run, const Response &response, nanoseconds elapsed,
                const Poco::URI &final_uri, int redirects) const {
        run.metric("response_time", to_seconds(elapsed), "seconds");
        run.metric("status_code", response.status);
        run.metric("body_bytes", static_cast<double>(response.body_bytes), "bytes");

        std::string message = what_ + ": " + std::to_string(response.status) +
                              (response.reason.empty() ? "" : " " + response.reason) + " in " +
                              format_duration(elapsed);
        if (redirects > 0)
            message += " after " + std::to_string(redirects) + " redirect" +
                       (redirects == 1 ? "" : "s") + " to " + shown(final_uri);
        else if (is_redirect(response.status) && !response.location.empty())
            message +=
                " (redirect to " + redirect_target(final_uri, response.location) + " not followed)";

        vitals::Status status = vitals::Status::ok;
        if (!status_expected(response.status)) {
            message += ", expected " + expected_text();
            status = vitals::Status::error;
        } else if (const std::string problem = body_problem(response); !problem.empty()) {
            message += ", but the " + problem;
            status = vitals::Status::error;
        } else if (const std::string failed = json_problem(response, json_errors_);
                   !failed.empty()) {
            message += ", but " + failed;
            status = vitals::Status::error;
        } else if (limits_.error && elapsed > *limits_.error) {
            message += ", slower than " + format_duration(*limits_.error);
            status = vitals::Status::error;
        } else if (const std::string doubtful = json_problem(response, json_warnings_);
                   !doubtful.empty()) {
            message += ", but " + doubtful;
            status = vitals::Status::warning;
        } else if (limits_.warning && elapsed > *limits_.warning) {
            message += ", slower than " + format_duration(*limits_.warning);
            status = vitals::Status::warning;
        }
        run.result(status, scrub(message, secrets_));
    }

    static std::string base64(const std::string &text) {
        std::ostringstream out;
        Poco::Base64Encoder encoder{out};
        encoder.rdbuf()->setLineLength(0);
        encoder << text;
        encoder.close();
        return out.str();
    }

    Target target_;
    std::string what_; ///< "GET https://host/path", as every message starts
    std::string method_;
    std::vector<StatusRange> expected_;
    std::optional<std::string> body_contains_;
    std::string body_regex_text_;
    std::unique_ptr<Poco::RegularExpression> body_regex_;
    std::vector<Header> headers_;
    bool has_authorization_ = false;
    std::string authorization_; ///< from username/password or bearer_token; "" for none
    std::optional<std::string> body_;
    std::vector<vitals::http::JsonAssertion> json_errors_;
    std::vector<vitals::http::JsonAssertion> json_warnings_;
    std::optional<vitals::http::Proxy> proxy_; ///< the check's own proxy
    /// The proxy variables when the check sets no proxy (not even ""), read at creation.
    std::optional<vitals::http::ProxyEnvironment> proxy_environment_;
    TimeLimits limits_;
    bool follow_redirects_ = false;
    std::int64_t max_redirects_ = 5;
    bool verify_tls_ = true;
    std::string ca_file_;
    std::optional<vitals::http::TlsClient> tls_; ///< for https URLs, a redirect's included
    std::vector<std::string> secrets_;           ///< scrubbed from every message
    /// Enforces each run's deadline; held so that its thread outlives every run.
    std::shared_ptr<DeadlineReaper> reaper_ = DeadlineReaper::shared();
};

} // namespace

VITALS_CPP_PLUGIN(HttpCheck, "http", "0.1.0",
                  "Whether a URL answers with an expected status and body, and how fast",
                  http_params)
