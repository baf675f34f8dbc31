// The memcached plugin against a real memcached, observed through vitalsd's HTTP output.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "core/host_name.hpp"
#include "memcached_server.hpp"
#include "metrics_lint.hpp"
#include "service_checks.hpp"
#include "service_process.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::services;
using namespace std::chrono_literals;

std::string at(const MemcachedServer &server, const std::string &more = "") {
    return "port = " + std::to_string(server.port()) + (more.empty() ? "" : ", " + more);
}

std::string target(const MemcachedServer &server) {
    return "127.0.0.1:" + std::to_string(server.port());
}

} // namespace

TEST_CASE("memcached: stats and a round trip while the server runs, error once it stops, ok "
          "again after a restart") {
    MemcachedServer server;
    MemcachedServer socket_server{{}, Listen::unix_socket};
    Agent agent{check_toml("cache", "memcached", at(server, "round_trip = true")) +
                check_toml("cache_stats", "memcached", at(server)) +
                check_toml("cache_socket", "memcached",
                           "host = " + toml_string(socket_server.socket_path().string()) +
                               ", round_trip = true")};

    auto check = wait_for_status(agent.port(), "cache", "ok");
    CHECK(contains(text(check, "message"), target(server) + ": memcached 1."));
    CHECK(contains(text(check, "message"), ", set/get/delete in "));
    REQUIRE(metric(check, "response_time").has_value());
    CHECK(*metric(check, "response_time") > 0);
    CHECK(*metric(check, "response_time") < 2);
    CHECK(metric(check, "limit") == 64.0 * 1024 * 1024); // memcached's default -m 64
    CHECK(metric(check, "evictions") == 0.0);
    CHECK(metric(check, "connections").value_or(0) >= 1);
    // The round trip's own get hits: the counters move, and the ratio follows them.
    check = wait_until(agent.port(), "cache_stats", [](const Object::Ptr &json) {
        return text(json, "status") == "ok" && metric(json, "get_hits").value_or(0) >= 1;
    });
    CHECK(contains(text(check, "message"), ", stats in "));
    CHECK(metric(check, "hit_ratio") == 100.0);
    // Deleted again after each round trip: nothing stays behind in the cache.
    CHECK(server.exchange("get vitals:health\r\n", "END\r\n") == "END\r\n");
    check = wait_for_status(agent.port(), "cache_socket", "ok");
    CHECK(contains(text(check, "message"), socket_server.socket_path().string() + ": memcached"));

    const std::string metrics = lint_metrics(agent.port());
    const std::string cache = R"(check="cache",instance=")" + vitals::host_name() + '"';
    CHECK(contains(metrics, "vitals_check_metric_bytes{" + cache + R"(,metric="limit"} 67108864)"));
    CHECK(contains(metrics, "vitals_check_metric_seconds{" + cache + R"(,metric="uptime"})"));

    server.stop();
    check = wait_for_status(agent.port(), "cache", "error", 5s);
    // Which libmemcached error a stopped server gives depends on timing (under ASan it was
    // not "connection failure"): the error and the server it names are what counts.
    INFO(text(check, "message"));
    CHECK(contains(text(check, "message"), target(server) + ": "));
    CHECK(http_get(agent.port(), "/health/checks/cache").status == 503);

    server.start();
    check = wait_for_status(agent.port(), "cache", "ok", 10s);
    CHECK(contains(text(check, "message"), "set/get/delete"));
}

