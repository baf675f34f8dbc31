// The shipped uptime plugin (plain C), unit-tested through <vitals/testing.hpp>: the built
// .so loaded into the SDK's mock host, no agent. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <vitals/testing.hpp>

#include <string>
#include <vector>

namespace {

using vitals::testing::Host;
using vitals::testing::HostAbi;
using vitals::testing::Plugin;
using vitals::testing::Problem;

const std::string uptime_so = std::string{VITALS_SHIPPED_PLUGIN_DIR} + "/uptime.so";

} // namespace

TEST_CASE("uptime plugin: ok with the uptime as a metric, on a 1.1 and a 1.0 host") {
    for (const auto abi : {HostAbi::v1_1, HostAbi::v1_0}) {
        Host host{abi};
        Plugin plugin{host, uptime_so};
        auto check = plugin.create();
        REQUIRE(check.created());
        const auto result = check.run();
        CHECK(result.status == VITALS_STATUS_OK);
        CHECK(result.message.rfind("up ", 0) == 0);
        REQUIRE(result.metric("uptime") != nullptr);
        CHECK(result.metric("uptime")->value > 0);
        CHECK(result.metric("uptime")->unit == "seconds");
        CHECK(host.misuses().empty());
    }
}

TEST_CASE("uptime plugin: warns while the host has been up for less than min_uptime") {
    Host host;
    Plugin plugin{host, uptime_so};
    auto check = plugin.create({{"min_uptime", "36500d"}});
    REQUIRE(check.created());
    const auto result = check.run();
    CHECK(result.status == VITALS_STATUS_WARNING);
    CHECK(result.message.find("host rebooted") == 0);
    CHECK(result.message.find("(min_uptime is 3153600000 s)") != std::string::npos);
}

TEST_CASE("uptime plugin: a min_uptime that is no duration is refused before create") {
    Host host;
    Plugin plugin{host, uptime_so};
    CHECK(plugin.create({{"min_uptime", "a while"}}).problems() ==
          std::vector<Problem>{
              {"min_uptime", "\"a while\" is not a duration string such as \"500ms\" or \"10s\""}});
    CHECK(plugin.create({{"min_uptime", 60}}).problems() ==
          std::vector<Problem>{{"min_uptime", "expected a duration string such as \"500ms\" or "
                                              "\"10s\", got an integer"}});
}
