// Parameter validation of the network plugins, as startup and `vitalsd --check-config` see it:
// every bad value is reported under its key path, and none echoes a secret.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "app/load_configuration.hpp"
#include "config/config_error.hpp"
#include "core/log.hpp"
#include "network_support.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::network;

/// Loads a conf.d holding `checks` with the shipped plugins; returns every error.
vitals::ConfigErrors load_errors(const std::string &checks) {
    vitals::set_log_level(vitals::LogLevel::warning); // not a "loaded plugin" line per call
    TempDir dir;
    dir.write("conf.d/checks.toml", checks);
    vitals::AgentSettings defaults;
    defaults.conf_d = dir.path() / "conf.d";
    defaults.plugin_dirs = {VITALS_SHIPPED_PLUGIN_DIR};
    return vitals::load_configuration(std::nullopt, defaults).errors;
}

std::string describe(const vitals::ConfigErrors &errors) {
    std::string text;
    for (const auto &error : errors)
        text += "\n  " + error.to_string();
    return text;
}

/// One check with `params`; asserts that its only error is for `key` and says `fragment`.
void rejects(const std::string &plugin, const std::string &params, const std::string &key,
             const std::string &fragment) {
    const auto errors = load_errors(check_toml("bad", plugin, params));
    INFO(plugin << " { " << params << " }" << describe(errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors.front().key == "check.bad.params." + key);
    CHECK(contains(errors.front().message, fragment));
}

void accepts(const std::string &plugin, const std::string &params) {
    const auto errors = load_errors(check_toml("good", plugin, params));
    INFO(plugin << " { " << params << " }" << describe(errors));
    CHECK(errors.empty());
}

} // namespace

TEST_CASE("tcp: warning and error thresholds are validated") {
    accepts("tcp", R"(host = "127.0.0.1", port = 80, warning = "100ms", error = "1s")");
    accepts("tcp", R"(host = "127.0.0.1", port = 80, warning = "100ms")"); // as before
    accepts("tcp", R"(host = "127.0.0.1", port = 80, error = "1s")");
    rejects("tcp", R"(host = "127.0.0.1", port = 80, error = "0s")", "error",
            "must be longer than zero");
    rejects("tcp", R"(host = "127.0.0.1", port = 80, warning = "2s", error = "1s")", "warning",
            "must not be longer than error (2.00 s > 1.00 s)");
    rejects("tcp", R"(host = "127.0.0.1", port = 80, error = 5)", "error", "expected a duration");
}

