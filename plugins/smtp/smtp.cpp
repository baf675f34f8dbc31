// Vitals "smtp" checker: a mail server's greeting, EHLO, STARTTLS (or implicit TLS) with its
// certificate verified, optional AUTH and the capabilities it must offer.
// SPDX-License-Identifier: MIT
//
// Through Poco's SecureSMTPClientSession (the library the agent already links for HTTP): it
// owns the SMTP replies, AUTH's encodings and TLS.
#include "smtp_dialogue.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;
using vitals::smtp::Dialogue;
using vitals::smtp::DialogueError;

// key, type, required, default, description, secret
constexpr vitals_param_spec smtp_params[] = {
    {"host", VITALS_PARAM_STRING, 0, "127.0.0.1",
     "Host name or address of the mail server; the certificate must name it", 0},
    {"port", VITALS_PARAM_INT, 0, nullptr, "TCP port (25; 465 with tls = implicit)", 0},
    {"tls", VITALS_PARAM_STRING, 0, "none",
     "none, starttls (required, after EHLO) or implicit (TLS from the start, as on port 465)", 0},
    {"verify", VITALS_PARAM_BOOL, 0, "true",
     "With TLS: the certificate must chain to a trusted CA and name host", 0},
    {"ca_file", VITALS_PARAM_STRING, 0, nullptr,
     "CA certificates (PEM) trusted instead of the system's", 0},
    {"helo", VITALS_PARAM_STRING, 0, nullptr, "The name sent with EHLO (this host's name)", 0},
    {"user", VITALS_PARAM_STRING, 0, nullptr, "AUTH PLAIN as this user (needs password and TLS)",
     0},
    {"password", VITALS_PARAM_STRING, 0, nullptr, "That user's password", 1},
    {"expect_capabilities", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "EHLO keywords the server must offer (after TLS), e.g. [\"PIPELINING\", \"8BITMIME\"]", 0},
    {"expect_greeting", VITALS_PARAM_STRING, 0, nullptr,
     "A regular expression the greeting (\"220 mail.example.net ESMTP\") must contain", 0},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when the dialogue (connect to QUIT) takes longer than this", 0},
    {"error", VITALS_PARAM_DURATION, 0, nullptr,
     "Fail when the dialogue (connect to QUIT) takes longer than this", 0},
    {}, // the NULL key that ends the table
};

enum class Tls { none, starttls, implicit };

/// Why OpenSSL refused the chain, recorded by the verify callback on the thread doing the
/// handshake (Poco reports only "certificate verify failed").
thread_local std::string verify_failure;

extern "C" int remember_verify_failure(int preverify_ok, X509_STORE_CTX *store) {
    if (!preverify_ok && verify_failure.empty()) {
        try {
            verify_failure = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
        } catch (...) {
            // Out of memory: the generic message will have to do.
        }
    }
    return preverify_ok;
}

std::string this_host_name() {
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
    return name.data();
}

/// "certificate verify failed" rather than "SSL Exception: error:0A000086:SSL routines::...".
std::string exception_words(const Poco::Exception &e) {
    std::string text = e.message().empty() ? e.name() : e.message();
    if (text.starts_with("error:")) text = text.substr(text.rfind(':') + 1);
    return after_colon(text);
}

// ---------------------------------------------------------------- the check

