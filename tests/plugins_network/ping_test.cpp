// The ping plugin against the loopback addresses through the real vitalsd, and inside network
// namespaces the test makes (`unshare --net`): an address whose echo requests vanish into a
// tun device nobody reads, the unprivileged socket that net.ipv4.ping_group_range allows, and
// the error when neither it nor CAP_NET_RAW is there. Nothing leaves this machine.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "core/host_name.hpp"

#include <sstream>
#include <string>

#include "host_check_support.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::network;

/// The result `vitalsd run` printed, line by line.
struct RunOutput {
    int exit_code = -1;
    std::string status;
    std::string message;
    std::string all; ///< everything, for failed assertions and debug lines
    double duration_seconds = -1;
};

/// In a new network namespace with only `lo` up, runs `setup` (shell commands), then
/// `vitalsd run` of the ping plugin with `params`, prefixed by `wrapper` (e.g. setpriv).
RunOutput ping_in_namespace(const std::string &setup, const std::string &params,
                            const std::string &wrapper = "", const std::string &timeout = "5s") {
    const std::string run = wrapper + " '" VITALSD_PATH "' run --log-level debug --timeout " +
                            timeout + " --plugin '" VITALS_SHIPPED_PLUGIN_DIR "/ping.so' " + params;
    const std::string script = "set -e; ip link set lo up; " + setup + "; set +e; " + run;
    const auto result = shell_output("unshare --net sh -c \"" + script + "\"");
    RunOutput output{result.exit_code, {}, {}, result.output};
    std::istringstream lines{result.output};
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("status    ")) output.status = line.substr(10);
        if (line.starts_with("message   ")) output.message = line.substr(10);
        if (line.starts_with("duration  ")) {
            const double value = std::stod(line.substr(10));
            output.duration_seconds = line.ends_with("ms")   ? value / 1e3
                                      : line.ends_with("us") ? value / 1e6
                                                             : value;
        }
    }
    return output;
}

/// Routes TEST-NET-1 and the IPv6 documentation prefix into a tun device nobody reads:
/// echo requests to 192.0.2.1 and 2001:db8::1 leave and are never answered.
constexpr const char *black_hole =
    "ip tuntap add dev quiet mode tun; ip link set quiet up; "
    "ip route add 192.0.2.0/24 dev quiet; ip -6 route add 2001:db8::/64 dev quiet";

/// Lets every group open unprivileged ICMP sockets in the namespace.
constexpr const char *any_group_may_ping = "sysctl -qw net.ipv4.ping_group_range='0 2147483647'";

/// Runs the command without CAP_NET_RAW, even as root: no raw socket.
constexpr const char *without_net_raw = "setpriv --bounding-set=-net_raw --";

} // namespace

TEST_CASE("ping: 127.0.0.1 and ::1 answer every echo, and round-trip limits warn or fail") {
    const std::string quick = "count = 3, interval = \"20ms\"";
    Agent agent{
        check_toml("v4", "ping", "host = \"127.0.0.1\", " + quick) +
        check_toml("v6", "ping", "host = \"::1\", " + quick) +
        // Loopback answers in tens of microseconds: more than a microsecond is sure.
        check_toml("slow_warning", "ping",
                   "host = \"127.0.0.1\", " + quick +
                       ", warning_rtt = \"1us\", error_rtt = \"10s\"") +
        check_toml("slow_error", "ping", "host = \"::1\", " + quick + ", error_rtt = \"1us\"")};

    for (const char *name : {"v4", "v6"}) {
        const auto check = first_result(agent, name);
        INFO(name, ": ", message_of(check));
        CHECK(text(check, "status") == "ok");
        CHECK(
            contains(message_of(check), ": 3 of 3 echo replies, 0% loss, round trip min/avg/max "));
        CHECK(*metric(check, "loss") == 0);
        CHECK(*metric(check, "received") == 3);
        CHECK(*metric(check, "rtt_average") > 0);
        CHECK(*metric(check, "rtt_average") < 0.5);
        CHECK(*metric(check, "rtt_min") <= *metric(check, "rtt_max"));
    }

    const auto warned = first_result(agent, "slow_warning");
    INFO(message_of(warned));
    CHECK(text(warned, "status") == "warning");
    CHECK(contains(message_of(warned), ", round trip above 0.00 ms"));

    const auto failed = first_result(agent, "slow_error");
    INFO(message_of(failed));
    CHECK(text(failed, "status") == "error");
    CHECK(http_get(agent.port(), "/health/checks/slow_error").status == 503);

    expect_promtool_clean(agent, R"(vitals_check_metric_ratio{check="v4",instance=")" +
                                     vitals::host_name() + R"(",metric="loss"} 0)");
}

