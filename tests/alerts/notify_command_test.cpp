// `vitalsd notify --test NAME` through the real binary: a test alert delivered, an unknown
// name, a receiver that is down. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "receivers.hpp"
#include "support/agent_process.hpp"

namespace {

using namespace vitals::test::alerts;

/// agent.toml with one webhook notifier posting to `url`.
std::filesystem::path agent_toml(const vitals::test::TempDir &dir, const std::string &url) {
    dir.write("conf.d/.keep", "");
    return dir.write("agent.toml", "[labels]\nregion = \"eu\"\n\n"
                                   "[[notifier]]\nname = \"oncall\"\ntype = \"webhook\"\n"
                                   "min_status = \"error\"\ntimeout = \"2s\"\nurl = \"" +
                                       url +
                                       "\"\n\n"
                                       "[[notifier]]\nname = \"team\"\ntype = \"webhook\"\n"
                                       "url = \"http://127.0.0.1:9/x\"\n");
}

} // namespace

TEST_CASE("vitalsd notify --test delivers a test alert and exits 0") {
    WebhookReceiver receiver;
    vitals::test::TempDir dir;
    const auto config = agent_toml(dir, receiver.url());
    const auto result = vitals::test::run_vitalsd(
        dir.path(), {"notify", "--test", "oncall", "--config", config.string()});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(contains(result.output, "notifier 'oncall' (webhook): test alert delivered"));
    const auto posts = receiver.wait_for(1);
    REQUIRE(posts.size() == 1);
    const auto body = posts[0].body.extract<Poco::JSON::Object::Ptr>();
    CHECK(body->getValue<std::string>("kind") == "test");
    CHECK(body->getValue<std::string>("status") == "error"); // the notifier's min_status
    CHECK(body->getObject("labels")->getValue<std::string>("region") == "eu");
}

TEST_CASE("vitalsd notify --test names the notifiers there are, and says when delivery failed") {
    vitals::test::TempDir dir;
    const auto port = vitals::test::services::free_port();
    const auto config = agent_toml(dir, "http://127.0.0.1:" + std::to_string(port) + "/hook");
    auto result = vitals::test::run_vitalsd(
        dir.path(), {"notify", "--test", "pager", "--config", config.string()});
    CHECK(result.exit_code == 64);
    CHECK(contains(result.output, "no notifier 'pager'"));
    CHECK(contains(result.output, "it declares: oncall, team"));

    result = vitals::test::run_vitalsd(dir.path(),
                                       {"notify", "--test", "oncall", "--config", config.string()});
    CHECK(result.exit_code == 69);
    CHECK(contains(result.output, "not delivered (the agent would retry)"));
    CHECK(contains(result.output, "Connection refused"));
}