class SmtpCheck {
public:
    explicit SmtpCheck(const vitals::Params &params)
        : host_(params.string("host")), verify_(params.boolean("verify")) {
        if (host_.empty()) params.reject("host", "must not be empty");
        const std::string tls = params.string("tls");
        if (tls == "none")
            tls_ = Tls::none;
        else if (tls == "starttls")
            tls_ = Tls::starttls;
        else if (tls == "implicit")
            tls_ = Tls::implicit;
        else
            params.reject("tls", "must be none, starttls or implicit, got \"" + tls + "\"");
        port_ = params.has("port") ? params.integer("port") : (tls_ == Tls::implicit ? 465 : 25);
        if (port_ < 1 || port_ > 65535)
            params.reject("port", "must be from 1 to 65535, got " + std::to_string(port_));
        if (params.has("ca_file")) {
            ca_file_ = params.string("ca_file");
            if (tls_ == Tls::none) params.reject("ca_file", "has no effect without tls");
            if (!verify_) params.reject("ca_file", "has no effect with verify = false");
            if (ca_file_.empty() || ca_file_.front() != '/')
                params.reject("ca_file", "must be an absolute path");
        }
        helo_ = params.has("helo") ? params.string("helo") : this_host_name();
        if (helo_.empty() || helo_.find_first_of(" \t\r\n") != std::string::npos)
            params.reject("helo", "must be one word, a host name or an address literal");
        read_auth(params);
        if (params.has("expect_capabilities")) {
            for (const auto &keyword : params.strings("expect_capabilities")) {
                if (keyword.empty() || keyword.find_first_of(" \t\r\n") != std::string::npos)
                    params.reject("expect_capabilities",
                                  "\"" + keyword + "\" is not one EHLO keyword");
                expect_capabilities_.push_back(keyword);
            }
        }
        if (params.has("expect_greeting")) {
            const std::string pattern = params.string("expect_greeting");
            try {
                expect_greeting_.emplace(pattern, std::regex::ECMAScript);
            } catch (const std::regex_error &error) {
                params.reject("expect_greeting",
                              "is not a regular expression: " + after_colon(error.what()));
            }
            greeting_pattern_ = pattern;
        }
        limits_ = time_limits(params, "dialogue");
        target_ = endpoint_text(host_, port_);
    }

    void run(vitals::Run &run) {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to connect to " + target_);
            return;
        }
        const auto start = Clock::now();
        verify_failure.clear();
        try {
            converse(run, *deadline, start);
        } catch (const DialogueError &e) {
            run.error(target_ + ": " + mask_secret(e.what, password_));
        } catch (const Poco::Net::CertificateValidationException &) {
            run.error(target_ + ": TLS certificate is not valid for " + host_);
        } catch (const Poco::Net::SSLException &e) {
            run.error(target_ + ": " +
                      (verify_failure.empty() ? "TLS failed: " + exception_words(e)
                                              : "TLS certificate not trusted: " + verify_failure));
        } catch (const Poco::TimeoutException &) {
            run.error(target_ + ": timed out after " + format_duration(Clock::now() - start));
        } catch (const Poco::Net::ConnectionRefusedException &) {
            run.error("cannot connect to " + target_ + ": connection refused");
        } catch (const Poco::Exception &e) {
            run.error(target_ + ": " + mask_secret(exception_words(e), password_));
        }
    }

