// Vitals "amqp" checker: log in to an AMQP 0-9-1 broker (RabbitMQ), open a channel, and
// optionally watch a queue's depth. SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::nanoseconds;
using namespace std::chrono_literals;

// key, type, required, default, description, secret
constexpr vitals_param_spec amqp_params[] = {
    {"host", VITALS_PARAM_STRING, 0, "127.0.0.1", "Broker host name or address", 0},
    {"port", VITALS_PARAM_INT, 0, "5672", "Broker AMQP port (1-65535)", 0},
    {"vhost", VITALS_PARAM_STRING, 0, "/", "Virtual host to open", 0},
    {"user", VITALS_PARAM_STRING, 0, "guest", "User to log in as (SASL PLAIN)", 0},
    {"password", VITALS_PARAM_STRING, 0, "guest", "That user's password", 1},
    {"queue", VITALS_PARAM_STRING, 0, nullptr,
     "Queue to inspect with a passive declare: it must exist; reports depth and consumers", 0},
    {"warning_depth", VITALS_PARAM_INT, 0, nullptr,
     "Warn when the queue holds at least this many ready messages (needs queue)", 0},
    {"error_depth", VITALS_PARAM_INT, 0, nullptr,
     "Fail when the queue holds at least this many ready messages (needs queue)", 0},
    {"min_consumers", VITALS_PARAM_INT, 0, nullptr,
     "Fail when the queue has fewer consumers than this (needs queue)", 0},
    {"warning", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when connecting, logging in and opening the channel take longer than this", 0},
    {}, // the NULL key that ends the table
};

constexpr amqp_channel_t channel = 1;

// ---------------------------------------------------------------- text

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

double seconds(nanoseconds duration) {
    return std::chrono::duration<double>(duration).count();
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

/// Removes every occurrence of the password from text that came from the broker.
std::string scrub(std::string text, const std::string &password) {
    if (password.empty()) return text;
    for (auto at = text.find(password); at != std::string::npos; at = text.find(password, at + 3))
        text.replace(at, password.size(), "***");
    return text;
}

std::string plural(std::uint64_t count, const char *one, const char *many) {
    return std::to_string(count) + " " + (count == 1 ? one : many);
}

// ---------------------------------------------------------------- sockets and handles

/// Owns a socket descriptor until it is released to rabbitmq-c.
class Descriptor {
public:
    explicit Descriptor(int fd) noexcept : fd_(fd) {}
    Descriptor(const Descriptor &) = delete;
    Descriptor &operator=(const Descriptor &) = delete;
    ~Descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }

    bool valid() const noexcept { return fd_ >= 0; }
    int fd() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

private:
    int fd_;
};

struct AddrinfoDeleter {
    void operator()(addrinfo *list) const noexcept { ::freeaddrinfo(list); }
};
using AddrinfoList = std::unique_ptr<addrinfo, AddrinfoDeleter>;

struct ConnectionDeleter {
    // Also frees the socket and closes its descriptor.
    void operator()(amqp_connection_state_t_ *state) const noexcept {
        amqp_destroy_connection(state);
    }
};
using Connection = std::unique_ptr<amqp_connection_state_t_, ConnectionDeleter>;

/// What is left before the deadline as a timeval, at least a millisecond: rabbitmq-c reads a
/// null timeval as "no timeout", and a zero one fails at once without saying "timeout".
timeval timeval_until(Clock::time_point deadline) {
    const auto left = std::max<nanoseconds>(deadline - Clock::now(), 1ms);
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
    return timeval{.tv_sec = static_cast<time_t>(micros / 1'000'000),
                   .tv_usec = static_cast<suseconds_t>(micros % 1'000'000)};
}

/// The deadline this run works to: a little before the host's own, so that our specific
/// "timed out after ..." is recorded rather than discarded as a late result.
std::optional<Clock::time_point> work_deadline(nanoseconds time_left) {
    if (time_left <= 0ns) return std::nullopt;
    const nanoseconds margin = std::min<nanoseconds>(time_left / 10, 100ms);
    return Clock::now() + (time_left - margin);
}

/// How one step went: empty when it worked, else why not (already scrubbed).
using Failure = std::optional<std::string>;

// ---------------------------------------------------------------- the check

class AmqpCheck {
public:
    explicit AmqpCheck(const vitals::Params &params)
        : host_(params.string("host")), port_(params.integer("port")),
          vhost_(params.string("vhost")), user_(params.string("user")),
          password_(params.string("password")) {
        if (host_.empty()) params.reject("host", "must not be empty");
        if (port_ < 1 || port_ > 65535)
            params.reject("port", "must be from 1 to 65535, got " + std::to_string(port_));
        if (vhost_.empty())
            params.reject("vhost", "must not be empty (the default vhost is \"/\")");
        if (user_.empty()) params.reject("user", "must not be empty");
        if (params.has("queue")) {
            queue_ = params.string("queue");
            if (queue_->empty()) params.reject("queue", "must not be empty");
        }
        warning_depth_ = queue_threshold(params, "warning_depth");
        error_depth_ = queue_threshold(params, "error_depth");
        min_consumers_ = queue_threshold(params, "min_consumers");
        if (warning_depth_ && error_depth_ && *warning_depth_ > *error_depth_)
            params.reject("warning_depth", "must not be above error_depth (" +
                                               std::to_string(*warning_depth_) + " > " +
                                               std::to_string(*error_depth_) + ")");
        if (params.has("warning")) warning_ = params.duration("warning");
        if (warning_ && *warning_ <= 0ns)
            params.reject("warning", "must be longer than zero: every run would warn");
        // IPv6 literals take brackets so that the port stays readable: "[::1]:5672".
        const bool ipv6_literal = host_.find(':') != std::string::npos;
        target_ = (ipv6_literal ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_);
        where_ = target_ + " vhost " + vhost_;
    }

    void run(vitals::Run &run) const {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) {
            run.error("no time left to connect to " + target_);
            return;
        }
        const auto start = Clock::now();
        const Connection connection{amqp_new_connection()};
        amqp_socket_t *socket = connection ? amqp_tcp_socket_new(connection.get()) : nullptr;
        if (!socket) {
            run.error("cannot connect to " + target_ + ": out of memory");
            return;
        }
        if (const Failure failure = open_socket(socket, start, *deadline)) {
            run.error("cannot connect to " + target_ + ": " + *failure);
            return;
        }
        amqp_connection_state_t state = connection.get();
        if (const Failure failure = log_in(state, start, *deadline)) {
            run.error(where_ + ": login as " + user_ + " failed: " + *failure);
            return;
        }
        set_rpc_timeout(state, *deadline);
        amqp_channel_open(state, channel);
        if (const Failure failure = answer(state, amqp_get_rpc_reply(state), start)) {
            run.error(where_ + ": cannot open a channel: " + *failure);
            return;
        }
        const nanoseconds connect_time = Clock::now() - start;
        run.metric("connect_time", seconds(connect_time), "seconds");

        std::string queue_text;
        vitals::Status status = vitals::Status::ok;
        if (queue_) {
            set_rpc_timeout(state, *deadline);
            const amqp_queue_declare_ok_t *declared =
                amqp_queue_declare(state, channel, amqp_cstring_bytes(queue_->c_str()),
                                   /*passive=*/1, /*durable=*/0, /*exclusive=*/0,
                                   /*auto_delete=*/0, amqp_empty_table);
            if (const Failure failure = answer(state, amqp_get_rpc_reply(state), start)) {
                run.error(where_ + ": queue " + *queue_ + ": " + *failure);
                // The broker closes the channel over a missing queue: only the connection is left.
                close(state, *deadline, /*channel_open=*/false);
                return;
            }
            status = inspect_queue(run, *declared, queue_text);
        }

        std::string message =
            where_ + ": logged in as " + user_ + " in " + format_duration(connect_time);
        if (!queue_text.empty()) message += "; " + queue_text;
        if (status == vitals::Status::ok && warning_ && connect_time > *warning_) {
            status = vitals::Status::warning;
            message += "; slower than " + format_duration(*warning_);
        }
        run.result(status, message);
        close(state, *deadline, /*channel_open=*/true);
    }

private:
    static std::optional<std::int64_t> queue_threshold(const vitals::Params &params,
                                                       const char *key) {
        if (!params.has(key)) return std::nullopt;
        const std::int64_t value = params.integer(key);
        if (!params.has("queue")) params.reject(key, "needs queue: it applies to one queue");
        if (value < 1) params.reject(key, "must be at least 1, got " + std::to_string(value));
        return value;
    }

    static void set_rpc_timeout(amqp_connection_state_t state, Clock::time_point deadline) {
        const timeval timeout = timeval_until(deadline);
        amqp_set_rpc_timeout(state, &timeout);
    }

    static std::string timed_out(Clock::time_point start) {
        return "timed out after " + format_duration(Clock::now() - start);
    }

    /// A rabbitmq-c status code (negative) for a message.
    static std::string describe_status(int status, Clock::time_point start) {
        if (status == AMQP_STATUS_TIMEOUT) return timed_out(start);
        return after_colon(amqp_error_string2(status));
    }

    /// TCP connect bounded by the deadline, done here rather than by amqp_socket_open_noblock:
    /// that one reports a refused or reset connection only as "a socket error occurred".
    /// The connected socket stays non-blocking, as rabbitmq-c's own would be, so that its
    /// handshake and RPC timeouts can work; rabbitmq-c owns and closes it from then on.
    Failure open_socket(amqp_socket_t *socket, Clock::time_point start,
                        Clock::time_point deadline) const {
        addrinfo hints{};
        hints.ai_flags = AI_NUMERICSERV;
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo *list = nullptr;
        // getaddrinfo takes no deadline; the resolver's own timeouts (resolv.conf) bound it.
        const int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &list);
        const AddrinfoList addresses{rc == 0 ? list : nullptr};
        if (rc == EAI_SYSTEM) return describe_errno(errno);
        if (rc != 0) return after_colon(::gai_strerror(rc));
        std::string failures;
        for (const addrinfo *address = addresses.get(); address; address = address->ai_next) {
            const auto now = Clock::now();
            if (now >= deadline) {
                failures += (failures.empty() ? "" : "; ") + timed_out(start);
                break;
            }
            // Each address not yet tried gets an even share of the time left, so that one
            // that drops packets cannot use up the time of those after it.
            long remaining = 0;
            for (const addrinfo *next = address; next; next = next->ai_next)
                ++remaining;
            std::string failure;
            const int fd = connect_to(*address, now + (deadline - now) / remaining, failure);
            if (fd >= 0) {
                amqp_tcp_socket_set_sockfd(socket, fd);
                return std::nullopt;
            }
            failures += (failures.empty() ? "" : "; ") +
                        (failure == "timeout" ? timed_out(start) : failure);
        }
        return failures;
    }

    /// One non-blocking connect: the connected descriptor, or -1 with `failure` set
    /// ("timeout" when the deadline passed).
    static int connect_to(const addrinfo &address, Clock::time_point deadline,
                          std::string &failure) {
        Descriptor socket{::socket(address.ai_family,
                                   address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                                   address.ai_protocol)};
        if (!socket.valid()) {
            failure = "socket: " + describe_errno(errno);
            return -1;
        }
        const int one = 1;
        ::setsockopt(socket.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(socket.fd(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        int error = 0;
        if (::connect(socket.fd(), address.ai_addr, address.ai_addrlen) != 0)
            error = (errno == EINPROGRESS || errno == EINTR)
                        ? wait_for_connect(socket.fd(), deadline)
                        : errno;
        if (error == ETIMEDOUT) {
            failure = "timeout";
            return -1;
        }
        if (error != 0) {
            failure = describe_errno(error);
            return -1;
        }
        return socket.release();
    }

    /// Waits for a non-blocking connect() to finish: 0 once connected, else an errno value
    /// (ETIMEDOUT when the deadline passes first).
    static int wait_for_connect(int fd, Clock::time_point deadline) {
        for (;;) {
            const nanoseconds left = deadline - Clock::now();
            if (left <= 0ns) return ETIMEDOUT;
            pollfd waiting{.fd = fd, .events = POLLOUT, .revents = 0};
            const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
            const int ready =
                ::poll(&waiting, 1, static_cast<int>(std::min<decltype(ms)>(ms, INT_MAX)));
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) return errno;
            if (ready == 0) continue; // the deadline test above decides, not poll's rounding
            int error = 0;
            socklen_t length = sizeof error;
            if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
            return error;
        }
    }

    /// Protocol handshake and SASL PLAIN login, both bounded by the deadline.
    Failure log_in(amqp_connection_state_t state, Clock::time_point start,
                   Clock::time_point deadline) const {
        const timeval timeout = timeval_until(deadline);
        amqp_set_handshake_timeout(state, &timeout);
        amqp_set_rpc_timeout(state, &timeout);
        // Names the connection in the broker's management UI and logs.
        amqp_table_entry_t name{};
        name.key = amqp_cstring_bytes("connection_name");
        name.value.kind = AMQP_FIELD_KIND_UTF8;
        name.value.value.bytes = amqp_cstring_bytes("vitals");
        const amqp_table_t properties{.num_entries = 1, .entries = &name};
        const amqp_rpc_reply_t reply = amqp_login_with_properties(
            state, vhost_.c_str(), /*channel_max=*/0, AMQP_DEFAULT_FRAME_SIZE, /*heartbeat=*/0,
            &properties, AMQP_SASL_METHOD_PLAIN, user_.c_str(), password_.c_str());
        return answer(state, reply, start);
    }

    /// Empty for a normal reply; otherwise why not, after acknowledging a close from the
    /// broker as the protocol asks (channel.close-ok / connection.close-ok).
    Failure answer(amqp_connection_state_t state, const amqp_rpc_reply_t &reply,
                   Clock::time_point start) const {
        switch (reply.reply_type) {
        case AMQP_RESPONSE_NORMAL:
            return std::nullopt;
        case AMQP_RESPONSE_NONE:
            return std::string{"no reply from the broker"};
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            if (reply.library_error == AMQP_STATUS_CONNECTION_CLOSED ||
                reply.library_error == AMQP_STATUS_SOCKET_CLOSED)
                return std::string{"the broker closed the connection"};
            return describe_status(reply.library_error, start);
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            break;
        }
        if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            const auto *closed = static_cast<const amqp_connection_close_t *>(reply.reply.decoded);
            amqp_connection_close_ok_t ok{};
            amqp_send_method(state, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
            return server_text(closed->reply_code, closed->reply_text);
        }
        if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            const auto *closed = static_cast<const amqp_channel_close_t *>(reply.reply.decoded);
            amqp_channel_close_ok_t ok{};
            amqp_send_method(state, channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
            return server_text(closed->reply_code, closed->reply_text);
        }
        return std::string{"unexpected "} + amqp_method_name(reply.reply.id) + " from the broker";
    }

    /// "NOT_FOUND - no queue 'jobs' in vhost '/'" as the broker wrote it, or the bare code.
    std::string server_text(std::uint16_t code, amqp_bytes_t text) const {
        if (text.len == 0) return "broker reply code " + std::to_string(code);
        return scrub({static_cast<const char *>(text.bytes), text.len}, password_);
    }

    /// Depth and consumer metrics and their status; `text` says what was found.
    vitals::Status inspect_queue(vitals::Run &run, const amqp_queue_declare_ok_t &declared,
                                 std::string &text) const {
        const std::uint64_t depth = declared.message_count;
        const std::uint64_t consumers = declared.consumer_count;
        run.metric("queue_depth", static_cast<double>(depth), "count");
        run.metric("consumers", static_cast<double>(consumers), "count");
        text = "queue " + *queue_ + " holds " + plural(depth, "message", "messages") + ", " +
               plural(consumers, "consumer", "consumers");
        vitals::Status status = vitals::Status::ok;
        const auto at_least = [&](const std::optional<std::int64_t> &threshold) {
            return threshold && depth >= static_cast<std::uint64_t>(*threshold);
        };
        if (at_least(error_depth_)) {
            status = vitals::Status::error;
            text += " (error at " + std::to_string(*error_depth_) + ")";
        } else if (at_least(warning_depth_)) {
            status = vitals::Status::warning;
            text += " (warning at " + std::to_string(*warning_depth_) + ")";
        }
        if (min_consumers_ && consumers < static_cast<std::uint64_t>(*min_consumers_)) {
            status = vitals::Status::error;
            text += ", fewer than " + std::to_string(*min_consumers_) + " required";
        }
        return status;
    }

    /// Closes channel and connection politely when time is left, so that the broker does not
    /// log every check as a client that vanished; amqp_destroy_connection closes the socket
    /// either way.
    static void close(amqp_connection_state_t state, Clock::time_point deadline,
                      bool channel_open) {
        if (channel_open && Clock::now() < deadline) {
            set_rpc_timeout(state, deadline);
            amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS);
        }
        if (Clock::now() >= deadline) return;
        set_rpc_timeout(state, deadline);
        amqp_connection_close(state, AMQP_REPLY_SUCCESS);
    }

    std::string host_;
    std::int64_t port_;
    std::string vhost_;
    std::string user_;
    std::string password_;
    std::optional<std::string> queue_;
    std::optional<std::int64_t> warning_depth_;
    std::optional<std::int64_t> error_depth_;
    std::optional<std::int64_t> min_consumers_;
    std::optional<nanoseconds> warning_;
    std::string target_; // "host:port"
    std::string where_;  // "host:port vhost /", as messages after the login name it
};

} // namespace

VITALS_CPP_PLUGIN(AmqpCheck, "amqp", "0.1.0",
                  "Whether an AMQP 0-9-1 broker (RabbitMQ) accepts a login and a channel, and "
                  "how deep a queue is",
                  amqp_params)
