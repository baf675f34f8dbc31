// Vitals "tcp" checker: is a TCP port open, and how fast. SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
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

/// Fixed-point text. Unlike iostreams or printf, to_chars ignores the process locale, which
/// the agent does not control for its plugins.
std::string fixed(double value, int decimals) {
    std::array<char, 64> buffer{};
    const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                            std::chars_format::fixed, decimals);
    if (error != std::errc{}) return "?"; // only for absurdly long durations
    return {buffer.data(), end};
}

/// "0.08 ms", "12.3 ms", "2.50 s": enough digits to compare runs without noise.
std::string format_duration(nanoseconds duration) {
    const double ms = std::chrono::duration<double, std::milli>(duration).count();
    if (ms < 1) return fixed(ms, 2) + " ms";
    if (ms < 1000) return fixed(ms, 1) + " ms";
    return fixed(ms / 1000, 2) + " s";
}

/// Library error text fitted to follow a colon: "Connection refused" -> "connection refused".
std::string after_colon(std::string text) {
    if (!text.empty())
        text.front() = static_cast<char>(std::tolower(static_cast<unsigned char>(text.front())));
    return text;
}

std::string describe_errno(int error) {
    // Not strerror(): its buffer may be shared with checks running on other threads.
    return after_colon(std::generic_category().message(error));
}

/// Owns a socket descriptor so that every way out of a connect attempt closes it.
class Socket {
public:
    explicit Socket(int fd) noexcept : fd_(fd) {}
    Socket(const Socket &) = delete;
    Socket &operator=(const Socket &) = delete;
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }

    bool valid() const noexcept { return fd_ >= 0; }
    int fd() const noexcept { return fd_; }

private:
    int fd_;
};

struct AddrinfoDeleter {
    void operator()(addrinfo *list) const noexcept { ::freeaddrinfo(list); }
};
using AddrinfoList = std::unique_ptr<addrinfo, AddrinfoDeleter>;

/// Numeric text of one resolved address, for messages.
std::string address_text(const addrinfo &address) {
    std::array<char, NI_MAXHOST> text{};
    if (::getnameinfo(address.ai_addr, address.ai_addrlen, text.data(), text.size(), nullptr, 0,
                      NI_NUMERICHOST) != 0)
        return "?";
    return text.data();
}

/// The poll() timeout for what is left, rounded up so that poll never returns early in a
/// busy loop of zero-millisecond waits.
int poll_timeout_ms(nanoseconds left) {
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<decltype(ms)>(ms, INT_MAX));
}

/// Waits for a non-blocking connect() to finish: 0 once connected, else an errno value
/// (ETIMEDOUT when the deadline passes first).
int wait_for_connect(int fd, Clock::time_point deadline) {
    for (;;) {
        const nanoseconds left = deadline - Clock::now();
        if (left <= 0ns) return ETIMEDOUT;
        pollfd waiting{.fd = fd, .events = POLLOUT, .revents = 0};
        const int ready = ::poll(&waiting, 1, poll_timeout_ms(left));
        if (ready < 0 && errno == EINTR) continue; // a signal says nothing about the peer
        if (ready < 0) return errno;
        if (ready == 0) continue; // the deadline test above decides, not poll's rounding
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
        return error;
    }
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
    // Non-blocking, so that poll() can bound the wait by the run's deadline: a blocking
    // connect() to a host that drops SYNs waits for the kernel's retries, minutes by default.
    const Socket socket{::socket(address.ai_family,
                                 address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                 address.ai_protocol)};
    if (!socket.valid()) return Attempt::failed("socket: " + describe_errno(errno));
    int error = 0;
    if (::connect(socket.fd(), address.ai_addr, address.ai_addrlen) != 0) {
        // EINTR too leaves the connection being established in the background.
        error = (errno == EINPROGRESS || errno == EINTR) ? wait_for_connect(socket.fd(), deadline)
                                                         : errno;
    }
    const nanoseconds elapsed = Clock::now() - start;
    if (error == ETIMEDOUT) return Attempt::failed("timed out after " + format_duration(elapsed));
    if (error != 0) return Attempt::failed(describe_errno(error));
    return Attempt::connected(elapsed);
}

/// The deadline this run works to: a little before the host's own, so that our specific
/// "timed out after ..." is recorded rather than discarded as a late result.
std::optional<Clock::time_point> connect_deadline(nanoseconds time_left) {
    if (time_left <= 0ns) return std::nullopt;
    const nanoseconds margin = std::min<nanoseconds>(time_left / 10, 100ms);
    return Clock::now() + (time_left - margin);
}

std::string join(const std::vector<std::string> &parts, const char *separator) {
    std::string joined;
    for (const auto &part : parts) {
        if (!joined.empty()) joined += separator;
        joined += part;
    }
    return joined;
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
        // IPv6 literals take brackets so that the port stays readable: "[::1]:22".
        const bool ipv6_literal = host_.find(':') != std::string::npos;
        target_ = (ipv6_literal ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
    }

    void run(vitals::Run &run) const {
        const auto deadline = connect_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to connect to " + target_);
            return;
        }
        std::string resolve_error;
        const AddrinfoList addresses = resolve(resolve_error);
        if (!addresses) {
            run.error("cannot resolve " + host_ + ": " + resolve_error);
            return;
        }
        connect_any(run, *addresses, *deadline);
    }

private:
    /// The addresses to try in getaddrinfo's preferred order, or null with the reason set.
    /// getaddrinfo cannot be given a deadline; the resolver's own timeouts (resolv.conf) bound
    /// it, and connect_any() then works with whatever time is left.
    AddrinfoList resolve(std::string &error) const {
        addrinfo hints{};
        hints.ai_flags = AI_NUMERICSERV; // the port is always a number, never /etc/services
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo *list = nullptr;
        const int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &list);
        if (rc == EAI_SYSTEM)
            error = describe_errno(errno);
        else if (rc != 0)
            error = after_colon(::gai_strerror(rc));
        return AddrinfoList{rc == 0 ? list : nullptr};
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
            const Attempt attempt = connect_to(*address, attempt_deadline(*address, now, deadline));
            if (attempt.connect_time) {
                report_connected(run, *attempt.connect_time);
                return;
            }
            failures.push_back(attempt.failure + about(*address));
        }
        run.error("cannot connect to " + target_ + ": " + join(failures, "; "));
    }

    /// Shares the time left evenly among the addresses not yet tried, so that one address
    /// that silently drops packets cannot use up the time of those after it.
    static Clock::time_point attempt_deadline(const addrinfo &address, Clock::time_point now,
                                              Clock::time_point deadline) {
        long remaining = 0;
        for (const addrinfo *next = &address; next; next = next->ai_next)
            ++remaining;
        return now + (deadline - now) / remaining;
    }

    /// " (192.0.2.7)" when host is a name, so that a failure names the address that failed.
    std::string about(const addrinfo &address) const {
        const std::string text = address_text(address);
        return text == host_ ? "" : " (" + text + ")";
    }

    void report_connected(vitals::Run &run, nanoseconds connect_time) const {
        run.metric("connect_time", std::chrono::duration<double>(connect_time).count(), "seconds");
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