private:
    void read_auth(const vitals::Params &params) {
        if (params.has("password")) password_ = params.string("password");
        if (!params.has("user")) {
            if (params.has("password")) params.reject("password", "needs user");
            return;
        }
        user_ = params.string("user");
        if (user_.empty()) params.reject("user", "must not be empty");
        if (!params.has("password")) params.reject("user", "needs password");
        if (tls_ == Tls::none)
            params.reject("user", "needs tls = \"starttls\" or \"implicit\": AUTH would send the "
                                  "password in the clear");
    }

    /// The TLS settings as a context, made on the first run (loading CA files is I/O, which
    /// creating a check must not do) and kept.
    Poco::Net::Context::Ptr context() {
        if (context_) return context_;
        Poco::Net::Context::Params params;
        params.verificationMode =
            verify_ ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
        params.verificationDepth = 9;
        params.caLocation = ca_file_;
        // The system's CAs are hundreds of files: not read when nothing is verified.
        params.loadDefaultCAs = verify_ && ca_file_.empty();
        Poco::Net::Context::Ptr made;
        try {
            made = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
        } catch (const Poco::Exception &e) {
            throw DialogueError{ca_file_.empty() ? "TLS setup failed: " + exception_words(e)
                                                 : "cannot load ca_file " + ca_file_};
        }
        // STRICT, not RELAXED: Poco skips the host-name check for loopback names otherwise.
        // Our own callback replaces Poco's so that the reason for a refusal can be reported.
        if (verify_)
            SSL_CTX_set_verify(made->sslContext(), SSL_VERIFY_PEER, &remember_verify_failure);
        context_ = made;
        return context_;
    }

    Poco::Net::StreamSocket connect(Clock::time_point deadline, Clock::time_point start) {
        const Poco::Net::SocketAddress address{host_, static_cast<Poco::UInt16>(port_)};
        const auto left =
            std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
        const Poco::Timespan timeout{std::max<Poco::Timespan::TimeDiff>(left.count(), 1000)};
        try {
            if (tls_ != Tls::implicit) {
                Poco::Net::StreamSocket socket;
                socket.connect(address, timeout);
                return socket;
            }
            Poco::Net::SecureStreamSocket socket{context()};
            socket.setPeerHostName(host_);
            // The handshake apart from connect(), which does not bound it. OpenSSL reads the
            // descriptor itself, past Poco's poll()-based timeouts, so the kernel's own
            // (SO_RCVTIMEO, SO_SNDTIMEO) bound each read and write. A third of what is left:
            // on a read that times out Poco polls once more for as long before giving up.
            socket.setLazyHandshake(true);
            socket.connect(address, timeout);
            const timeval share = timeval_until(Clock::now() + (deadline - Clock::now()) / 3);
            socket.impl()->setRawOption(SOL_SOCKET, SO_RCVTIMEO, &share, sizeof share);
            socket.impl()->setRawOption(SOL_SOCKET, SO_SNDTIMEO, &share, sizeof share);
            socket.completeHandshake();
            return socket;
        } catch (const Poco::TimeoutException &) {
            throw DialogueError{
                std::string{tls_ == Tls::implicit ? "connect and TLS handshake" : "connect"} +
                " timed out after " + format_duration(Clock::now() - start)};
        }
    }

    void converse(vitals::Run &run, Clock::time_point deadline, Clock::time_point start) {
        Dialogue dialogue{connect(deadline, start), deadline};
        run.metric("connect_time", to_seconds(Clock::now() - start), "seconds");
        const std::string greeting = dialogue.greeting();
        if (expect_greeting_ && !std::regex_search(greeting, *expect_greeting_))
            throw DialogueError{"greeting \"" + greeting + "\" does not match " +
                                greeting_pattern_};
        auto capabilities = dialogue.ehlo(helo_);
        if (tls_ == Tls::starttls) {
            if (!vitals::smtp::offers(capabilities, "STARTTLS"))
                throw DialogueError{"STARTTLS is not offered"};
            dialogue.start_tls(host_, context());
            capabilities = dialogue.ehlo(helo_); // what the server offers over TLS
        }
        std::vector<std::string> missing;
        for (const auto &keyword : expect_capabilities_)
            if (!vitals::smtp::offers(capabilities, keyword)) missing.push_back(keyword);
        if (!missing.empty()) throw DialogueError{"EHLO does not offer " + join(missing, ", ")};
        if (!user_.empty()) {
            if (!vitals::smtp::offers_auth(capabilities, "PLAIN"))
                throw DialogueError{"AUTH PLAIN is not offered"};
            dialogue.authenticate(user_, password_);
        }
        dialogue.quit();
        const nanoseconds took = Clock::now() - start;
        run.metric("response_time", to_seconds(took), "seconds");

        const std::string message =
            target_ + ": " + greeting_name(greeting) +
            (tls_ == Tls::starttls   ? ", STARTTLS"
             : tls_ == Tls::implicit ? ", TLS"
                                     : "") +
            (tls_ != Tls::none && !verify_ ? " (certificate not verified)" : "") +
            (user_.empty() ? "" : ", AUTH as " + user_) + ", " +
            std::to_string(capabilities.size()) + " capabilities, in " + format_duration(took);
        if (limits_.error && took > *limits_.error)
            run.error(message + ", slower than " + format_duration(*limits_.error));
        else if (limits_.warning && took > *limits_.warning)
            run.warning(message + ", slower than " + format_duration(*limits_.warning));
        else
            run.ok(message);
    }

    /// "220 mail.example.net ESMTP Postfix" -> "mail.example.net ESMTP Postfix".
    static std::string greeting_name(const std::string &greeting) {
        return greeting.size() > 4 ? greeting.substr(4) : greeting;
    }

    std::string host_;
    std::int64_t port_ = 25;
    Tls tls_ = Tls::none;
    bool verify_;
    std::string ca_file_;
    std::string helo_;
    std::string user_;
    std::string password_;
    std::vector<std::string> expect_capabilities_;
    std::optional<std::regex> expect_greeting_;
    std::string greeting_pattern_;
    TimeLimits limits_;
    std::string target_;
    Poco::Net::Context::Ptr context_;
};

} // namespace

VITALS_CPP_PLUGIN(SmtpCheck, "smtp", "0.1.0",
                  "Whether a mail server greets, answers EHLO, starts TLS with a valid "
                  "certificate, accepts AUTH and offers the expected capabilities",
                  smtp_params)
