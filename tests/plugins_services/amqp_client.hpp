// A minimal AMQP client for the tests: declare, publish, consume. SPDX-License-Identifier: MIT
#pragma once

#include <amqp.h>
#include <amqp_framing.h>
#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace vitals::test::services {

/// One connection and channel to a local broker as guest/guest, for setting up what the amqp
/// checks then observe. Every failure throws.
class AmqpClient {
public:
    explicit AmqpClient(std::uint16_t port) : state_(amqp_new_connection()) {
        amqp_socket_t *socket = amqp_tcp_socket_new(state_);
        timeval timeout{.tv_sec = 10, .tv_usec = 0};
        if (!socket || amqp_socket_open_noblock(socket, "127.0.0.1", port, &timeout) != 0)
            throw std::runtime_error("test client cannot connect to the broker");
        amqp_set_rpc_timeout(state_, &timeout);
        check(amqp_login(state_, "/", 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN,
                         "guest", "guest"),
              "login");
        amqp_channel_open(state_, channel);
        check(amqp_get_rpc_reply(state_), "channel.open");
    }

    ~AmqpClient() {
        amqp_channel_close(state_, channel, AMQP_REPLY_SUCCESS);
        amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
        amqp_destroy_connection(state_);
    }
    AmqpClient(const AmqpClient &) = delete;
    AmqpClient &operator=(const AmqpClient &) = delete;

    /// Declares a (non-durable) queue; returns the ready messages it holds.
    std::uint32_t declare(const std::string &queue, bool passive = false) {
        const auto *ok = amqp_queue_declare(state_, channel, amqp_cstring_bytes(queue.c_str()),
                                            passive ? 1 : 0, 0, 0, 0, amqp_empty_table);
        check(amqp_get_rpc_reply(state_), "queue.declare " + queue);
        return ok->message_count;
    }

    /// Publishes `count` small messages to `queue` through the default exchange, then waits
    /// (a passive declare on the same channel comes after them) until the queue counts them.
    void publish(const std::string &queue, int count) {
        const std::uint32_t before = declare(queue, true);
        for (int i = 0; i < count; ++i) {
            const std::string body = "message " + std::to_string(i);
            if (amqp_basic_publish(state_, channel, amqp_empty_bytes,
                                   amqp_cstring_bytes(queue.c_str()), 0, 0, nullptr,
                                   amqp_cstring_bytes(body.c_str())) != AMQP_STATUS_OK)
                throw std::runtime_error("basic.publish failed");
        }
        for (int attempt = 0; attempt < 100; ++attempt) {
            if (declare(queue, true) >= before + static_cast<std::uint32_t>(count)) return;
            struct timespec pause {
                0, 20'000'000
            };
            nanosleep(&pause, nullptr);
        }
        throw std::runtime_error("published messages never showed up in " + queue);
    }

    /// Registers a consumer on `queue` that stays until this client goes away.
    void consume(const std::string &queue) {
        amqp_basic_consume(state_, channel, amqp_cstring_bytes(queue.c_str()), amqp_empty_bytes, 0,
                           0, 0, amqp_empty_table);
        check(amqp_get_rpc_reply(state_), "basic.consume " + queue);
    }

private:
    static constexpr amqp_channel_t channel = 1;

    static void check(const amqp_rpc_reply_t &reply, const std::string &what) {
        if (reply.reply_type != AMQP_RESPONSE_NORMAL)
            throw std::runtime_error("test client: " + what + " failed");
    }

    amqp_connection_state_t state_;
};

} // namespace vitals::test::services
