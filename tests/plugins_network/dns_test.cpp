// The dns plugin through the real vitalsd. There is no internet here: only names from
// /etc/hosts resolve, and names under .invalid (RFC 6761) never do. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <string>

#include "network_support.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::network;

} // namespace

TEST_CASE("dns: localhost resolves, and expect decides whether the answer is the right one") {
    Agent agent{check_toml("plain", "dns", "name = \"localhost\"") +
                check_toml("expected", "dns", "name = \"localhost\", expect = [\"127.0.0.1\"]") +
                check_toml("wrong", "dns", "name = \"localhost\", expect = [\"10.9.9.9\"]")};

    const auto plain = first_result(agent, "plain");
    INFO(message_of(plain));
    CHECK(text(plain, "status") == "ok");
    CHECK(message_of(plain).starts_with("localhost resolved to "));
    CHECK(contains(message_of(plain), "127.0.0.1"));
    const auto count = metric(plain, "address_count");
    REQUIRE(count.has_value());
    CHECK(*count >= 1);
    const auto time = metric(plain, "resolve_time");
    REQUIRE(time.has_value());
    CHECK(*time >= 0);
    CHECK(*time < 2);

    const auto expected = first_result(agent, "expected");
    INFO(message_of(expected));
    CHECK(text(expected, "status") == "ok");
    CHECK(http_get(agent.port(), "/health/checks/expected").status == 200);

    const auto wrong = first_result(agent, "wrong");
    INFO(message_of(wrong));
    CHECK(text(wrong, "status") == "error");
    CHECK(message_of(wrong).starts_with("localhost resolved to "));
    CHECK(message_of(wrong).ends_with(", missing 10.9.9.9"));
    CHECK(metric(wrong, "address_count") == *count); // measured even when it fails
    CHECK(http_get(agent.port(), "/health/checks/wrong").status == 503);
}

TEST_CASE("dns: match chooses all, any or exact") {
    const std::string both = "expect = [\"127.0.0.1\", \"10.9.9.9\"]";
    Agent agent{
        check_toml("any", "dns", "name = \"localhost\", " + both + ", match = \"any\"") +
        check_toml("all", "dns", "name = \"localhost\", " + both + ", match = \"all\"") +
        check_toml("exact", "dns",
                   "name = \"localhost\", family = \"ipv4\", expect = [\"127.0.0.1\"], "
                   "match = \"exact\"") +
        check_toml("exact_miss", "dns",
                   "name = \"localhost\", family = \"ipv4\", " + both + ", match = \"exact\"") +
        check_toml("any_miss", "dns",
                   "name = \"localhost\", expect = [\"10.9.9.9\", \"10.9.9.8\"], match = \"any\"")};

    CHECK(text(first_result(agent, "any"), "status") == "ok");
    CHECK(text(first_result(agent, "exact"), "status") == "ok");

    const auto all = first_result(agent, "all");
    INFO(message_of(all));
    CHECK(text(all, "status") == "error");
    CHECK(contains(message_of(all), "missing 10.9.9.9"));

    const auto exact_miss = first_result(agent, "exact_miss");
    INFO(message_of(exact_miss));
    CHECK(text(exact_miss, "status") == "error");
    CHECK(contains(message_of(exact_miss), "missing 10.9.9.9"));

    const auto any_miss = first_result(agent, "any_miss");
    INFO(message_of(any_miss));
    CHECK(text(any_miss, "status") == "error");
    CHECK(contains(message_of(any_miss), "expected any of 10.9.9.9, 10.9.9.8"));
}

TEST_CASE("dns: a name under .invalid is an error naming it") {
    Agent agent{check_toml("nxdomain", "dns", "name = \"vitals-test.invalid\"")};
    const auto check = first_result(agent, "nxdomain");
    INFO(message_of(check));
    CHECK(text(check, "status") == "error");
    // "name or service not known" here; a machine whose resolver cannot reach any server may
    // say "temporary failure" or time out instead: the name and the verdict are what matter.
    CHECK(message_of(check).starts_with("cannot resolve vitals-test.invalid: "));
    CHECK_FALSE(metric(check, "address_count").has_value());
    CHECK(http_get(agent.port(), "/health").status == 503);
}

TEST_CASE("dns: a lookup slower than error is an error") {
    // No lookup takes 1 ns: the threshold alone decides.
    Agent agent{check_toml("slow", "dns", "name = \"localhost\", error = \"1ns\"") +
                check_toml("warned", "dns", "name = \"localhost\", warning = \"1ns\"")};
    const auto slow = first_result(agent, "slow");
    INFO(message_of(slow));
    CHECK(text(slow, "status") == "error");
    CHECK(contains(message_of(slow), "slower than"));
    CHECK(text(first_result(agent, "warned"), "status") == "warning");
}
