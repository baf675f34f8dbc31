// The dns plugin asking a chosen server itself (c-ares), against a real dnsmasq serving
// records this file writes, a server that answers SERVFAIL and one that never answers.
// (Not named "dns: ...": under TSan the system-resolver tests are disabled by that prefix.)
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "core/host_name.hpp"
#include "dnsmasq_server.hpp"
#include "network_support.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::network;

/// 600 bytes of TXT: more than a UDP answer without EDNS may carry (512), so it arrives
/// only through c-ares' fallback to TCP.
const std::string long_text(200, 'x');

const std::string records = "host-record=www.test,192.0.2.10,2001:db8::10\n"
                            "host-record=mail.test,192.0.2.25\n"
                            "host-record=mail2.test,192.0.2.26\n"
                            "mx-host=test,mail.test,10\n"
                            "mx-host=test,mail2.test,20\n"
                            "txt-record=test,\"v=spf1 -all\"\n"
                            "txt-record=long.test,\"" +
                            long_text + "\",\"" + long_text + "\",\"" + long_text +
                            "\"\n"
                            "srv-host=_http._tcp.test,www.test,8080,0,5\n"
                            "cname=alias.test,www.test\n"
                            "ptr-record=10.2.0.192.in-addr.arpa,www.test\n"
                            "auth-soa=2026120601,hostmaster.test,1200,120,604800\n";

std::string ask(std::uint16_t port, const std::string &name, const std::string &type,
                const std::string &more = "") {
    return "server = \"127.0.0.1\", port = " + std::to_string(port) + ", name = \"" + name +
           "\", type = \"" + type + "\"" + (more.empty() ? "" : ", " + more);
}

} // namespace

TEST_CASE("dns server: every record type from a real dnsmasq, against exact, subset and "
          "regex expectations") {
    DnsmasqServer dnsmasq{records};
    const auto port = dnsmasq.port();
    Agent agent{
        check_toml("a", "dns", ask(port, "www.test", "A", R"(expect = ["192.0.2.10"])")) +
        check_toml(
            "aaaa", "dns",
            ask(port, "www.test", "aaaa", R"(expect = ["2001:DB8:0::10"], match = "exact")")) +
        check_toml("cname", "dns", ask(port, "alias.test", "CNAME", R"(expect = ["WWW.test."])")) +
        check_toml("mx", "dns",
                   ask(port, "test", "MX",
                       R"(expect = ["10 mail.test", "20 mail2.test"], match = "exact")")) +
        check_toml("mx_subset", "dns", ask(port, "test", "MX", R"(expect = ["20 mail2.test"])")) +
        check_toml("mx_exact_miss", "dns",
                   ask(port, "test", "MX", R"(expect = ["10 mail.test"], match = "exact")")) +
        check_toml("txt", "dns",
                   ask(port, "test", "TXT", R"(expect = ["v=spf1 .*all"], match = "regex")")) +
        check_toml("txt_regex_miss", "dns",
                   ask(port, "test", "TXT", R"(expect = ["v=DKIM1.*"], match = "regex")")) +
        check_toml("long_txt", "dns",
                   ask(port, "long.test", "TXT", R"(expect = ["x{600}"], match = "regex")")) +
        check_toml(
            "long_txt_tcp", "dns",
            ask(port, "long.test", "TXT", R"(tcp = true, expect = ["x{600}"], match = "regex")")) +
        check_toml("srv", "dns",
                   ask(port, "_http._tcp.test", "SRV", R"(expect = ["0 5 8080 www.test"])")) +
        check_toml("ns", "dns", ask(port, "test", "NS", R"(expect = ["ns.test"])")) +
        check_toml("soa", "dns", ask(port, "test", "SOA")) +
        check_toml("ptr", "dns",
                   ask(port, "192.0.2.10", "PTR", R"(expect = ["www.test"], match = "exact")")) +
        check_toml(
            "any_of", "dns",
            ask(port, "www.test", "A", R"(expect = ["192.0.2.99", "192.0.2.10"], match = "any")")) +
        check_toml("wrong", "dns", ask(port, "www.test", "A", R"(expect = ["192.0.2.99"])")) +
        check_toml("no_data", "dns", ask(port, "mail.test", "AAAA")) +
        check_toml("slow", "dns", ask(port, "www.test", "A", R"(warning = "1ns")"))};

    const std::string at = " @127.0.0.1:" + std::to_string(port) + ": ";
    for (const auto &[name, message] : std::vector<std::pair<std::string, std::string>>{
             {"a", "www.test A" + at + "192.0.2.10 in "},
             {"aaaa", "www.test AAAA" + at + "2001:db8::10 in "},
             {"cname", "alias.test CNAME" + at + "www.test in "},
             {"mx", "test MX" + at},
             {"mx_subset", "test MX" + at},
             {"txt", "test TXT" + at + "v=spf1 -all in "},
             {"long_txt", "long.test TXT" + at + std::string(80, 'x') + "... in "},
             {"long_txt_tcp", "long.test TXT" + at},
             {"srv", "_http._tcp.test SRV" + at + "0 5 8080 www.test in "},
             {"ns", "test NS" + at + "ns.test in "},
             {"soa", "test SOA" + at + "ns.test hostmaster.test 2026120601 1200 120 604800 "},
             {"ptr", "192.0.2.10 PTR" + at + "www.test in "},
             {"any_of", "www.test A" + at}}) {
        CAPTURE(name);
        const auto check = first_result(agent, name);
        INFO(message_of(check));
        CHECK(text(check, "status") == "ok");
        CHECK(message_of(check).starts_with(message));
    }
    auto check = first_result(agent, "mx");
    // In the server's order, which dnsmasq varies.
    CHECK(contains(message_of(check), "10 mail.test"));
    CHECK(contains(message_of(check), "20 mail2.test"));
    CHECK(metric(check, "answer_count") == 2.0);
    CHECK(metric(check, "resolve_time").value_or(-1) > 0);
    CHECK(metric(first_result(agent, "soa"), "soa_serial") == 2026120601.0);

    check = first_result(agent, "mx_exact_miss");
    INFO(message_of(check));
    CHECK(text(check, "status") == "error");
    CHECK(message_of(check).ends_with(", unexpected 20 mail2.test"));
    check = first_result(agent, "txt_regex_miss");
    CHECK(text(check, "status") == "error");
    CHECK(message_of(check).ends_with(", nothing matches v=DKIM1.*"));
    check = first_result(agent, "wrong");
    CHECK(text(check, "status") == "error");
    CHECK(message_of(check).ends_with(", missing 192.0.2.99"));
    check = first_result(agent, "no_data");
    CHECK(text(check, "status") == "error");
    CHECK(message_of(check) == "mail.test AAAA" + at + "no AAAA records");
    check = first_result(agent, "slow");
    CHECK(text(check, "status") == "warning");
    CHECK(contains(message_of(check), ", slower than "));

    const TempDir dir;
    const std::string exposition = http_get(agent.port(), "/metrics").body;
    const auto metrics = dir.write("metrics.txt", exposition);
    run_command(dir, "promtool check metrics < '" + metrics.string() + "'");
    INFO(exposition);
    CHECK(contains(exposition,
                   R"(check="soa",instance=")" + vitals::host_name() + R"(",metric="soa_serial")"));
}

