// The alertmanager notifier against Debian's Alertmanager, which hands what it gets to a
// webhook the test runs: firing, then resolved, seen at the far end. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include "alerts/make_notifier.hpp"
#include "receivers.hpp"
#include "sample_alert.hpp"

namespace {

using namespace vitals;
using namespace vitals::test::alerts;
using Poco::JSON::Object;

NotifierDefinition alertmanager(std::vector<std::string> urls) {
    auto definition = notifier_definition("am", NotifierType::alertmanager);
    definition.urls = std::move(urls);
    return definition;
}

/// Alertmanager's webhook body: {"status": "firing"|"resolved", "alerts": [...]}.
Object::Ptr notification(const Delivery &delivery) {
    return delivery.body.extract<Object::Ptr>();
}

} // namespace

TEST_CASE("alertmanager notifier: firing, then resolved, reach the receiver behind Alertmanager") {
    WebhookReceiver receiver;
    Alertmanager manager{receiver.url()};
    const auto notifier = make_notifier(alertmanager({manager.url()}));
    CHECK(notifier->resend_interval() == std::chrono::minutes{1});

    REQUIRE(notifier->deliver(sample_alert()).ok());
    auto posts = receiver.wait_for(1);
    REQUIRE(posts.size() == 1);
    auto body = notification(posts[0]);
    CHECK(body->getValue<std::string>("status") == "firing");
    auto alert = body->getArray("alerts")->getObject(0);
    auto labels = alert->getObject("labels");
    CHECK(labels->getValue<std::string>("alertname") == "VitalsCheck");
    CHECK(labels->getValue<std::string>("check") == "web");
    CHECK(labels->getValue<std::string>("severity") == "error");
    CHECK(labels->getValue<std::string>("instance") == "host1");
    CHECK(labels->getValue<std::string>("team") == "shop");
    CHECK(alert->getObject("annotations")->getValue<std::string>("summary") ==
          "web: ok → error on host1");
    CHECK(alert->getValue<std::string>("generatorURL") == "http://host1:8080/#check-web");

    REQUIRE(notifier->deliver(sample_alert(AlertKind::resolved)).ok());
    posts = receiver.wait_for(2);
    REQUIRE(posts.size() == 2);
    body = notification(posts[1]);
    CHECK(body->getValue<std::string>("status") == "resolved");
    alert = body->getArray("alerts")->getObject(0);
    CHECK(alert->getObject("labels")->getValue<std::string>("check") == "web");
    CHECK(alert->getValue<std::string>("status") == "resolved");
}

TEST_CASE("alertmanager notifier: one member of a pair down still delivers, none up retries") {
    WebhookReceiver receiver;
    Alertmanager manager{receiver.url()};
    const std::string down =
        "http://127.0.0.1:" + std::to_string(vitals::test::services::free_port());
    CHECK(make_notifier(alertmanager({down, manager.url()}))->deliver(sample_alert()).ok());
    CHECK(receiver.wait_for(1).size() == 1);

    const auto outcome = make_notifier(alertmanager({down}))->deliver(sample_alert());
    CHECK(outcome.kind == DeliveryOutcome::Kind::retry);
    CHECK(contains(outcome.error, "Connection refused"));
}

TEST_CASE("alertmanager notifier: an alert Alertmanager refuses is rejected with its reason") {
    WebhookReceiver receiver;
    Alertmanager manager{receiver.url()};
    auto alert = sample_alert();
    alert.labels.emplace("bad-label", "x"); // not a Prometheus label name: 400
    const auto outcome = make_notifier(alertmanager({manager.url()}))->deliver(alert);
    CHECK(outcome.kind == DeliveryOutcome::Kind::rejected);
    CHECK(contains(outcome.error, "answered 400"));
}
