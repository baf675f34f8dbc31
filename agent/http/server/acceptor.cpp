// SPDX-License-Identifier: MIT
#include "http/server/acceptor.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include <Poco/Exception.h>

#include "core/log.hpp"

namespace vitals {
namespace {

constexpr std::chrono::milliseconds first_backoff{10};
constexpr std::chrono::milliseconds last_backoff{1000};
constexpr std::chrono::seconds housekeeping_interval{5};

/// Drops the accept loop's reference to a socket Poco's dispatcher now holds. When
/// the connection is already over, this reference is the last and the socket is freed
/// here, after the connection's thread used it: the ordering is in Poco's atomic
/// reference count, inside an uninstrumented library, which ThreadSanitizer cannot see.
/// tests/sanitizers/tsan.supp says so for this thread.
void release_handed_over(Poco::Net::StreamSocket &socket) {
    socket = Poco::Net::StreamSocket{};
}

} // namespace

Acceptor::Acceptor(Poco::Net::ServerSocket &socket, HandOver hand_over,
                   std::function<void()> housekeeping)
    : socket_(socket), hand_over_(std::move(hand_over)), housekeeping_(std::move(housekeeping)) {}

Acceptor::~Acceptor() {
    stop();
}

void Acceptor::start() {
    thread_ = std::thread{[this] { run(); }};
}

void Acceptor::stop() {
    {
        const std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Acceptor::run() {
    const Poco::Timespan poll_interval{0, 250'000}; // how soon stop() is noticed
    auto last_housekeeping = std::chrono::steady_clock::now();
    for (;;) {
        {
            const std::lock_guard lock{mutex_};
            if (stopping_) return;
        }
        try {
            if (!socket_.poll(poll_interval, Poco::Net::Socket::SELECT_READ)) {
                const auto now = std::chrono::steady_clock::now();
                if (now - last_housekeeping >= housekeeping_interval) {
                    housekeeping_();
                    last_housekeeping = now;
                }
                continue;
            }
            Poco::Net::StreamSocket connection = socket_.acceptConnection();
            // Close-on-exec at once: a plugin's child must not inherit a client's socket.
            ::fcntl(connection.impl()->sockfd(), F_SETFD, FD_CLOEXEC);
            connection.setNoDelay(true);
            hand_over_(connection);
            release_handed_over(connection);
        } catch (const Poco::Exception &e) {
            // A client that left before accept() is nothing; anything else that fails
            // now may fail again at once, and retrying at once would spin.
            if (e.code() != ECONNABORTED && e.code() != EINTR && e.code() != EAGAIN)
                back_off(e.displayText());
        }
    }
}

void Acceptor::back_off(const std::string &why) {
    // Doubling while failures keep coming, even with an accept between them (a
    // connection that failed for want of a descriptor gives its own back at once).
    const auto now = std::chrono::steady_clock::now();
    backoff_ = now - last_failure_ > 2 * last_backoff
                   ? first_backoff
                   : std::clamp(backoff_ * 2, first_backoff, last_backoff);
    last_failure_ = now;
    log(LogLevel::warning, "http", "cannot accept a connection ({}); next try in {} ms", why,
        backoff_.count());
    std::unique_lock lock{mutex_};
    wake_.wait_for(lock, backoff_, [this] { return stopping_; });
}

} // namespace vitals
