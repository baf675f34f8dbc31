// The ntp plugin through the real vitalsd, against a real chronyd serving NTP on a loopback
// port: the right time, a day-old time (libfaketime), no answer, and the kernel's own word on
// the local clock. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "core/host_name.hpp"

#include <sys/timex.h>

#include <chrono>
#include <string>

#include "chrony_server.hpp"
#include "host_check_support.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::network;

std::string server(std::uint16_t port, const std::string &extra = "") {
    return "server = \"127.0.0.1\", port = " + std::to_string(port) +
           (extra.empty() ? "" : ", " + extra);
}

/// Whether the kernel calls the local clock synchronised, as the plugin must report it.
bool kernel_clock_synchronised() {
    timex state{};
    const int clock_state = ::adjtimex(&state);
    REQUIRE(clock_state >= 0);
    return clock_state != TIME_ERROR && (state.status & STA_UNSYNC) == 0;
}

} // namespace

TEST_CASE("ntp: offset and stratum from a real chronyd, and stratum thresholds") {
    ChronyServer chrony;
    const auto port = chrony.port();
    const std::string local = "unsynchronised = \"ignore\"";
    Agent agent{
        check_toml("in_step", "ntp", server(port, local)) +
        check_toml("stratum_warning", "ntp", server(port, local + ", warning_stratum = 4")) +
        check_toml("stratum_error", "ntp",
                   server(port, local + ", warning_stratum = 2, error_stratum = 4"))};

    const auto in_step = first_result(agent, "in_step");
    INFO(message_of(in_step));
    CHECK(text(in_step, "status") == "ok");
    CHECK(message_of(in_step).starts_with("127.0.0.1:" + std::to_string(port) + ": offset "));
    CHECK(contains(message_of(in_step), ", stratum 5"));
    // chronyd serves this machine's own clock: the offset is the loopback's noise.
    CHECK(std::abs(*metric(in_step, "offset")) < 0.05);
    CHECK(*metric(in_step, "delay") >= 0);
    CHECK(*metric(in_step, "delay") < 0.5);
    CHECK(*metric(in_step, "stratum") == 5);

    const auto warned = first_result(agent, "stratum_warning");
    INFO(message_of(warned));
    CHECK(text(warned, "status") == "warning");
    CHECK(contains(message_of(warned), ", stratum 5, stratum above 4"));

    const auto failed = first_result(agent, "stratum_error");
    INFO(message_of(failed));
    CHECK(text(failed, "status") == "error");
    CHECK(contains(message_of(failed), "stratum above 4"));
    CHECK(http_get(agent.port(), "/health/checks/stratum_error").status == 503);

    expect_promtool_clean(agent, R"(vitals_check_metric_seconds{check="in_step",instance=")" +
                                     vitals::host_name() + R"(",metric="offset"} )");
}

TEST_CASE("ntp: a chronyd serving yesterday's time is an error, and a warning under wider limits") {
    ChronyServer yesterday{"-86400"};
    const auto port = yesterday.port();
    Agent agent{check_toml("default_limits", "ntp", server(port, "unsynchronised = \"ignore\"")) +
                check_toml("wide_limits", "ntp",
                           server(port, "unsynchronised = \"ignore\", warning_offset = \"1h\", "
                                        "error_offset = \"2d\""))};

    const auto strict = first_result(agent, "default_limits");
    INFO(message_of(strict));
    CHECK(text(strict, "status") == "error");
    // The local clock is a day ahead of the server: the correction is minus a day.
    CHECK(contains(message_of(strict), ": offset -86"));
    CHECK(contains(message_of(strict), ", more than 1.00 s off"));
    const double offset = *metric(strict, "offset");
    CHECK(offset < -86390);
    CHECK(offset > -86410);

    const auto wide = first_result(agent, "wide_limits");
    INFO(message_of(wide));
    CHECK(text(wide, "status") == "warning");
    CHECK(contains(message_of(wide), ", more than 3600.00 s off"));
}