TEST_CASE("ping: an address that drops echo requests is 100% loss, over IPv4 and IPv6") {
    const std::string quick = "--param count=3 --param interval=20ms --param reply_timeout=300ms";
    for (const char *host : {"192.0.2.1", "2001:db8::1"}) {
        CAPTURE(host);
        const auto dropped =
            ping_in_namespace(black_hole, std::string{"--param host="} + host + " " + quick);
        INFO(dropped.all);
        CHECK(dropped.exit_code == 2);
        CHECK(dropped.status == "error");
        CHECK(dropped.message ==
              std::string{host} + ": 0 of 3 echo replies, 100% loss, more than 60% lost");
        // Two intervals, then the reply timeout: not a moment longer.
        CHECK(dropped.duration_seconds >= 0.3);
        CHECK(dropped.duration_seconds < 1.5);
    }
    // The same loss is only a warning when the limits say so; the loopback still answers.
    const auto tolerated = ping_in_namespace(
        black_hole,
        "--param host=192.0.2.1 --param warning_loss=50 --param error_loss=100 " + quick);
    INFO(tolerated.all);
    CHECK(tolerated.status == "warning");
    CHECK(tolerated.message == "192.0.2.1: 0 of 3 echo replies, 100% loss, more than 50% lost");
    const auto loopback = ping_in_namespace(black_hole, "--param host=127.0.0.1 " + quick);
    CHECK(loopback.status == "ok");
}

TEST_CASE("ping: the check's timeout cuts a long run short and says so") {
    const auto cut = ping_in_namespace(
        black_hole, "--param host=192.0.2.1 --param count=20 --param interval=100ms", "", "600ms");
    INFO(cut.all);
    CHECK(cut.status == "error");
    // The plugin keeps a margin to answer before the agent's own deadline; on a loaded
    // machine the agent's "timed out after" may still come first, so the plugin's wording
    // is reported, not required.
    const bool plugin_said = contains(cut.message, "requests sent within the check's timeout");
    CHECK((plugin_said || contains(cut.message, "timed out after")));
    WARN(plugin_said);
    CHECK(cut.duration_seconds < 1.0);
}

TEST_CASE("ping: without CAP_NET_RAW the unprivileged ICMP socket that ping_group_range "
          "allows is used, over IPv4 and IPv6") {
    for (const char *host : {"127.0.0.1", "::1"}) {
        CAPTURE(host);
        const auto unprivileged = ping_in_namespace(
            any_group_may_ping, std::string{"--param host="} + host + " --param interval=20ms",
            without_net_raw);
        INFO(unprivileged.all);
        CHECK(unprivileged.status == "ok");
        CHECK(contains(unprivileged.message, ": 3 of 3 echo replies, 0% loss"));
        CHECK(contains(unprivileged.all, "through a datagram (unprivileged) ICMP socket"));
    }
    // With CAP_NET_RAW and the sysctl at its closed default, the raw socket serves instead.
    const auto raw = ping_in_namespace("true", "--param host=127.0.0.1 --param interval=20ms");
    INFO(raw.all);
    CHECK(raw.status == "ok");
    CHECK(contains(raw.all, "through a raw ICMP socket"));
}

TEST_CASE("ping: with neither ping_group_range nor CAP_NET_RAW the error names both") {
    // A new namespace starts with net.ipv4.ping_group_range = "1 0": no group may.
    const auto refused = ping_in_namespace("true", "--param host=127.0.0.1", without_net_raw);
    INFO(refused.all);
    CHECK(refused.exit_code == 2);
    CHECK(refused.status == "error");
    CHECK(refused.message ==
          "127.0.0.1: cannot open an ICMP socket: unprivileged ICMP sockets are not allowed for "
          "group 0 (net.ipv4.ping_group_range = \"1 0\": permission denied), and a raw socket "
          "needs CAP_NET_RAW, which the agent lacks (operation not permitted); set "
          "net.ipv4.ping_group_range to include group 0, or give the agent CAP_NET_RAW");
}

TEST_CASE("ping: bad parameters are reported at their file, line and key") {
    int exit_code = 0;
    const auto problems = config_problems(
        check_toml("count", "ping", R"(host = "127.0.0.1", count = 0)") +
            check_toml("interval", "ping", R"(host = "127.0.0.1", interval = "1ms")") +
            check_toml("loss", "ping",
                       R"(host = "127.0.0.1", warning_loss = 70, error_loss = 50)") +
            check_toml("percent", "ping", R"(host = "127.0.0.1", error_loss = 101)") +
            check_toml("rtt", "ping", R"(host = "::1", warning_rtt = "2s", error_rtt = "1s")") +
            check_toml("family", "ping", R"(host = "example.com", family = "ipx")") +
            check_toml("missing", "ping", R"(count = 3)") +
            check_toml("fine", "ping",
                       R"(host = "example.com", family = "ipv6", count = 5, interval = "1s", )"
                       R"(reply_timeout = "2s", warning_loss = 0, error_loss = 50, )"
                       R"(warning_rtt = "100ms", error_rtt = "500ms")"),
        exit_code);
    expect_problem(problems, "check.count.params.count", params_line(0),
                   "expected an integer from 1 to 100, got 0");
    expect_problem(problems, "check.interval.params.interval", params_line(1),
                   "expected a duration from 10ms to 10s, got 1ms");
    expect_problem(problems, "check.loss.params.warning_loss", params_line(2),
                   "must not be above error_loss (70.0% > 50.0%)");
    expect_problem(problems, "check.percent.params.error_loss", params_line(3),
                   "must be a percentage from 0 to 100, got 101.0");
    expect_problem(problems, "check.rtt.params.warning_rtt", params_line(4),
                   "must not be longer than error_rtt (2.00 s > 1.00 s)");
    expect_problem(problems, "check.family.params.family", params_line(5),
                   "expected one of \"any\", \"ipv4\", \"ipv6\", got \"ipx\"");
    CHECK(problems.size() == 7); // and the missing host
}
