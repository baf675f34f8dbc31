// The e-mail notifier against a real SMTP server (aiosmtpd) that requires STARTTLS and AUTH:
// the message it keeps, a wrong password, a certificate from the wrong CA.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sstream>

#include <Poco/Net/MailMessage.h>

#include "alerts/make_notifier.hpp"
#include "receivers.hpp"
#include "sample_alert.hpp"
#include "support/test_certificates.hpp"

namespace {

using namespace vitals;
using namespace vitals::test::alerts;

NotifierDefinition email(const vitals::test::TestCertificates &certificates, std::uint16_t port,
                         const std::string &password) {
    auto definition = notifier_definition("mail", NotifierType::email);
    definition.smtp_host = "127.0.0.1";
    definition.smtp_port = port;
    definition.tls = "starttls";
    definition.ca_file = certificates.path("ca.crt");
    definition.username = "vitals";
    definition.password = password;
    definition.from = "vitals@host1.example";
    definition.to = {"ops@example.org", "oncall@example.org"};
    return definition;
}

/// A CA, and an SMTP server with a certificate it signed, taking user "vitals", "pa55word".
struct MailServer {
    vitals::test::TestCertificates certificates;
    SmtpReceiver server{certificates.path("server.crt"), certificates.path("server.key"), "vitals",
                        "pa55word"};
};

} // namespace

TEST_CASE("email notifier: STARTTLS and AUTH, and a message saying what changed") {
    const MailServer mail;
    const auto &[certificates, server] = mail;
    const auto outcome =
        make_notifier(email(certificates, server.port(), "pa55word"))->deliver(sample_alert());
    INFO(outcome.error);
    REQUIRE(outcome.ok());
    const auto messages = server.messages();
    REQUIRE(messages.size() == 1);
    CHECK(contains(messages[0], "X-Envelope-From: vitals@host1.example"));
    CHECK(contains(messages[0], "X-Envelope-To: ops@example.org,oncall@example.org"));

    std::istringstream stored{messages[0]};
    Poco::Net::MailMessage message;
    message.read(stored);
    CHECK(message.getSubject() == "[Vitals] web: ok → error on host1");
    const std::string text = message.getContent();
    CHECK(contains(text, "Check: web"));
    CHECK(contains(text, "Status: error"));
    CHECK(contains(text, "Previous status: ok"));
    CHECK(contains(text, "Message: GET / answered 502"));
    CHECK(contains(text, "Description: the shop's front page"));
    CHECK(contains(text, "Host: host1"));
    CHECK(contains(text, "Link: http://host1:8080/#check-web"));
    CHECK(contains(text, "Label team: shop"));
}

TEST_CASE("email notifier: a wrong password is rejected and never shown") {
    const MailServer mail;
    const auto &[certificates, server] = mail;
    const auto outcome =
        make_notifier(email(certificates, server.port(), "wrong-pw-789"))->deliver(sample_alert());
    CHECK(outcome.kind == DeliveryOutcome::Kind::rejected);
    CHECK(contains(outcome.error, "535"));
    CHECK_FALSE(contains(outcome.error, "wrong-pw-789"));
    CHECK(server.messages().empty());
}

TEST_CASE("email notifier: a server certificate from another CA is not trusted") {
    const MailServer mail;
    const auto &[certificates, server] = mail;
    auto definition = email(certificates, server.port(), "pa55word");
    definition.ca_file = certificates.path("stranger-ca.crt");
    const auto outcome = make_notifier(definition)->deliver(sample_alert());
    CHECK_FALSE(outcome.ok());
    CHECK_FALSE(contains(outcome.error, "pa55word"));
    CHECK(server.messages().empty());
}
