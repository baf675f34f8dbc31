// Vitals "ping" checker: ICMP echo to a host, IPv4 or IPv6: packet loss and round-trip time
// against thresholds. SPDX-License-Identifier: MIT
#include "icmp_socket.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <netdb.h>
#include <poll.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace vitals::plugins;
using namespace vitals::ping;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;
using vitals::Status;

constexpr const char *families[] = {"any", "ipv4", "ipv6", nullptr};

// key, type, required, default, description, secret (and, declared by name, limits)
constexpr vitals_param_spec ping_params[] = {
    {"host", VITALS_PARAM_STRING, 1, nullptr, "Host name or numeric IPv4/IPv6 address to ping", 0},
    {.key = "family",
     .type = VITALS_PARAM_STRING,
     .default_value = "any",
     .description = "Address family of a host name: any (the resolver's first address), ipv4 or "
                    "ipv6",
     .choices = families},
    {.key = "count",
     .type = VITALS_PARAM_INT,
     .default_value = "3",
     .description = "Echo requests per run",
     .min = 1,
     .max = 100,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {.key = "interval",
     .type = VITALS_PARAM_DURATION,
     .default_value = "200ms",
     .description = "Time between echo requests",
     .min = 0.01,
     .max = 10,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {.key = "reply_timeout",
     .type = VITALS_PARAM_DURATION,
     .default_value = "1s",
     .description = "How long after the last request to wait for replies still out",
     .min = 0.01,
     .max = 60,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {"warning_loss", VITALS_PARAM_FLOAT, 0, "20",
     "Warn when more than this percentage of requests gets no reply", 0},
    {"error_loss", VITALS_PARAM_FLOAT, 0, "60",
     "Fail when more than this percentage of requests gets no reply", 0},
    {"warning_rtt", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when the average round trip is longer than this", 0},
    {"error_rtt", VITALS_PARAM_DURATION, 0, nullptr,
     "Fail when the average round trip is longer than this", 0},
    {}, // the NULL key that ends the table
};

/// A duration parameter that must lie within [low, high].
int address_family(const vitals::Params &params) {
    const std::string family = params.string("family");
    if (family == "any") return AF_UNSPEC;
    if (family == "ipv4") return AF_INET;
    if (family == "ipv6") return AF_INET6;
    // The host refuses anything else (the table's choices); this is for a table edited alone.
    params.reject("family", "must be any, ipv4 or ipv6, got \"" + family + "\"");
}

/// The address to ping, as getaddrinfo gives it first.
struct Target {
    sockaddr_storage address{};
    socklen_t length = 0;
    int family = AF_UNSPEC;
    std::string text; ///< the numeric address
};

/// A run that cannot ping at all; its text follows "HOST: ".
struct Failure {
    std::string reason;
};

/// What one run of echoes gave.
struct Echoes {
    int sent = 0;
    int received = 0;
    std::vector<nanoseconds> round_trips;
    std::string send_error; ///< the last failed send, if any
    bool cut_short = false; ///< the check's deadline came before every request was sent
};

class PingCheck {
public:
    explicit PingCheck(const vitals::Params &params)
        : host_(params.string("host")), family_(address_family(params)),
          count_(params.integer("count")), interval_(params.duration("interval")),
          reply_timeout_(params.duration("reply_timeout")),
          warning_loss_(percentage(params, "warning_loss")),
          error_loss_(percentage(params, "error_loss")) {
        if (host_.empty()) params.reject("host", "must not be empty");
        require_not_above(params, "warning_loss", warning_loss_, "error_loss", error_loss_,
                          [](double percent) { return fixed(percent, 1) + "%"; });
        constexpr std::string_view always = "every reply would be too slow";
        warning_rtt_ = time_limit(params, "warning_rtt", always);
        error_rtt_ = time_limit(params, "error_rtt", always);
        require_not_above(params, "warning_rtt", warning_rtt_, "error_rtt", error_rtt_,
                          format_duration);
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) return;
        try {
            const Target target = resolve();
            std::string failure;
            const auto socket = IcmpSocket::open(target.family, failure);
            if (!socket) throw Failure{failure};
            run.log(VITALS_LOG_DEBUG, std::string{"pinging "} + target.text + " through a " +
                                          (socket->kind() == SocketKind::datagram
                                               ? "datagram (unprivileged) ICMP socket"
                                               : "raw ICMP socket"));
            report(run, target, ping(*socket, target, *deadline));
        } catch (const Failure &failure) {
            run.error(host_ + ": " + failure.reason);
        }
    }

private:
    Target resolve() const {
        addrinfo hints{};
        hints.ai_family = family_;
        hints.ai_socktype = SOCK_DGRAM; // one entry per address, not one per socket type
        addrinfo *list = nullptr;
        const int rc = ::getaddrinfo(host_.c_str(), nullptr, &hints, &list);
        const AddrinfoList addresses{rc == 0 ? list : nullptr};
        if (rc != 0)
            throw Failure{"cannot resolve: " + (rc == EAI_SYSTEM
                                                    ? describe_errno(errno)
                                                    : after_colon(::gai_strerror(rc)))};
        Target target;
        std::memcpy(&target.address, addresses->ai_addr, addresses->ai_addrlen);
        target.length = addresses->ai_addrlen;
        target.family = addresses->ai_family;
        char text[NI_MAXHOST] = {};
        if (::getnameinfo(addresses->ai_addr, addresses->ai_addrlen, text, sizeof text, nullptr, 0,
                          NI_NUMERICHOST) == 0)
            target.text = text;
        return target;
    }

    /// Sends count_ requests interval_ apart and collects replies until every one is in,
    /// reply_timeout_ after the last request, or the deadline.
    Echoes ping(const IcmpSocket &socket, const Target &target, Clock::time_point deadline) const {
        Nonce nonce{};
        if (::getrandom(nonce.data(), nonce.size(), 0) != static_cast<ssize_t>(nonce.size()))
            throw Failure{"getrandom: " + describe_errno(errno)};
        Echoes echoes;
        std::vector<std::optional<Clock::time_point>> sent_at(static_cast<std::size_t>(count_));
        auto next_send = Clock::now();
        auto stop_waiting = deadline;
        for (;;) {
            auto now = Clock::now();
            if (echoes.sent < count_ && now >= next_send) {
                const auto sequence = static_cast<std::uint16_t>(echoes.sent);
                const int error = socket.send_echo(target.address, target.length, sequence, nonce);
                if (error == 0)
                    sent_at[sequence] = now;
                else
                    echoes.send_error = describe_errno(error);
                ++echoes.sent;
                next_send = now + interval_;
                if (echoes.sent == count_) stop_waiting = std::min(deadline, now + reply_timeout_);
            }
            if (echoes.received == count_) break;
            now = Clock::now();
            if (now >= deadline) {
                echoes.cut_short = echoes.sent < count_;
                break;
            }
            if (echoes.sent == count_ && now >= stop_waiting) break;
            const auto wake = std::min(echoes.sent < count_ ? next_send : stop_waiting, deadline);
            const int waited = wait_for(socket.fd(), POLLIN, wake);
            if (waited == ETIMEDOUT) continue;
            if (waited != 0) throw Failure{"poll: " + describe_errno(waited)};
            collect(socket, nonce, sent_at, echoes);
        }
        return echoes;
    }

    /// Reads every datagram waiting on the socket, counting our replies once each.
    static void collect(const IcmpSocket &socket, const Nonce &nonce,
                        std::vector<std::optional<Clock::time_point>> &sent_at, Echoes &echoes) {
        for (;;) {
            const Received got = socket.receive(nonce);
            const auto arrived = Clock::now();
            if (got.what == Received::What::nothing) return;
            if (got.what == Received::What::failed)
                throw Failure{"receive: " + describe_errno(got.error)};
            if (got.what != Received::What::reply || got.sequence >= sent_at.size()) continue;
            auto &sent = sent_at[got.sequence];
            if (!sent) continue; // a duplicate, or a reply to a request never sent
            echoes.round_trips.push_back(arrived - *sent);
            sent.reset();
            ++echoes.received;
        }
    }

    void report(vitals::Run &run, const Target &target, const Echoes &echoes) const {
        const std::string who = host_ == target.text ? host_ : host_ + " (" + target.text + ")";
        const double loss = 100.0 * (echoes.sent - echoes.received) / echoes.sent;
        run.metric("loss", loss, "percent");
        run.metric("sent", echoes.sent, "count");
        run.metric("received", echoes.received, "count");
        std::string message = who + ": " + std::to_string(echoes.received) + " of " +
                              std::to_string(echoes.sent) + " echo replies, " + fixed(loss, 0) +
                              "% loss";
        Status status = Status::ok;
        std::optional<nanoseconds> average;
        if (!echoes.round_trips.empty()) {
            nanoseconds total{0};
            for (const nanoseconds rtt : echoes.round_trips)
                total += rtt;
            average = total / static_cast<long>(echoes.round_trips.size());
            const auto [fastest, slowest] =
                std::minmax_element(echoes.round_trips.begin(), echoes.round_trips.end());
            run.metric("rtt_average", to_seconds(*average), "seconds");
            run.metric("rtt_min", to_seconds(*fastest), "seconds");
            run.metric("rtt_max", to_seconds(*slowest), "seconds");
            message += ", round trip min/avg/max " + format_duration(*fastest) + "/" +
                       format_duration(*average) + "/" + format_duration(*slowest);
        }
        const auto judge = [&](Status level, const std::string &reason) {
            status = std::max(status, level);
            message += ", " + reason;
        };
        if (loss > error_loss_)
            judge(Status::error, "more than " + fixed(error_loss_, 0) + "% lost");
        else if (loss > warning_loss_)
            judge(Status::warning, "more than " + fixed(warning_loss_, 0) + "% lost");
        if (average && error_rtt_ && *average > *error_rtt_)
            judge(Status::error, "round trip above " + format_duration(*error_rtt_));
        else if (average && warning_rtt_ && *average > *warning_rtt_)
            judge(Status::warning, "round trip above " + format_duration(*warning_rtt_));
        if (!echoes.send_error.empty()) judge(Status::ok, "send: " + echoes.send_error);
        if (echoes.cut_short)
            judge(Status::error, "only " + std::to_string(echoes.sent) + " of " +
                                     std::to_string(count_) +
                                     " requests sent within the check's timeout");
        run.result(status, message);
    }

    std::string host_;
    int family_;
    std::int64_t count_;
    nanoseconds interval_;
    nanoseconds reply_timeout_;
    double warning_loss_;
    double error_loss_;
    std::optional<nanoseconds> warning_rtt_;
    std::optional<nanoseconds> error_rtt_;
};

} // namespace

VITALS_CPP_PLUGIN(PingCheck, "ping", "0.1.0",
                  "ICMP echo to a host, IPv4 or IPv6: packet loss and round-trip time", ping_params)
