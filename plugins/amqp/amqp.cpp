// Vitals "amqp" checker: log in to an AMQP 0-9-1 broker (RabbitMQ), open a channel, and
// optionally watch a queue's depth. SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/socket.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace {

using namespace vitals::plugins;
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

std::string plural(std::uint64_t count, const char *one, const char *many) {
    return std::to_string(count) + " " + (count == 1 ? one : many);
}

// ---------------------------------------------------------------- handles

struct ConnectionDeleter {
    // Also frees the socket and closes its descriptor.
    void operator()(amqp_connection_state_t_ *state) const noexcept {
        amqp_destroy_connection(state);
    }
};
using Connection = std::unique_ptr<amqp_connection_state_t_, ConnectionDeleter>;

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
        require_not_above(params, "warning_depth", warning_depth_, "error_depth", error_depth_,
                          [](std::int64_t depth) { return std::to_string(depth); });
        warning_ = time_limit(params, "warning", "every run would warn");
        target_ = endpoint_text(host_, port_);
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
        run.metric("connect_time", to_seconds(connect_time), "seconds");

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
        std::string resolve_error;
        const AddrinfoList addresses = resolve_tcp(host_, port_, resolve_error);
        if (!addresses) return resolve_error;
        std::string failures;
        for (const addrinfo *address = addresses.get(); address; address = address->ai_next) {
            const auto now = Clock::now();
            if (now >= deadline) {
                failures += (failures.empty() ? "" : "; ") + timed_out(start);
                break;
            }
            std::string failure;
            const int fd = connect_to(*address, attempt_deadline(*address, now, deadline), failure);
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
        // Qualified: the member open_socket() above would hide it.
        UniqueFd socket = vitals::plugins::open_socket(address);
        if (!socket.valid()) {
            failure = "socket: " + describe_errno(errno);
            return -1;
        }
        const int one = 1;
        ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        ::setsockopt(socket.get(), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        const int error = connect_by(socket.get(), address, deadline);
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
        return mask_secret({static_cast<const char *>(text.bytes), text.len}, password_);
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
