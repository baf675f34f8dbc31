// Vitals "tcp" checker: is a TCP port open, and how fast. SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/units.hpp>

#include <netdb.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;
using namespace std::chrono_literals;

// key, type, required, default, description, secret
constexpr vitals_param_spec tcp_params[] = {
    {"host", VITALS_PARAM_STRING, 1, nullptr,
     "Host name or numeric IPv4/IPv6 address to connect to", 0},
    {"port", VITALS_PARAM_INT, 1, nullptr, "TCP port (1-65535)", 0},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr, "Warn when connecting takes longer than this",
     0},
    {"error", VITALS_PARAM_DURATION, 0, nullptr, "Fail when connecting takes longer than this", 0},
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

/// How connecting to one address went: the time it took, or why it failed.
struct Attempt {
    std::optional<nanoseconds> connect_time;
    std::string failure;

    static Attempt connected(nanoseconds time) { return {time, {}}; }
    static Attempt failed(std::string why) { return {std::nullopt, std::move(why)}; }
};

Attempt connect_to(const addrinfo &address, Clock::time_point deadline) {
    const auto start = Clock::now();
    const UniqueFd socket = open_socket(address);
    if (!socket.valid()) return Attempt::failed("socket: " + describe_errno(errno));
    const int error = connect_by(socket.get(), address, deadline);
    const nanoseconds elapsed = Clock::now() - start;
    if (error == ETIMEDOUT) return Attempt::failed("timed out after " + format_duration(elapsed));
    if (error != 0) return Attempt::failed(describe_errno(error));
    return Attempt::connected(elapsed);
}

class TcpCheck {
public:
    explicit TcpCheck(const vitals::Params &params)
        : host_(params.string("host")), port_(params.integer("port")) {
        if (host_.empty()) params.reject("host", "must not be empty");
        if (port_ < 1 || port_ > 65535)
            params.reject("port", "must be from 1 to 65535, got " + std::to_string(port_));
        if (params.has("warning")) warning_ = params.duration("warning");
        if (warning_ && *warning_ <= 0ns)
            params.reject("warning", "must be longer than zero: every connection would warn");
        if (params.has("error")) error_ = params.duration("error");
        if (error_ && *error_ <= 0ns)
            params.reject("error", "must be longer than zero: every connection would fail");
        if (warning_ && error_ && *warning_ > *error_)
            params.reject("warning", "must not be longer than error (" +
                                         format_duration(*warning_) + " > " +
                                         format_duration(*error_) + ")");
        target_ = endpoint_text(host_, port_);
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
            const Attempt attempt = connect_to(*address, attempt_deadline(*address, now, deadline));
            if (attempt.connect_time) {
                report_connected(run, *attempt.connect_time);
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

    void report_connected(vitals::Run &run, nanoseconds connect_time) const {
        run.metric("connect_time", to_seconds(connect_time), "seconds");
        const std::string message =
            "connected to " + target_ + " in " + format_duration(connect_time);
        if (error_ && connect_time > *error_)
            run.error(message + ", slower than " + format_duration(*error_));
        else if (warning_ && connect_time > *warning_)
            run.warning(message + ", slower than " + format_duration(*warning_));
        else
            run.ok(message);
    }

    std::string host_;
    std::int64_t port_;
    std::optional<nanoseconds> warning_;
    std::optional<nanoseconds> error_;
    std::string target_; // "host:port", as every message names it
};

} // namespace

VITALS_CPP_PLUGIN(TcpCheck, "tcp", "0.1.0", "Whether a TCP port accepts connections, and how fast",
                  tcp_params)