TEST_CASE("ntp: a server that never answers times out within the timeout, a closed port is "
          "refused") {
    SilentUdpPort silent;
    const auto closed = closed_udp_port();
    const std::string local = "unsynchronised = \"ignore\"";
    Agent agent{check_toml("silent", "ntp", server(silent.port(), local), "1500ms", "5s") +
                check_toml("closed", "ntp", server(closed, local))};

    const auto hung = first_result(agent, "silent");
    INFO(message_of(hung));
    CHECK(text(hung, "status") == "error");
    // The plugin's own words: it asked again after a second, then gave up before the agent.
    CHECK(contains(message_of(hung), ": no answer within 1."));
    CHECK(contains(message_of(hung), "(2 requests)"));
    CHECK(hung->getValue<double>("duration_seconds") < 1.5);
    CHECK_FALSE(metric(hung, "offset").has_value());

    const auto refused = first_result(agent, "closed");
    INFO(message_of(refused));
    CHECK(text(refused, "status") == "error");
    CHECK(message_of(refused).starts_with("127.0.0.1:" + std::to_string(closed) +
                                          ": connection refused (no NTP server on that port)"));
}

TEST_CASE("ntp: the local clock is synchronised or not as adjtimex says, at the status asked") {
    const bool synchronised = kernel_clock_synchronised();
    Agent agent{check_toml("as_error", "ntp", "unsynchronised = \"error\"") +
                check_toml("as_warning", "ntp", "unsynchronised = \"warning\"")};

    const auto as_error = first_result(agent, "as_error");
    const auto as_warning = first_result(agent, "as_warning");
    INFO(message_of(as_error));
    CHECK(*metric(as_error, "synchronised") == (synchronised ? 1 : 0));
    CHECK(metric(as_error, "max_error").has_value());
    CHECK_FALSE(metric(as_error, "offset").has_value()); // no server asked
    if (synchronised) {
        CHECK(text(as_error, "status") == "ok");
        CHECK(message_of(as_error).starts_with("local clock synchronised (maximum error "));
        CHECK(text(as_warning, "status") == "ok");
    } else {
        CHECK(text(as_error, "status") == "error");
        CHECK(message_of(as_error) == "local clock not synchronised (adjtimex: TIME_ERROR)");
        CHECK(text(as_warning, "status") == "warning");
    }
}

TEST_CASE("ntp: bad parameters are reported at their file, line and key") {
    int exit_code = 0;
    const auto problems = config_problems(
        check_toml("port", "ntp", R"(server = "127.0.0.1", port = 0)") +
            check_toml("order", "ntp",
                       R"(server = "127.0.0.1", warning_offset = "2s", error_offset = "1s")") +
            check_toml("zero", "ntp", R"(server = "127.0.0.1", error_offset = "0s")") +
            check_toml("stratum", "ntp", R"(server = "127.0.0.1", warning_stratum = 16)") +
            check_toml("word", "ntp", R"(server = "127.0.0.1", unsynchronised = "panic")") +
            check_toml("nothing", "ntp", R"(unsynchronised = "ignore")") +
            check_toml(
                "fine", "ntp",
                R"(server = "pool.ntp.org", warning_offset = "50ms", error_offset = "500ms", )"
                R"(warning_stratum = 3, error_stratum = 5, unsynchronised = "error")"),
        exit_code);
    expect_problem(problems, "check.port.params.port", params_line(0),
                   "must be from 1 to 65535, got 0");
    expect_problem(problems, "check.order.params.warning_offset", params_line(1),
                   "must not be longer than error_offset (2.00 s > 1.00 s)");
    expect_problem(problems, "check.zero.params.error_offset", params_line(2),
                   "must be longer than zero");
    expect_problem(problems, "check.stratum.params.warning_stratum", params_line(3),
                   "must be from 1 to 15, got 16");
    expect_problem(problems, "check.word.params.unsynchronised", params_line(4),
                   "must be error, warning or ignore, got \"panic\"");
    CHECK(problems.size() == 6); // and "nothing", at its table
    CHECK(problems.count("check.nothing") + problems.count("check.nothing.params") == 1);
}
