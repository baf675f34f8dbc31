// The webhook notifier against a real HTTP receiver: its JSON and Slack bodies, headers and
// token, and what each answer (or none) means for delivery. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "alerts/make_notifier.hpp"
#include "receivers.hpp"
#include "sample_alert.hpp"

namespace {

using namespace vitals;
using namespace vitals::test::alerts;

NotifierDefinition webhook(const std::string &url) {
    auto definition = notifier_definition("hook", NotifierType::webhook);
    definition.urls = {url};
    return definition;
}

} // namespace

TEST_CASE("webhook notifier: the documented JSON arrives with its headers and bearer token") {
    WebhookReceiver receiver;
    auto definition = webhook(receiver.url("/alerts?source=vitals"));
    definition.headers = {{"X-Team", "shop"}};
    definition.token = "tok-123";
    const auto outcome = make_notifier(definition)->deliver(sample_alert());
    CHECK(outcome.ok());
    CHECK(outcome.error.empty());

    const auto posts = receiver.wait_for(1);
    REQUIRE(posts.size() == 1);
    CHECK(posts[0].path == "/alerts?source=vitals");
    CHECK(posts[0].headers->getValue<std::string>("Authorization") == "Bearer tok-123");
    CHECK(posts[0].headers->getValue<std::string>("X-Team") == "shop");
    CHECK(posts[0].headers->getValue<std::string>("Content-Type") == "application/json");
    const auto body = posts[0].body.extract<Poco::JSON::Object::Ptr>();
    CHECK(body->getValue<int>("version") == 1);
    CHECK(body->getValue<std::string>("kind") == "firing");
    CHECK(body->getValue<std::string>("check") == "web");
    CHECK(body->getValue<std::string>("status") == "error");
    CHECK(body->getValue<std::string>("previous_status") == "ok");
    CHECK(body->getValue<std::string>("message") == "GET / answered 502");
    CHECK(body->getValue<std::string>("host") == "host1");
    CHECK(body->getObject("labels")->getValue<std::string>("team") == "shop");
}

TEST_CASE("webhook notifier: format slack posts text and an attachment Slack and Mattermost take") {
    WebhookReceiver receiver;
    auto definition = webhook(receiver.url());
    definition.format = "slack";
    REQUIRE(make_notifier(definition)->deliver(sample_alert(AlertKind::resolved)).ok());
    const auto posts = receiver.wait_for(1);
    REQUIRE(posts.size() == 1);
    const auto body = posts[0].body.extract<Poco::JSON::Object::Ptr>();
    CHECK(body->getValue<std::string>("text") == "web: error → ok on host1 (resolved)");
    const auto attachment = body->getArray("attachments")->getObject(0);
    CHECK(attachment->getValue<std::string>("color") == "good");
    CHECK(attachment->getValue<std::string>("title_link") == "http://host1:8080/#check-web");
    CHECK(attachment->getArray("fields")->size() >= 4);
}

TEST_CASE("webhook notifier: 400 is rejected and 503 retried, saying why without the token") {
    WebhookReceiver refusing{400};
    auto definition = webhook(refusing.url("/hook/SECRET-PATH"));
    definition.token = "tok-456";
    auto outcome = make_notifier(definition)->deliver(sample_alert());
    CHECK(outcome.kind == DeliveryOutcome::Kind::rejected);
    CHECK(contains(outcome.error, "answered 400"));
    CHECK(contains(outcome.error, "bad payload: field x"));
    CHECK_FALSE(contains(outcome.error, "second line"));
    CHECK_FALSE(contains(outcome.error, "tok-456"));
    CHECK_FALSE(contains(outcome.error, "SECRET-PATH")); // Slack's URLs are keys

    WebhookReceiver busy{503};
    outcome = make_notifier(webhook(busy.url()))->deliver(sample_alert());
    CHECK(outcome.kind == DeliveryOutcome::Kind::retry);
    CHECK(contains(outcome.error, "answered 503"));
}

TEST_CASE("webhook notifier: a receiver that is down is retried, then delivered once it is up") {
    const auto port = vitals::test::services::free_port();
    const auto notifier = make_notifier(webhook("http://127.0.0.1:" + std::to_string(port) + "/h"));
    const auto down = notifier->deliver(sample_alert());
    CHECK(down.kind == DeliveryOutcome::Kind::retry);
    CHECK(contains(down.error, "Connection refused"));

    WebhookReceiver receiver{200, port};
    CHECK(notifier->deliver(sample_alert()).ok());
    CHECK(receiver.wait_for(1).size() == 1);
}

TEST_CASE("webhook notifier: a receiver that never answers is retried at the timeout") {
    vitals::test::services::SilentListener silent;
    auto definition = webhook("http://127.0.0.1:" + std::to_string(silent.port()) + "/h");
    definition.timeout = std::chrono::milliseconds{300};
    const auto started = std::chrono::steady_clock::now();
    const auto outcome = make_notifier(definition)->deliver(sample_alert());
    CHECK(outcome.kind == DeliveryOutcome::Kind::retry);
    CHECK(contains(outcome.error, "did not answer within 300ms"));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds{5});
}
