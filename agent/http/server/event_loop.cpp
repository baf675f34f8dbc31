// SPDX-License-Identifier: MIT
#include "http/server/event_loop.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "core/log.hpp"
#include "http/server/tls_server_context.hpp"

namespace vitals {
namespace {

using Clock = Connection::Clock;
constexpr int sweep_interval_ms = 100;

std::string peer_address(const sockaddr_storage &address) {
    char text[INET6_ADDRSTRLEN] = {};
    if (address.ss_family == AF_INET) {
        const auto &v4 = reinterpret_cast<const sockaddr_in &>(address);
        ::inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text);
    } else if (address.ss_family == AF_INET6) {
        const auto &v6 = reinterpret_cast<const sockaddr_in6 &>(address);
        ::inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text);
    }
    return text;
}

/// Level-triggered: EPOLLRDHUP only while reading, or a client that half-closed
/// while its reply waits for socket space would wake the loop over and over.
std::uint32_t events_for(const Interest &interest) {
    return (interest.read ? EPOLLIN | EPOLLRDHUP : 0u) | (interest.write ? EPOLLOUT : 0u);
}

void refuse_busy(int fd) {
    static constexpr std::string_view busy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        "Content-Length: 61\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        "{\"error\":\"busy\",\"detail\":\"too many connections; try again\"}\n";
    (void)::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

} // namespace

EventLoop::EventLoop(int listen_fd, const TlsServerContext *tls, const ConnectionLimits &limits,
                     ConnectionBudget &budget, Dispatch dispatch)
    : listen_fd_(listen_fd), tls_(tls), limits_(limits), budget_(budget),
      dispatch_(std::move(dispatch)) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (epoll_fd_ < 0 || wake_fd_ < 0)
        throw std::system_error(errno, std::generic_category(), "epoll/eventfd");
    epoll_event listen_event{};
    // EPOLLEXCLUSIVE: a new connection wakes one loop, not all of them.
    listen_event.events = EPOLLIN | EPOLLEXCLUSIVE;
    listen_event.data.fd = listen_fd_;
    epoll_event wake_event{};
    wake_event.events = EPOLLIN;
    wake_event.data.fd = wake_fd_;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &listen_event) != 0 ||
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_event) != 0)
        throw std::system_error(errno, std::generic_category(), "epoll_ctl");
}

EventLoop::~EventLoop() {
    while (!connections_.empty())
        close(connections_.begin()->first);
    ::close(wake_fd_);
    ::close(epoll_fd_);
}

void EventLoop::stop() {
    stopping_ = true;
    const std::uint64_t one = 1;
    (void)::write(wake_fd_, &one, sizeof one);
}

void EventLoop::run() {
    std::array<epoll_event, 128> events;
    auto next_sweep = Clock::now();
    while (!stopping_) {
        const int ready = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                                       sweep_interval_ms);
        if (ready < 0 && errno != EINTR)
            throw std::system_error(errno, std::generic_category(), "epoll_wait");
        const auto now = Clock::now();
        for (int i = 0; i < ready; ++i) {
            const int fd = events[static_cast<std::size_t>(i)].data.fd;
            if (fd == wake_fd_) continue;
            if (fd == listen_fd_)
                accept_all(now);
            else
                serve(fd, now);
        }
        if (now >= next_sweep) {
            expire(now);
            next_sweep = now + std::chrono::milliseconds{sweep_interval_ms};
        }
    }
}

void EventLoop::accept_all(Clock::time_point now) {
    for (;;) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr *>(&address), &length,
                                 SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log(LogLevel::warning, "http", "accept: {}", std::strerror(errno));
            return; // EMFILE and friends: the next wake-up tries again
        }
        std::string peer = peer_address(address);
        if (!admit(peer, now)) {
            refuse_busy(fd);
            ::close(fd);
            continue;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        try {
            auto transport = tls_ ? tls_->accept(fd) : plain_transport(fd);
            connections_.emplace(
                fd, std::make_unique<Connection>(std::move(transport), peer, limits_, now));
        } catch (const std::exception &e) {
            log(LogLevel::warning, "http", "cannot serve a new connection: {}", e.what());
            ::close(fd);
            budget_.clients.give_back(peer);
            --budget_.open;
            continue;
        }
        epoll_event event{};
        event.events = EPOLLIN | EPOLLRDHUP;
        event.data.fd = fd;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
    }
}

/// Takes a slot for the client and one overall. At the client's cap its own longest-idle
/// connection in this loop makes room; with none idle the client is refused, whatever
/// slots are free for others: so one address cannot take them all with slow requests.
bool EventLoop::admit(const std::string &peer, Clock::time_point now) {
    if (!budget_.clients.take(peer) &&
        !(close_longest_idle(now, &peer) && budget_.clients.take(peer)))
        return false;
    if (make_room(now)) return true;
    budget_.clients.give_back(peer);
    return false;
}

/// Takes a connection slot; at the limit, closes this loop's longest-idle
/// keep-alive connection (its client just reconnects) so a probe still gets in.
bool EventLoop::make_room(Clock::time_point now) {
    if (budget_.open.fetch_add(1) < budget_.max_connections) return true;
    if (close_longest_idle(now, nullptr)) return true; // its slot is ours now
    --budget_.open;
    return false;
}

/// Closes this loop's longest-idle connection (of `peer` only, unless null), giving its
/// slots back; false when there is none.
bool EventLoop::close_longest_idle(Clock::time_point now, const std::string *peer) {
    int oldest_fd = -1;
    auto oldest = now;
    for (const auto &[fd, connection] : connections_) {
        if (connection->idle() && connection->idle_since() <= oldest &&
            (!peer || connection->peer() == *peer)) {
            oldest = connection->idle_since();
            oldest_fd = fd;
        }
    }
    if (oldest_fd < 0) return false;
    close(oldest_fd);
    return true;
}

void EventLoop::serve(int fd, Clock::time_point now) {
    const auto found = connections_.find(fd);
    if (found == connections_.end()) return;
    update(fd, found->second->on_ready(dispatch_, now));
}

void EventLoop::update(int fd, const Interest &interest) {
    if (interest.close) {
        close(fd);
        return;
    }
    epoll_event event{};
    event.events = events_for(interest);
    event.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
}

void EventLoop::close(int fd) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    const auto found = connections_.find(fd);
    budget_.clients.give_back(found->second->peer());
    connections_.erase(found); // the transport goes first: TLS frees its state while fd is open
    ::close(fd);
    --budget_.open;
}

void EventLoop::expire(Clock::time_point now) {
    std::vector<int> expired;
    for (const auto &[fd, connection] : connections_)
        if (connection->expired(now)) expired.push_back(fd);
    for (const int fd : expired)
        close(fd);
}

} // namespace vitals