TEST_CASE("memcached: evictions and the hit ratio against limits, from the server's counters") {
    // 2 MB of cache and 100 items of 50 kB: most of them are evicted.
    MemcachedServer server{{"-m", "2", "-I", "512k"}};
    const std::string value(50'000, 'x');
    std::string sets;
    for (int i = 0; i < 100; ++i)
        sets += "set k" + std::to_string(i) + " 0 0 " + std::to_string(value.size()) + "\r\n" +
                value + "\r\n";
    const std::string stored = server.exchange(sets + "version\r\n", "VERSION");
    REQUIRE(contains(stored, "STORED"));
    // One hit (the last item written is still there) and one miss: a hit ratio of 50%.
    REQUIRE(contains(server.exchange("get k99\r\n", "END\r\n"), "VALUE k99"));
    REQUIRE(server.exchange("get missing\r\n", "END\r\n") == "END\r\n");

    Agent agent{check_toml("evictions_warn", "memcached",
                           at(server, "evictions_warning = 0, evictions_error = 100000")) +
                check_toml("evictions_fail", "memcached", at(server, "evictions_error = 10")) +
                check_toml("ratio_ok", "memcached", at(server, "hit_ratio_warning = 40.0")) +
                check_toml("ratio_warn", "memcached", at(server, "hit_ratio_warning = 60")) +
                check_toml("ratio_fail", "memcached",
                           at(server, "hit_ratio_warning = 90, hit_ratio_error = 60"))};

    auto check = wait_for_status(agent.port(), "evictions_warn", "warning");
    const double evictions = metric(check, "evictions").value_or(0);
    INFO(text(check, "message"));
    CHECK(evictions > 10);
    CHECK(contains(text(check, "message"), "evictions, more than 0"));
    check = wait_for_status(agent.port(), "evictions_fail", "error");
    CHECK(contains(text(check, "message"), "evictions, more than 10"));

    check = wait_for_status(agent.port(), "ratio_ok", "ok");
    CHECK(metric(check, "hit_ratio") == 50.0);
    check = wait_for_status(agent.port(), "ratio_warn", "warning");
    CHECK(contains(text(check, "message"), "hit ratio 50.0%, below 60.0%"));
    check = wait_for_status(agent.port(), "ratio_fail", "error");
    CHECK(contains(text(check, "message"), "hit ratio 50.0%, below 60.0%"));
}

TEST_CASE("memcached: a server that never answers times out within the check's own deadline") {
    SilentListener silent;
    Agent agent{
        check_toml("silent", "memcached", "port = " + std::to_string(silent.port()), "2s", "1s")};
    const auto check = wait_for_status(agent.port(), "silent", "error");
    const std::string message = text(check, "message");
    INFO(message);
    CHECK(contains(message, "127.0.0.1:" + std::to_string(silent.port()) +
                                ": stats failed: timed out after"));
    CHECK(check->getValue<double>("duration_seconds") < 1.0);
}

TEST_CASE("memcached: parameters are checked at load") {
    const auto result = check_config(
        check_toml("port", "memcached", "port = 70000") +
        check_toml("key", "memcached", R"(key = "has space")") +
        check_toml("evictions", "memcached", "evictions_warning = 10, evictions_error = 5") +
        check_toml("ratio", "memcached", "hit_ratio_warning = 50, hit_ratio_error = 80") +
        check_toml("percent", "memcached", "hit_ratio_error = 101") +
        check_toml("slow", "memcached", R"(warning = "2s", error = "1s")") +
        check_toml("fine", "memcached",
                   R"(host = "/run/memcached/memcached.sock", round_trip = true, )"
                   R"(evictions_warning = 0, hit_ratio_warning = 80, error = "1s")"));
    INFO(result.output);
    CHECK(result.exit_code == 78);
    CHECK(contains(result.output, "check.port.params.port: must be from 1 to 65535, got 70000"));
    CHECK(contains(result.output, "check.key.params.key: must be 1 to 200 characters"));
    CHECK(contains(result.output,
                   "check.evictions.params.evictions_warning: must not be above evictions_error"));
    CHECK(contains(result.output,
                   "check.ratio.params.hit_ratio_warning: must not be below hit_ratio_error"));
    CHECK(contains(result.output, "check.percent.params.hit_ratio_error: must be a percentage"));
    CHECK(contains(result.output, "check.slow.params.warning: must not be longer than error"));
    CHECK_FALSE(contains(result.output, "check.fine"));
    CHECK(contains(result.output, "6 configuration error(s)"));
}
