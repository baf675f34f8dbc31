// Vitals "ntp" checker: the clock's offset from an NTP server (one SNTP query) and that
// server's stratum, and whether the kernel calls the local clock synchronised (adjtimex).
// SPDX-License-Identifier: MIT
#include "sntp_packet.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/fd.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <netdb.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timex.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace vitals::plugins;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;
using vitals::Status;

// key, type, required, default, description, secret
constexpr vitals_param_spec ntp_params[] = {
    {"server", VITALS_PARAM_STRING, 0, nullptr,
     "NTP server (host name or address) to measure the offset against; without it, only the "
     "local clock's synchronisation is checked",
     0},
    {"port", VITALS_PARAM_INT, 0, "123", "UDP port of the server (1-65535)", 0},
    {"warning_offset", VITALS_PARAM_DURATION, 0, "100ms",
     "Warn when the clock is further than this from the server's, either way", 0},
    {"error_offset", VITALS_PARAM_DURATION, 0, "1s",
     "Fail when the clock is further than this from the server's, either way", 0},
    {"warning_stratum", VITALS_PARAM_INT, 0, nullptr,
     "Warn when the server's stratum is above this (1-15)", 0},
    {"error_stratum", VITALS_PARAM_INT, 0, nullptr,
     "Fail when the server's stratum is above this (1-15)", 0},
    {"unsynchronised", VITALS_PARAM_STRING, 0, "warning",
     "Status when the kernel says the local clock is not synchronised: error, warning or "
     "ignore",
     0},
    {}, // the NULL key that ends the table
};

/// An NTP client waits this long for a reply before asking again (a lost datagram), within
/// the run's deadline.
constexpr nanoseconds resend_after = 1s;

/// "+0.12 ms", "-86400.00 s": the sign says which way the local clock is off.
std::string signed_duration(nanoseconds value) {
    return (value < 0ns ? "-" : "+") + format_duration(value < 0ns ? -value : value);
}

std::optional<std::int64_t> stratum_limit(const vitals::Params &params, const char *key) {
    if (!params.has(key)) return std::nullopt;
    const std::int64_t stratum = params.integer(key);
    if (stratum < 1 || stratum > 15)
        params.reject(key, "must be from 1 to 15, got " + std::to_string(stratum));
    return stratum;
}

std::optional<Status> unsynchronised_status(const vitals::Params &params) {
    const std::string text = params.string("unsynchronised");
    if (text == "error") return Status::error;
    if (text == "warning") return Status::warning;
    if (text == "ignore") return std::nullopt;
    params.reject("unsynchronised", "must be error, warning or ignore, got \"" + text + "\"");
}

/// What the kernel says of the local clock (adjtimex(2) with no change: any user may ask).
struct KernelClock {
    bool synchronised = false;
    nanoseconds max_error{0};
    std::string failure; ///< adjtimex itself failed
};

KernelClock read_kernel_clock() {
    timex state{}; // modes = 0: read only
    const int clock_state = ::adjtimex(&state);
    if (clock_state < 0) {
        const int error = errno;
        return {false, 0ns,
                "adjtimex: " + describe_errno(error) +
                    (error == EPERM ? " (a seccomp filter such as systemd's ProtectClock=yes "
                                      "denies it; set unsynchronised = \"ignore\" there)"
                                    : "")};
    }
    // TIME_ERROR and STA_UNSYNC say the same: nobody (chronyd, ntpd, timesyncd) disciplines
    // the clock, or the one who did has stopped.
    const bool synchronised = clock_state != TIME_ERROR && (state.status & STA_UNSYNC) == 0;
    return {synchronised, std::chrono::microseconds{state.maxerror}, {}};
}

/// A reply and what it measured.
struct Exchange {
    vitals::ntp::Reply reply;
    vitals::ntp::Measurement measured;
};

/// A run that cannot measure the offset; its text follows "SERVER: ".
struct Failure {
    std::string reason;
};

