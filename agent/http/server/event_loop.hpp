// One thread's share of the server: an epoll set of connections. SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <unordered_map>

#include "http/server/client_slots.hpp"
#include "http/server/connection.hpp"

namespace vitals {

class TlsServerContext;

/// Connections open across all loops, against the configured maximum, in all and per client.
struct ConnectionBudget {
    std::size_t max_connections;
    ClientSlots clients;
    std::atomic<std::size_t> open{0};

    ConnectionBudget(std::size_t max, std::size_t per_client)
        : max_connections(max), clients(per_client) {}
};

/// Accepts from the shared listening socket (EPOLLEXCLUSIVE wakes one loop per
/// new connection) and serves its connections until `stop`. Nothing in it
/// blocks, so a new probe is answered while hundreds of idle keep-alive
/// connections are held open, and a slow client only costs its buffers.
class EventLoop {
public:
    EventLoop(int listen_fd, const TlsServerContext *tls, const ConnectionLimits &limits,
              ConnectionBudget &budget, Dispatch dispatch);
    ~EventLoop();
    EventLoop(const EventLoop &) = delete;
    EventLoop &operator=(const EventLoop &) = delete;

    /// Serves until stop() is called from another thread.
    void run();
    void stop();

private:
    void accept_all(Connection::Clock::time_point now);
    bool admit(const std::string &peer, Connection::Clock::time_point now);
    bool make_room(Connection::Clock::time_point now);
    bool close_longest_idle(Connection::Clock::time_point now, const std::string *peer);
    void serve(int fd, Connection::Clock::time_point now);
    void update(int fd, const Interest &interest);
    void close(int fd);
    void expire(Connection::Clock::time_point now);

    int listen_fd_;
    const TlsServerContext *tls_;
    const ConnectionLimits &limits_;
    ConnectionBudget &budget_;
    Dispatch dispatch_;
    int epoll_fd_ = -1;
    int wake_fd_ = -1;
    std::atomic<bool> stopping_{false};
    std::unordered_map<int, std::unique_ptr<Connection>> connections_;
};

} // namespace vitals
