// One SMTP dialogue through Poco's SecureSMTPClientSession, step by step, each step bounded by
// what is left of the run. SPDX-License-Identifier: MIT
#pragma once

#include <vitals_plugins/deadline.hpp>

#include <Poco/Net/Context.h>
#include <Poco/Net/SecureSMTPClientSession.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vitals::smtp {

/// A failed step: what an operator reads after "host:port: ".
struct DialogueError {
    std::string what;
};

/// Poco's session with the steps a check needs and Poco keeps protected: the greeting read
/// here rather than discarded by open(), EHLO's reply kept for its capabilities, STARTTLS
/// verified against the name the check was given, and AUTH PLAIN.
class Dialogue : private Poco::Net::SecureSMTPClientSession {
public:
    /// A dialogue on a connected socket (a SecureStreamSocket for implicit TLS).
    Dialogue(const Poco::Net::StreamSocket &socket, plugins::Clock::time_point deadline);

    /// The server's greeting; a reply other than 220 throws DialogueError.
    std::string greeting();
    /// EHLO: the capability keywords the server lists, upper case ("STARTTLS", "AUTH").
    std::vector<std::string> ehlo(const std::string &name);
    /// STARTTLS, then the handshake, the certificate checked for `host` by `context`.
    void start_tls(const std::string &host, const Poco::Net::Context::Ptr &context);
    /// AUTH PLAIN; a refusal throws DialogueError with the server's reply. Not LOGIN:
    /// Poco 1.11's LOGIN skips the exchange, and reports success, when the server's prompt
    /// is neither "Username:" nor "Password:" (aiosmtpd's is "User Name").
    void authenticate(const std::string &user, const std::string &password);
    /// QUIT, for a polite end; its reply does not change the verdict.
    void quit();

private:
    /// Sets the socket's timeout to what is left (divided by `share`); throws DialogueError
    /// when nothing is.
    void bound(const char *step, int share = 1);
    int command(const char *step, const std::string &line, std::string &reply);

    plugins::Clock::time_point deadline_;
    plugins::Clock::time_point start_;
};

/// Whether `capabilities` (from ehlo()) offer `keyword` ("STARTTLS", "PIPELINING").
bool offers(const std::vector<std::string> &capabilities, const std::string &keyword);
/// Whether they offer AUTH with `method` ("PLAIN") among its methods.
bool offers_auth(const std::vector<std::string> &capabilities, const std::string &method);

} // namespace vitals::smtp