TEST_CASE("tcp: dialogue steps and TLS settings are validated") {
    accepts("tcp", R"(host = "h", port = 25, steps = ["expect: ^220", "send: EHLO me", )"
                   R"("starttls", "send:QUIT"], ca_file = "/etc/ssl/ca.pem", server_name = "m")");
    accepts("tcp", R"(host = "h", port = 993, tls = true, verify_tls = false)");
    rejects("tcp", R"(host = "h", port = 25, steps = ["expect: ^220", "sned: Tcp-Secret-2"])",
            "steps", "item 2 must be \"send: TEXT\", \"expect: REGEX\" or \"starttls\"");
    rejects("tcp", R"(host = "h", port = 25, steps = ["expect: (unclosed"])", "steps",
            "item 1 is not a valid regular expression");
    rejects("tcp", R"(host = "h", port = 25, steps = ["expect:"])", "steps",
            "item 1 expects an empty pattern");
    rejects("tcp", R"(host = "h", port = 25, steps = ["send: a\r\nb"])", "steps",
            "item 1 sends a line break");
    rejects("tcp", R"(host = "h", port = 25, steps = ["starttls", "starttls"])", "steps",
            "item 2 starts TLS a second time");
    rejects("tcp", R"(host = "h", port = 25, steps = [])", "steps", "at least one step");
    rejects("tcp", R"(host = "h", port = 25, tls = true, steps = ["starttls"])", "tls",
            "TLS would start twice");
    rejects("tcp", R"(host = "h", port = 25, ca_file = "/ca.pem")", "ca_file",
            "has no effect without tls = true or a starttls step");
    rejects("tcp", R"(host = "h", port = 25, tls = true, ca_file = "ca.pem")", "ca_file",
            "must be an absolute path");
    rejects("tcp", R"(host = "h", port = 25, tls = true, verify_tls = false, ca_file = "/c")",
            "ca_file", "has no effect with verify_tls = false");
    rejects("tcp", R"(host = "h", port = 25, server_name = "m")", "server_name",
            "has no effect without tls");
    const auto errors = load_errors(
        check_toml("bad", "tcp", R"(host = "h", port = 25, steps = ["sned: Tcp-Secret-2"])"));
    CHECK_FALSE(contains(describe(errors), "Tcp-Secret-2"));
}

TEST_CASE("grpc: parameters are validated") {
    accepts("grpc", R"(host = "127.0.0.1", port = 50051)");
    accepts("grpc", R"(host = "api.internal", port = 443, service = "orders.v1.Orders", )"
                    R"(tls = true, ca_file = "/etc/ssl/ca.pem", client_cert = "/c.pem", )"
                    R"(client_key = "/k.pem", server_name = "orders", warning = "100ms", )"
                    R"(error = "1s")");
    accepts("grpc", R"(host = "h", port = 1, tls = true, verify_tls = false)");
    rejects("grpc", R"(port = 50051)", "host", "missing required parameter 'host'");
    rejects("grpc", R"(host = "", port = 50051)", "host", "must not be empty");
    rejects("grpc", R"(host = "h", port = 0)", "port", "must be from 1 to 65535");
    rejects("grpc", R"(host = "h", port = 1, service = "a\nb")", "service",
            "must not contain control characters");
    rejects("grpc", R"(host = "h", port = 1, ca_file = "/ca.pem")", "ca_file",
            "has no effect without tls = true");
    rejects("grpc", R"(host = "h", port = 1, tls = true, ca_file = "ca.pem")", "ca_file",
            "must be an absolute path");
    rejects("grpc", R"(host = "h", port = 1, tls = true, verify_tls = false, ca_file = "/c")",
            "ca_file", "has no effect with verify_tls = false");
    rejects("grpc", R"(host = "h", port = 1, tls = true, client_key = "/k.pem")", "client_key",
            "needs client_cert");
    rejects("grpc", R"(host = "h", port = 1, server_name = "x")", "server_name",
            "has no effect without tls = true");
    rejects("grpc", R"(host = "h", port = 1, tls = true, server_name = "a b")", "server_name",
            "is not a host name");
    rejects("grpc", R"(host = "h", port = 1, verify_tls = false)", "verify_tls",
            "has no effect without tls = true");
    rejects("grpc", R"(host = "h", port = 1, warning = "2s", error = "1s")", "warning",
            "must not be longer than error");
}

TEST_CASE("http: parameters are validated") {
    accepts("http", R"(url = "http://127.0.0.1/")");
    // TOML inline tables are one line; the literals are joined.
    accepts("http", R"(url = "https://user:pw@example.com:8443/health?full=1", method = "head", )"
                    R"(expected_status = ["200", "3xx", "500-503"], )"
                    R"(headers = ["Authorization: Bearer x"], warning = "1s", error = "2s", )"
                    R"(follow_redirects = true, max_redirects = 3, )"
                    R"(ca_file = "/etc/ssl/certs/ca-certificates.crt")");

    SUBCASE("url") {
        rejects("http", R"(url = "ftp://example.com/")", "url", "must start with http://");
        rejects("http", R"(url = "example.com")", "url", "is not a valid URL");
        rejects("http", R"(url = "http:///health")", "url", "has no host");
        rejects("http", R"(url = "http://example.com/#top")", "url", "#fragment");
    }
    SUBCASE("method and statuses") {
        accepts("http", R"(url = "http://h/", method = "post", body = "{}")");
        accepts("http", R"(url = "http://h/", method = "PROPFIND")");
        rejects("http", R"(url = "http://h/", method = "GET /x")", "method",
                "is not a method name");
        rejects("http", R"(url = "http://h/", method = "HEAD", body = "x")", "body",
                "cannot be sent with HEAD");
        rejects("http", R"(url = "http://h/", expected_status = ["2xy"])", "expected_status",
                "\"2xy\" is not a status code");
        rejects("http", R"(url = "http://h/", expected_status = ["600"])", "expected_status",
                "\"600\" is not a status code");
        rejects("http", R"(url = "http://h/", expected_status = ["300-200"])", "expected_status",
                "is not a status code");
        rejects("http", R"(url = "http://h/", expected_status = [])", "expected_status",
                "at least one");
    }
    SUBCASE("body checks") {
        rejects("http", R"(url = "http://h/", body_regex = "(unclosed")", "body_regex",
                "is not a valid regular expression");
        rejects("http", R"(url = "http://h/", body_contains = "")", "body_contains",
                "must not be empty");
        rejects("http", R"(url = "http://h/", method = "HEAD", body_contains = "ok")",
                "body_contains", "HEAD responses have none");
    }
    SUBCASE("headers") {
        rejects("http", R"(url = "http://h/", headers = ["X-A: 1", "NoColon"])", "headers",
                "item 2 must be \"Name: value\"");
        rejects("http", R"(url = "http://h/", headers = ["Bad Name: 1"])", "headers",
                "no valid header name");
        rejects("http", R"(url = "http://h/", headers = ["X-A: one\r\nX-B: two"])", "headers",
                "must not contain line breaks");
        rejects("http", R"(url = "http://h/", headers = ["Content-Length: 5"])", "headers",
                "cannot be set");
    }
    SUBCASE("thresholds and redirects") {
        rejects("http", R"(url = "http://h/", warning = "3s", error = "1s")", "warning",
                "must not be longer than error");
        rejects("http", R"(url = "http://h/", error = "0s")", "error", "longer than zero");
        rejects("http", R"(url = "http://h/", max_redirects = 3)", "max_redirects",
                "has no effect unless follow_redirects = true");
        rejects("http", R"(url = "http://h/", follow_redirects = true, max_redirects = 0)",
                "max_redirects", "must be from 1 to 20, got 0");
    }
    SUBCASE("json") {
        accepts("http", R"(url = "http://h/", json = ["/status == UP", "/a/0/b =~ ^x", )"
                        R"("/n >= 1.5", "/s != \"\""], json_warning = ["/n < 10"])");
        rejects("http", R"(url = "http://h/", json = ["/status == UP", "status == UP"])", "json",
                "item 2 must start with a JSON Pointer");
        rejects("http", R"(url = "http://h/", json = ["/status"])", "json",
                "item 1 must be \"POINTER OP VALUE\"");
        rejects("http", R"(url = "http://h/", json = ["/status = UP"])", "json",
                "item 1 has no comparison");
        rejects("http", R"(url = "http://h/", json_warning = ["/n < many"])", "json_warning",
                "item 1 compares with < but many is not a number");
        rejects("http", R"(url = "http://h/", json = ["/s =~ (x"])", "json",
                "item 1 has an invalid regular expression");
        rejects("http", R"(url = "http://h/", json = ["/a~2 == 1"])", "json",
                "'~' not followed by 0 or 1");
        rejects("http", R"(url = "http://h/", json = ["/s =="])", "json",
                "nothing to compare with");
        rejects("http", R"(url = "http://h/", method = "HEAD", json = ["/s == 1"])", "json",
                "needs a body");
    }
    SUBCASE("auth") {
        accepts("http", R"(url = "http://h/", username = "u", password = "p")");
        accepts("http", R"(url = "http://h/", bearer_token = "t")");
        rejects("http", R"(url = "http://h/", password = "p")", "password", "needs username");
        rejects("http", R"(url = "http://h/", username = "u:v")", "username", "must not contain");
        rejects("http", R"(url = "http://h/", username = "u", bearer_token = "t")", "bearer_token",
                "cannot be sent with username and password");
        rejects("http", R"(url = "http://h/", bearer_token = "")", "bearer_token",
                "must not be empty");
        rejects("http", R"(url = "http://u:p@h/", username = "u")", "username",
                "cannot be used with user:password@ in the url");
        rejects("http", R"(url = "http://h/", headers = ["Authorization: x"], bearer_token = "t")",
                "bearer_token", "cannot be used with an Authorization header");
    }
    SUBCASE("proxy and client certificate") {
        accepts("http", R"(url = "https://h/", proxy = "http://u:p@proxy:3128", )"
                        R"(client_cert = "/c.pem", client_key = "/k.pem")");
        accepts("http", R"(url = "http://h/", proxy = "")");
        accepts("http", R"(url = "http://h/", proxy = "[::1]:3128")");
        rejects("http", R"(url = "http://h/", proxy = "https://u:Proxy-Secret-8@proxy:3128")",
                "proxy", "must be an http:// proxy");
        rejects("http", R"(url = "http://h/", proxy = "http://proxy:99999")", "proxy",
                "has a port that is not from 1 to 65535");
        rejects("http", R"(url = "http://h/", proxy = "http://proxy:3128/x")", "proxy",
                "must have no path");
        rejects("http", R"(url = "https://h/", client_cert = "/c.pem")", "client_cert",
                "needs client_key");
        rejects("http", R"(url = "https://h/", client_cert = "c.pem", client_key = "/k")",
                "client_cert", "must be an absolute path");
    }
    SUBCASE("tls") {
        rejects("http", R"(url = "https://h/", ca_file = "certs/ca.pem")", "ca_file",
                "must be an absolute path");
        rejects("http", R"(url = "https://h/", verify_tls = false, ca_file = "/ca.pem")", "ca_file",
                "has no effect with verify_tls = false");
        rejects("http", R"(url = "https://h/", verify_tls = "no")", "verify_tls",
                "expected a boolean");
    }
}

TEST_CASE("http: configuration errors never quote a password or a header value") {
    const auto errors =
        load_errors(check_toml("bad_url", "http", R"(url = "ftp://user:Url-Secret-1@h/")") +
                    check_toml("bad_header", "http",
                               R"(url = "http://h/", headers = ["Authorization Hdr-Secret-2"])") +
                    check_toml("bad_url2", "http", R"(url = "user:Url-Secret-3@h")"));
    INFO(describe(errors));
    CHECK(errors.size() == 3);
    const std::string all = describe(errors);
    CHECK(contains(all, "check.bad_url.params.url"));
    CHECK(contains(all, "check.bad_header.params.headers"));
    CHECK_FALSE(contains(all, "Url-Secret-1"));
    CHECK_FALSE(contains(all, "Hdr-Secret-2"));
    CHECK_FALSE(contains(all, "Url-Secret-3"));

    // The same through the command an operator runs.
    TempDir dir;
    const auto agent_file = write_agent_toml(dir);
    dir.write("conf.d/checks.toml",
              check_toml("bad_url", "http", R"(url = "ftp://user:Url-Secret-1@h/")"));
    const auto result =
        run_vitalsd(dir.path(), {"--config", agent_file.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "check.bad_url.params.url: must start with http://"));
    CHECK_FALSE(contains(result.output, "Url-Secret-1"));
}

TEST_CASE("dns: parameters are validated") {
    accepts("dns", R"(name = "localhost", family = "ipv6", expect = ["::1"], match = "exact")");
    rejects("dns", R"(name = "")", "name", "must not be empty");
    rejects("dns", R"(name = "two words")", "name", "must not contain spaces");
    rejects("dns", R"(name = "localhost", family = "ipv5")", "family", "must be any, ipv4 or ipv6");
    rejects("dns", R"(name = "localhost", expect = ["127.0.0.1", "not-an-ip"])", "expect",
            "\"not-an-ip\" is not an IPv4 or IPv6 address");
    rejects("dns", R"(name = "localhost", family = "ipv4", expect = ["::1"])", "expect",
            "is IPv6 but family = \"ipv4\"");
    rejects("dns", R"(name = "localhost", expect = [])", "expect", "at least one");
    rejects("dns", R"(name = "localhost", expect = ["::1"], match = "some")", "match",
            "must be all, any or exact");
    rejects("dns", R"(name = "localhost", match = "any")", "match", "has no effect without expect");
    rejects("dns", R"(name = "localhost", warning = "2s", error = "1s")", "warning",
            "must not be longer than error");
    rejects("dns", R"(family = "ipv4")", "name", "missing required parameter 'name'");
}

TEST_CASE("dns: a chosen server's parameters are validated") {
    accepts("dns", R"(name = "test", server = "::1", port = 5353, type = "mx", tcp = true, )"
                   R"(expect = ["10 Mail.Test."], match = "exact", warning = "50ms")");
    accepts("dns", R"(name = "test", server = "127.0.0.1", type = "TXT", )"
                   R"(expect = ["v=spf1 .*"], match = "regex")");
    accepts("dns", R"(name = "gone.test", server = "127.0.0.1", expect_nxdomain = true)");
    rejects("dns", R"(name = "test", server = "ns1.example.net")", "server",
            "must be an IPv4 or IPv6 address");
    rejects("dns", R"(name = "test", server = "127.0.0.1", port = 0)", "port",
            "must be from 1 to 65535");
    rejects("dns", R"(name = "test", server = "127.0.0.1", type = "HINFO")", "type",
            "must be A, AAAA, CNAME, MX, TXT, SRV, NS, SOA or PTR");
    rejects("dns", R"(name = "test", server = "127.0.0.1", type = "AAAA", expect = ["1.2.3.4"])",
            "expect", "is not an IPv6 address");
    rejects("dns", R"(name = "test", server = "127.0.0.1", expect = ["(x"], match = "regex")",
            "expect", "is not a regular expression");
    rejects("dns", R"(name = "test", server = "127.0.0.1", match = "regex")", "match",
            "has no effect without expect");
    rejects("dns",
            R"(name = "t", server = "127.0.0.1", expect = ["1.2.3.4"], expect_nxdomain = true)",
            "expect_nxdomain", "cannot go with expect");
    rejects("dns", R"(name = "localhost", type = "MX")", "type", "needs server");
    rejects("dns", R"(name = "localhost", port = 53)", "port", "needs server");
}

TEST_CASE("tls_cert: parameters are validated") {
    accepts("tls_cert", R"(host = "example.com")");
    accepts("tls_cert", R"(host = "10.0.0.1", port = 8443, server_name = "example.com", )"
                        R"(warning_days = 60, error_days = 14, verify = true, )"
                        R"(ca_file = "/etc/ssl/ca.pem")");
    rejects("tls_cert", R"(host = "")", "host", "must not be empty");
    rejects("tls_cert", R"(host = "h", port = 0)", "port", "must be from 1 to 65535");
    rejects("tls_cert", R"(host = "h", warning_days = 5, error_days = 10)", "warning_days",
            "must not be below error_days (5 < 10)");
    rejects("tls_cert", R"(host = "h", error_days = -1)", "error_days", "must be from 0 to 3650");
    rejects("tls_cert", R"(host = "h", server_name = "a b")", "server_name", "is not a host name");
    rejects("tls_cert", R"(host = "h", ca_file = "/ca.pem")", "ca_file",
            "has no effect unless verify = true");
    rejects("tls_cert", R"(host = "h", verify = true, ca_file = "ca.pem")", "ca_file",
            "must be an absolute path");
}
