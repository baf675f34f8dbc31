// Vitals "tcp" checker: is a TCP port open, and how fast; optionally a line protocol's
// dialogue, in the clear or over TLS. SPDX-License-Identifier: MIT
#include "line_connection.hpp"
#include "steps.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <netdb.h>

#include <Poco/Exception.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;
using vitals::tcp::LineConnection;
using vitals::tcp::Step;
using namespace std::chrono_literals;

// key, type, required, default, description, secret
constexpr vitals_param_spec tcp_params[] = {
    {"host", VITALS_PARAM_STRING, 1, nullptr,
     "Host name or numeric IPv4/IPv6 address to connect to", 0},
    {.key = "port",
     .type = VITALS_PARAM_INT,
     .required = 1,
     .description = "TCP port",
     .min = 1,
     .max = 65535,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr, "Warn when connecting takes longer than this",
     0},
    {"error", VITALS_PARAM_DURATION, 0, nullptr, "Fail when connecting takes longer than this", 0},
    {"steps", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "A dialogue after connecting, each \"send: LINE\", \"expect: REGEX\" or \"starttls\"", 0},
    {"tls", VITALS_PARAM_BOOL, 0, "false", "Start TLS as soon as the connection is up", 0},
    {"verify_tls", VITALS_PARAM_BOOL, 0, "true",
     "Verify the server's certificate chain and name (with tls or starttls)", 0},
    {"ca_file", VITALS_PARAM_STRING, 0, nullptr,
     "PEM file of CA certificates trusted instead of the system's (with tls or starttls)", 0},
    {"server_name", VITALS_PARAM_STRING, 0, nullptr,
     "Name sent as SNI and verified (default: host; with tls or starttls)", 0},
    {}, // the NULL key that ends the table
};

/// Numeric text of one resolved address, for messages.
std::string address_text(const addrinfo &address) {
    std::array<char, NI_MAXHOST> text{};
    if (::getnameinfo(address.ai_addr, address.ai_addrlen, text.data(), text.size(), nullptr, 0,
                      NI_NUMERICHOST) != 0)
        return "?";
    return text.data();
}

/// How connecting to one address went: the socket and the time it took, or why it failed.
struct Attempt {
    UniqueFd socket;
    nanoseconds connect_time{};
    std::string failure;
};

Attempt connect_to(const addrinfo &address, Clock::time_point deadline) {
    const auto start = Clock::now();
    Attempt attempt;
    attempt.socket = open_socket(address);
    if (!attempt.socket.valid()) {
        attempt.failure = "socket: " + describe_errno(errno);
        return attempt;
    }
    const int error = connect_by(attempt.socket.get(), address, deadline);
    attempt.connect_time = Clock::now() - start;
    if (error == 0) return attempt;
    attempt.socket.reset();
    attempt.failure = error == ETIMEDOUT
                          ? "timed out after " + format_duration(attempt.connect_time)
                          : describe_errno(error);
    return attempt;
}

/// A dialogue that went wrong; its text follows "host:port: ".
struct DialogueFailure {
    std::string reason;
};

class TcpCheck {
public:
    explicit TcpCheck(const vitals::Params &params)
        : host_(params.string("host")), port_(params.integer("port")) {
        if (host_.empty()) params.reject("host", "must not be empty");
        limits_ = time_limits(params, "connection");
        target_ = endpoint_text(host_, port_);
        read_steps(params);
        read_tls(params);
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to connect to " + target_);
            return;
        }
        std::string resolve_error;
        const AddrinfoList addresses = resolve_tcp(host_, port_, resolve_error);
        if (!addresses) {
            run.error("cannot resolve " + host_ + ": " + resolve_error);
            return;
        }
        connect_any(run, *addresses, *deadline);
    }