class NtpCheck {
public:
    explicit NtpCheck(const vitals::Params &params)
        : port_(params.integer("port")), warning_stratum_(stratum_limit(params, "warning_stratum")),
          error_stratum_(stratum_limit(params, "error_stratum")),
          unsynchronised_(unsynchronised_status(params)) {
        if (params.has("server")) {
            server_ = params.string("server");
            if (server_.empty()) params.reject("server", "must not be empty");
        }
        if (port_ < 1 || port_ > 65535)
            params.reject("port", "must be from 1 to 65535, got " + std::to_string(port_));
        constexpr std::string_view always = "every run would be off by more";
        warning_offset_ = *time_limit(params, "warning_offset", always);
        error_offset_ = *time_limit(params, "error_offset", always);
        require_not_above(params, "warning_offset", warning_offset_, "error_offset", error_offset_,
                          format_duration);
        require_not_above(params, "warning_stratum", warning_stratum_, "error_stratum",
                          error_stratum_, [](std::int64_t s) { return std::to_string(s); });
        if (server_.empty() && !unsynchronised_)
            params.reject(nullptr, "nothing to check: set server, or unsynchronised to error or "
                                   "warning");
        target_ = server_.empty() ? "" : endpoint_text(server_, port_);
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) return;
        Status status = Status::ok;
        std::vector<std::string> parts;
        const auto judge = [&](Status level, std::string text) {
            status = std::max(status, level);
            parts.push_back(std::move(text));
        };

        if (!server_.empty()) {
            try {
                const Exchange exchange = query(*deadline);
                judge_server(run, exchange, judge);
            } catch (const Failure &failure) {
                judge(Status::error, target_ + ": " + failure.reason);
            }
        }
        // With unsynchronised = "ignore" the kernel is not asked at all: under systemd's
        // ProtectClock=yes or SystemCallFilter=~@privileged (the packaged unit has both)
        // adjtimex is denied even to read (systemd/systemd#26413).
        if (unsynchronised_) judge_local_clock(run, *unsynchronised_, judge);
        run.result(status, join(parts, "; "));
    }