TEST_CASE("dns server: NXDOMAIN is an error unless it is expected, and then an answer is") {
    DnsmasqServer dnsmasq{records};
    const auto port = dnsmasq.port();
    Agent agent{
        check_toml("missing", "dns", ask(port, "nope.test", "A")) +
        check_toml("gone", "dns", ask(port, "nope.test", "A", "expect_nxdomain = true")) +
        check_toml("still_there", "dns", ask(port, "www.test", "A", "expect_nxdomain = true"))};
    const std::string at = " @127.0.0.1:" + std::to_string(port) + ": ";
    auto check = first_result(agent, "missing");
    CHECK(text(check, "status") == "error");
    CHECK(message_of(check) == "nope.test A" + at + "no such name (NXDOMAIN)");
    check = first_result(agent, "gone");
    CHECK(text(check, "status") == "ok");
    CHECK(
        message_of(check).starts_with("nope.test A" + at + "no such name (NXDOMAIN), as expected"));
    check = first_result(agent, "still_there");
    CHECK(text(check, "status") == "error");
    CHECK(message_of(check) == "www.test A" + at + "the name exists, NXDOMAIN was expected");
}

TEST_CASE("dns server: SERVFAIL, a server that never answers, one stopped, and the deadline") {
    ServfailDnsServer servfail;
    SilentDnsServer silent;
    DnsmasqServer dnsmasq{records};
    const auto stopped_port = dnsmasq.port();
    dnsmasq.stop();
    Agent agent{check_toml("servfail", "dns", ask(servfail.port(), "www.test", "A")) +
                check_toml("silent", "dns", ask(silent.port(), "www.test", "A"), "1s") +
                check_toml("silent_tcp", "dns", ask(stopped_port, "www.test", "A", "tcp = true")) +
                check_toml("stopped", "dns", ask(stopped_port, "www.test", "A"))};

    auto check = first_result(agent, "servfail");
    CHECK(text(check, "status") == "error");
    CHECK(message_of(check) == "www.test A @127.0.0.1:" + std::to_string(servfail.port()) +
                                   ": the server failed (SERVFAIL)");
    check = first_result(agent, "silent");
    INFO(message_of(check));
    CHECK(text(check, "status") == "error");
    CHECK(contains(message_of(check), ": no answer, timed out after "));
    // Given up before the check's 1 s timeout, which the agent would report instead.
    CHECK(check->getValue<double>("duration_seconds") < 1.0);
    CHECK(check->getValue<double>("duration_seconds") > 0.5);
    for (const char *name : {"stopped", "silent_tcp"}) {
        CAPTURE(name);
        check = first_result(agent, name);
        CHECK(text(check, "status") == "error");
        CHECK(message_of(check).ends_with(": connection refused"));
    }
}