private:
    void read_steps(const vitals::Params &params) {
        if (!params.has("steps")) return;
        try {
            steps_ = vitals::tcp::parse_steps(params.strings("steps"));
        } catch (const vitals::tcp::StepError &e) {
            params.reject("steps", e.what());
        }
        if (steps_.empty()) params.reject("steps", "must list at least one step");
    }

    void read_tls(const vitals::Params &params) {
        tls_ = params.boolean("tls");
        const bool starttls = std::any_of(steps_.begin(), steps_.end(), [](const Step &step) {
            return step.kind == Step::Kind::starttls;
        });
        if (tls_ && starttls)
            params.reject("tls", "cannot be true with a starttls step: TLS would start twice");
        const bool any_tls = tls_ || starttls;
        tls_settings_.verify = params.boolean("verify_tls");
        tls_settings_.server_name = host_;
        if (params.has("server_name")) {
            tls_settings_.server_name = params.string("server_name");
            if (tls_settings_.server_name.empty())
                params.reject("server_name", "must not be empty");
            if (!any_tls)
                params.reject("server_name", "has no effect without tls = true or a starttls step");
        }
        if (params.has("ca_file")) {
            tls_settings_.ca_file = params.string("ca_file");
            if (tls_settings_.ca_file.empty() || tls_settings_.ca_file.front() != '/')
                params.reject("ca_file",
                              "must be an absolute path, got \"" + tls_settings_.ca_file + "\"");
            if (!any_tls)
                params.reject("ca_file", "has no effect without tls = true or a starttls step");
            if (!tls_settings_.verify)
                params.reject("ca_file", "has no effect with verify_tls = false");
        }
    }

    /// Tries each address in turn until one connects; reports every failure otherwise, since
    /// "IPv6 unreachable, IPv4 refused" needs both halves to be diagnosed.
    void connect_any(vitals::Run &run, const addrinfo &addresses,
                     Clock::time_point deadline) const {
        const auto start = Clock::now();
        std::vector<std::string> failures;
        for (const addrinfo *address = &addresses; address; address = address->ai_next) {
            const auto now = Clock::now();
            if (now >= deadline) {
                failures.push_back("timed out after " + format_duration(now - start));
                break;
            }
            Attempt attempt = connect_to(*address, attempt_deadline(*address, now, deadline));
            if (attempt.socket.valid()) {
                run.metric("connect_time", to_seconds(attempt.connect_time), "seconds");
                converse(run, std::move(attempt), deadline);
                return;
            }
            failures.push_back(attempt.failure + about(*address));
        }
        run.error("cannot connect to " + target_ + ": " + join(failures, "; "));
    }

    /// " (192.0.2.7)" when host is a name, so that a failure names the address that failed.
    std::string about(const addrinfo &address) const {
        const std::string text = address_text(address);
        return text == host_ ? "" : " (" + text + ")";
    }

    /// The dialogue, if there is one, then the verdict.
    void converse(vitals::Run &run, Attempt attempt, Clock::time_point deadline) const {
        if (!tls_ && steps_.empty()) {
            report_connected(run, attempt.connect_time, "");
            return;
        }
        const auto start = Clock::now();
        LineConnection connection{std::move(attempt.socket)};
        try {
            if (tls_) start_tls(connection, "TLS", deadline, start);
            for (std::size_t i = 0; i < steps_.size(); ++i)
                take(connection, i, deadline, start);
            connection.close();
        } catch (const DialogueFailure &failure) {
            run.error(target_ + ": " + failure.reason);
            return;
        }
        const nanoseconds took = Clock::now() - start;
        run.metric("dialogue_time", to_seconds(took), "seconds");
        std::string done = tls_ ? "TLS" : "";
        if (!steps_.empty())
            done += (done.empty() ? "" : " and ") + std::to_string(steps_.size()) + " step" +
                    (steps_.size() == 1 ? "" : "s");
        report_connected(run, attempt.connect_time, ", " + done + " in " + format_duration(took));
    }

    void start_tls(LineConnection &connection, const std::string &what, Clock::time_point deadline,
                   Clock::time_point start) const {
        try {
            connection.start_tls(tls_settings_, deadline);
        } catch (const vitals::tcp::DeadlineReached &) {
            throw DialogueFailure{what + ": timed out after " +
                                  format_duration(Clock::now() - start) + " in the TLS handshake"};
        } catch (const vitals::tcp::ConnectionError &e) {
            throw DialogueFailure{what + ": " + e.what()};
        }
    }

    void take(LineConnection &connection, std::size_t index, Clock::time_point deadline,
              Clock::time_point start) const {
        const Step &step = steps_[index];
        const std::string what = step.describe(index);
        if (step.kind == Step::Kind::starttls) return start_tls(connection, what, deadline, start);
        std::string last_line;
        try {
            if (step.kind == Step::Kind::send) return connection.send_line(step.text, deadline);
            // Lines that do not match are skipped, as a multi-line reply's first lines are.
            while (const auto line = connection.read_line(deadline)) {
                Poco::RegularExpression::Match match{};
                if (step.pattern->match(*line, 0, match) > 0) return;
                last_line = *line;
            }
            throw DialogueFailure{what + ": connection closed by the server" +
                                  last_line_text(last_line)};
        } catch (const vitals::tcp::DeadlineReached &) {
            throw DialogueFailure{what + ": timed out after " +
                                  format_duration(Clock::now() - start) +
                                  last_line_text(last_line)};
        } catch (const vitals::tcp::ConnectionError &e) {
            throw DialogueFailure{what + ": " + e.what() + last_line_text(last_line)};
        } catch (const Poco::Exception &e) {
            throw DialogueFailure{what + ": the pattern failed on a line: " + e.message()};
        }
    }

    static std::string last_line_text(const std::string &line) {
        return line.empty() ? "" : ", last line \"" + printable(line) + "\"";
    }

    void report_connected(vitals::Run &run, nanoseconds connect_time,
                          const std::string &dialogue) const {
        const std::string message =
            "connected to " + target_ + " in " + format_duration(connect_time) + dialogue;
        if (limits_.error && connect_time > *limits_.error)
            run.error(message + ", connect slower than " + format_duration(*limits_.error));
        else if (limits_.warning && connect_time > *limits_.warning)
            run.warning(message + ", connect slower than " + format_duration(*limits_.warning));
        else
            run.ok(message);
    }

    std::string host_;
    std::int64_t port_;
    TimeLimits limits_;
    std::string target_; // "host:port", as every message names it
    std::vector<Step> steps_;
    bool tls_ = false;
    vitals::tcp::TlsSettings tls_settings_;
};

} // namespace

VITALS_CPP_PLUGIN(
    TcpCheck, "tcp", "0.1.0",
    "Whether a TCP port accepts connections and answers a line dialogue, and how fast", tcp_params)
