// SPDX-License-Identifier: MIT
#include "alerts/email_notifier.hpp"

#include <chrono>

#include <Poco/Exception.h>
#include <Poco/Net/MailMessage.h>
#include <Poco/Net/MailRecipient.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SMTPClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <fmt/format.h>
#include <vitals_plugins/text.hpp>

#include "alerts/alert_text.hpp"
#include "alerts/tls_client.hpp"
#include "core/host_name.hpp"

namespace vitals {
namespace {

using Poco::Net::SMTPClientSession;

Poco::Timespan timespan(Duration duration) {
    return Poco::Timespan{std::chrono::duration_cast<std::chrono::microseconds>(duration).count()};
}

/// Poco's session with STARTTLS done here rather than by SecureSMTPClientSession::startTLS(),
/// which forgets the host name and so checks the certificate against the server's address.
class SmtpSession : public SMTPClientSession {
public:
    using SMTPClientSession::SMTPClientSession;

    void start_tls(const std::string &host, const Poco::Net::Context::Ptr &tls) {
        std::string response;
        const int status = sendCommand("STARTTLS", response);
        if (status / 100 != 2)
            throw Poco::Net::SMTPException("the server refused STARTTLS", response, status);
        socket() = Poco::Net::SecureStreamSocket::attach(socket(), host, tls);
    }
};

/// AUTH PLAIN when the server offers it (one round trip), else AUTH LOGIN.
SMTPClientSession::LoginMethod login_method(SMTPClientSession &session) {
    std::string response;
    const int status = session.sendCommand("EHLO " + host_name(), response);
    if (status / 100 == 2 && response.find("PLAIN") != std::string::npos)
        return SMTPClientSession::AUTH_PLAIN;
    return SMTPClientSession::AUTH_LOGIN;
}

} // namespace

std::string email_subject(const Alert &alert) {
    return "[Vitals] " + alert_summary(alert);
}

EmailNotifier::EmailNotifier(NotifierDefinition definition)
    : definition_(std::move(definition)),
      tls_(tls_client_context(definition_.ca_file, definition_.verify)) {}

void EmailNotifier::send(const Alert &alert) {
    const auto &def = definition_;
    const Poco::Net::SocketAddress address{def.smtp_host, static_cast<Poco::UInt16>(def.smtp_port)};
    Poco::Net::StreamSocket socket;
    if (def.tls == "tls") {
        Poco::Net::SecureStreamSocket secure{tls_};
        secure.setPeerHostName(def.smtp_host);
        secure.connect(address, timespan(def.timeout));
        socket = secure;
    } else {
        socket.connect(address, timespan(def.timeout));
    }
    SmtpSession session{socket};
    session.setTimeout(timespan(def.timeout));
    session.login(host_name()); // EHLO, after the server's greeting
    if (def.tls == "starttls") session.start_tls(def.smtp_host, tls_);
    if (!def.username.empty())
        session.login(host_name(), login_method(session), def.username, def.password);
    else if (def.tls == "starttls")
        session.login(host_name()); // EHLO again over TLS, as RFC 3207 requires

    Poco::Net::MailMessage message;
    message.setSender(def.from);
    for (const auto &to : def.to)
        message.addRecipient({Poco::Net::MailRecipient::PRIMARY_RECIPIENT, to});
    message.setSubject(Poco::Net::MailMessage::encodeWord(email_subject(alert), "UTF-8"));
    message.setContentType("text/plain; charset=UTF-8");
    message.setContent(alert_text(alert), Poco::Net::MailMessage::ENCODING_QUOTED_PRINTABLE);
    message.set("X-Vitals-Check", alert.check);
    message.set("X-Vitals-Status", std::string{to_string(alert.status)});
    session.sendMessage(message);
    session.close();
}

DeliveryOutcome EmailNotifier::deliver(const Alert &alert) {
    const std::string where = fmt::format("{}:{}", definition_.smtp_host, definition_.smtp_port);
    // The server's words may quote what we sent: never the password.
    const auto cleaned = [this](const std::string &text) {
        return plugins::printable(plugins::mask_secret(text, definition_.password), 200);
    };
    try {
        send(alert);
        return DeliveryOutcome::delivered();
    } catch (const Poco::Net::SMTPException &error) {
        std::string why = fmt::format("SMTP server {}: {}", where, cleaned(error.displayText()));
        // 5xx: the server will not take it as it is (a refused login, sender or recipient).
        if (error.code() >= 500 && error.code() < 600)
            return DeliveryOutcome::rejected(std::move(why));
        return DeliveryOutcome::retry(std::move(why));
    } catch (const Poco::TimeoutException &) {
        return DeliveryOutcome::retry(fmt::format("SMTP server {} did not answer within {}", where,
                                                  format_duration(definition_.timeout)));
    } catch (const Poco::Exception &error) {
        return DeliveryOutcome::retry(
            fmt::format("cannot send mail through {}: {}", where, cleaned(error.displayText())));
    }
}

} // namespace vitals