private:
    template <typename Judge>
    static void judge_local_clock(vitals::Run &run, Status if_unsynchronised, Judge &judge) {
        const KernelClock local = read_kernel_clock();
        if (!local.failure.empty()) {
            judge(Status::error, "cannot read the local clock's state: " + local.failure);
            return;
        }
        run.metric("synchronised", local.synchronised ? 1 : 0);
        run.metric("max_error", to_seconds(local.max_error), "seconds");
        if (local.synchronised)
            judge(Status::ok, "local clock synchronised (maximum error " +
                                  format_duration(local.max_error) + ")");
        else
            judge(if_unsynchronised, "local clock not synchronised (adjtimex: TIME_ERROR)");
    }

    template <typename Judge>
    void judge_server(vitals::Run &run, const Exchange &exchange, Judge &judge) const {
        const nanoseconds offset = exchange.measured.offset;
        const nanoseconds distance = offset < 0ns ? -offset : offset;
        run.metric("offset", to_seconds(offset), "seconds");
        run.metric("delay", to_seconds(exchange.measured.delay), "seconds");
        run.metric("stratum", exchange.reply.stratum);
        std::string text = target_ + ": offset " + signed_duration(offset) + ", delay " +
                           format_duration(exchange.measured.delay) + ", stratum " +
                           std::to_string(exchange.reply.stratum);
        Status level = Status::ok;
        if (distance > error_offset_) {
            level = Status::error;
            text += ", more than " + format_duration(error_offset_) + " off";
        } else if (distance > warning_offset_) {
            level = Status::warning;
            text += ", more than " + format_duration(warning_offset_) + " off";
        }
        const std::int64_t stratum = exchange.reply.stratum;
        if (error_stratum_ && stratum > *error_stratum_) {
            level = Status::error;
            text += ", stratum above " + std::to_string(*error_stratum_);
        } else if (warning_stratum_ && stratum > *warning_stratum_) {
            level = std::max(level, Status::warning);
            text += ", stratum above " + std::to_string(*warning_stratum_);
        }
        judge(level, text);
    }

    /// One SNTP exchange with the server by the deadline, asking again every resend_after.
    Exchange query(Clock::time_point deadline) const {
        const auto start = Clock::now();
        const UniqueFd socket = connected_socket(deadline);
        int requests = 0;
        while (Clock::now() < deadline) {
            const vitals::ntp::Timestamp nonce = random_nonce();
            const auto packet = vitals::ntp::request(nonce);
            const auto sent = std::chrono::system_clock::now();
            if (::send(socket.get(), packet.data(), packet.size(), 0) < 0)
                throw Failure{"send: " + describe_network_errno(errno)};
            ++requests;
            const auto give_up = std::min(deadline, Clock::now() + resend_after);
            if (auto exchange = await_reply(socket, nonce, sent, give_up)) return *exchange;
        }
        throw Failure{"no answer within " + format_duration(Clock::now() - start) + " (" +
                      std::to_string(requests) + (requests == 1 ? " request)" : " requests)")};
    }

    /// The reply to the request with `nonce`, or nothing by `give_up`. Replies to earlier
    /// requests (late ones) are skipped.
    static std::optional<Exchange> await_reply(const UniqueFd &socket, vitals::ntp::Timestamp nonce,
                                               std::chrono::system_clock::time_point sent,
                                               Clock::time_point give_up) {
        for (;;) {
            const int waited = wait_for(socket.get(), POLLIN, give_up);
            if (waited == ETIMEDOUT) return std::nullopt;
            if (waited != 0) throw Failure{"poll: " + describe_errno(waited)};
            std::array<std::uint8_t, 512> buffer{};
            const ssize_t got = ::recv(socket.get(), buffer.data(), buffer.size(), 0);
            const auto arrived = std::chrono::system_clock::now();
            if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            if (got < 0) throw Failure{describe_network_errno(errno)};
            const auto decoded = vitals::ntp::decode_reply(
                std::span{buffer.data(), static_cast<std::size_t>(got)}, nonce);
            if (decoded.reply)
                return Exchange{*decoded.reply,
                                vitals::ntp::measure(*decoded.reply, sent, arrived)};
            if (decoded.refusal.ours) throw Failure{decoded.refusal.reason};
        }
    }

    /// A datagram socket connected to the server, so that an ICMP "port unreachable" comes
    /// back as ECONNREFUSED and a datagram from anyone else never reaches the check.
    UniqueFd connected_socket(Clock::time_point deadline) const {
        addrinfo hints{};
        hints.ai_flags = AI_NUMERICSERV;
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_DGRAM;
        addrinfo *list = nullptr;
        const int rc = ::getaddrinfo(server_.c_str(), std::to_string(port_).c_str(), &hints, &list);
        const AddrinfoList addresses{rc == 0 ? list : nullptr};
        if (rc != 0)
            throw Failure{
                "cannot resolve " + server_ + ": " +
                (rc == EAI_SYSTEM ? describe_errno(errno) : after_colon(::gai_strerror(rc)))};
        if (Clock::now() >= deadline) throw Failure{"no time left after resolving"};
        // The first address: an NTP check measures one server, not whichever answers.
        UniqueFd socket = open_socket(*addresses);
        if (!socket.valid()) throw Failure{"socket: " + describe_errno(errno)};
        if (::connect(socket.get(), addresses->ai_addr, addresses->ai_addrlen) != 0)
            throw Failure{"connect: " + describe_errno(errno)};
        return socket;
    }

    static std::string describe_network_errno(int error) {
        if (error == ECONNREFUSED) return "connection refused (no NTP server on that port)";
        return describe_errno(error);
    }

    static vitals::ntp::Timestamp random_nonce() {
        vitals::ntp::Timestamp nonce = 0;
        while (nonce == 0) // zero is "no timestamp" to a server
            if (::getrandom(&nonce, sizeof nonce, 0) != sizeof nonce)
                throw Failure{"getrandom: " + describe_errno(errno)};
        return nonce;
    }

    std::string server_;
    std::int64_t port_;
    nanoseconds warning_offset_{};
    nanoseconds error_offset_{};
    std::optional<std::int64_t> warning_stratum_;
    std::optional<std::int64_t> error_stratum_;
    std::optional<Status> unsynchronised_;
    std::string target_; ///< "server:port", as messages name it
};

} // namespace

VITALS_CPP_PLUGIN(NtpCheck, "ntp", "0.1.0",
                  "The clock's offset from an NTP server, its stratum, and whether the local "
                  "clock is synchronised",
                  ntp_params)
