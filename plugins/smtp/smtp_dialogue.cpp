// One SMTP dialogue through Poco's SecureSMTPClientSession. SPDX-License-Identifier: MIT
#include "smtp_dialogue.hpp"

#include <vitals_plugins/text.hpp>
#include <vitals_plugins/units.hpp>

#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>

#include <algorithm>
#include <sstream>

namespace vitals::smtp {

using vitals::plugins::Clock;

namespace {

/// "250-SIZE 1000\r\n250 starttls" -> {"SIZE 1000", "STARTTLS"}, upper case, the first line (the
/// server greeting the client by name) left out. Poco joins a multi-line reply with "\n".
std::vector<std::string> capability_lines(const std::string &reply) {
    std::vector<std::string> lines;
    std::istringstream in{reply};
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > 4) line = line.substr(4); // "250-" or "250 "
        if (!first) lines.push_back(line);
        first = false;
    }
    for (auto &entry : lines)
        std::transform(entry.begin(), entry.end(), entry.begin(),
                       [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
    return lines;
}

/// "Login using PLAIN failed: 535 5.7.8 ..." -> "535 5.7.8 ...".
std::string after_reason(const std::string &text) {
    const auto colon = text.find(": ");
    return colon == std::string::npos ? text : text.substr(colon + 2);
}

std::string first_word(const std::string &line) {
    return line.substr(0, line.find(' '));
}

/// A reply as a message shows it: one line, the code first.
std::string shown(int status, const std::string &reply) {
    std::string text = reply;
    std::replace(text.begin(), text.end(), '\n', ' ');
    std::erase(text, '\r');
    if (text.size() > 200) text = text.substr(0, 200) + "...";
    return text.empty() ? std::to_string(status) : text;
}

} // namespace

Dialogue::Dialogue(const Poco::Net::StreamSocket &socket, Clock::time_point deadline)
    : SecureSMTPClientSession(socket), deadline_(deadline), start_(Clock::now()) {}

void Dialogue::bound(const char *step, int share) {
    const auto left = (deadline_ - Clock::now()) / share;
    if (left <= std::chrono::nanoseconds::zero())
        throw DialogueError{std::string{step} + ": timed out after " +
                            plugins::format_duration(Clock::now() - start_)};
    setTimeout(Poco::Timespan{std::max<Poco::Timespan::TimeDiff>(
        std::chrono::duration_cast<std::chrono::microseconds>(left).count(), 1000)});
}

int Dialogue::command(const char *step, const std::string &line, std::string &reply) {
    bound(step);
    try {
        return sendCommand(line, reply);
    } catch (const Poco::TimeoutException &) {
        throw DialogueError{std::string{step} + ": timed out after " +
                            plugins::format_duration(Clock::now() - start_)};
    }
}

std::string Dialogue::greeting() {
    bound("greeting");
    std::string reply;
    int status = 0;
    try {
        status = socket().receiveStatusMessage(reply);
    } catch (const Poco::TimeoutException &) {
        throw DialogueError{"no greeting, timed out after " +
                            plugins::format_duration(Clock::now() - start_)};
    }
    if (status == 0) throw DialogueError{"the server closed the connection without a greeting"};
    if (status != 220) throw DialogueError{"greeting refused: " + shown(status, reply)};
    return shown(status, reply);
}

std::vector<std::string> Dialogue::ehlo(const std::string &name) {
    std::string reply;
    const int status = command("EHLO", "EHLO " + name, reply);
    if (!isPositiveCompletion(status)) throw DialogueError{"EHLO refused: " + shown(status, reply)};
    return capability_lines(reply);
}

void Dialogue::start_tls(const std::string &host, const Poco::Net::Context::Ptr &context) {
    std::string reply;
    const int status = command("STARTTLS", "STARTTLS", reply);
    if (status != 220) throw DialogueError{"STARTTLS refused: " + shown(status, reply)};
    // A third of what is left: OpenSSL reads past Poco's poll(), so Poco's timeout
    // (SO_RCVTIMEO here) bounds each read, and Poco polls once more for as long before giving
    // up, with room to spare for a slow machine.
    bound("TLS handshake", 3);
    // What Poco's own startTLS() does, with the name the check was given: Poco would verify
    // the certificate against the host of a session it connected itself, and ours has none.
    try {
        socket() = Poco::Net::SecureStreamSocket::attach(socket(), host, context);
    } catch (const Poco::TimeoutException &) {
        throw DialogueError{"TLS handshake timed out after " +
                            plugins::format_duration(Clock::now() - start_)};
    }
}

void Dialogue::authenticate(const std::string &user, const std::string &password) {
    bound("AUTH");
    try {
        loginUsingPlain(user, password);
    } catch (const Poco::Net::SMTPException &e) {
        // Poco's message: "Login using PLAIN failed: " and the server's reply.
        throw DialogueError{"AUTH refused: " + shown(0, after_reason(e.message()))};
    } catch (const Poco::TimeoutException &) {
        throw DialogueError{"AUTH: timed out after " +
                            plugins::format_duration(Clock::now() - start_)};
    }
}

void Dialogue::quit() {
    std::string reply;
    command("QUIT", "QUIT", reply);
}

bool offers(const std::vector<std::string> &capabilities, const std::string &keyword) {
    return std::any_of(capabilities.begin(), capabilities.end(), [&](const std::string &line) {
        return plugins::equal_ignoring_case(first_word(line), keyword);
    });
}

bool offers_auth(const std::vector<std::string> &capabilities, const std::string &method) {
    return std::any_of(capabilities.begin(), capabilities.end(), [&](const std::string &line) {
        if (first_word(line) != "AUTH") return false;
        std::istringstream words{line};
        std::string word;
        while (words >> word)
            if (plugins::equal_ignoring_case(word, method)) return true;
        return false;
    });
}

} // namespace vitals::smtp
