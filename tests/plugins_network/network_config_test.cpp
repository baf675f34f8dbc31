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
        rejects("http", R"(url = "http://h/", method = "POST")", "method", "must be GET or HEAD");
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
