// SPDX-License-Identifier: MIT
#include "http/server/connection_board.hpp"

#include <sys/socket.h>

#include <iterator>
#include <utility>

namespace vitals {

ConnectionBoard::ConnectionBoard(std::size_t max_connections, std::size_t per_client, Now now)
    : max_connections_(max_connections), per_client_(per_client), now_(std::move(now)) {}

std::optional<ConnectionBoard::Seat> ConnectionBoard::admit(const std::string &peer, int fd) {
    const std::lock_guard lock{mutex_};
    if (closed_) {
        // Stopping: a connection Poco had queued gets a seat that is already closed,
        // so its thread ends at once instead of answering "busy".
        entries_.push_back(Entry{peer, fd, true, true, now_()});
        ::shutdown(fd, SHUT_RDWR);
        return Seat{*this, std::prev(entries_.end())};
    }
    const auto held = per_peer_.find(peer);
    if (held != per_peer_.end() && held->second >= per_client_ && !evict_longest_idle(&peer))
        return std::nullopt;
    if (counted_ >= max_connections_ && !evict_longest_idle(nullptr)) return std::nullopt;
    // Idle until its first request: a client that connects and sends nothing yields first.
    entries_.push_back(Entry{peer, fd, true, false, now_()});
    ++counted_;
    ++per_peer_[peer];
    return Seat{*this, std::prev(entries_.end())};
}

/// O(connections), but only when a cap is reached; the board holds at most max_connections.
bool ConnectionBoard::evict_longest_idle(const std::string *peer) {
    auto oldest = entries_.end();
    for (auto entry = entries_.begin(); entry != entries_.end(); ++entry) {
        if (!entry->idle || entry->evicted || (peer && entry->peer != *peer)) continue;
        if (oldest == entries_.end() || entry->idle_since < oldest->idle_since) oldest = entry;
    }
    if (oldest == entries_.end()) return false;
    evict(oldest);
    return true;
}

void ConnectionBoard::evict(Entries::iterator entry) {
    entry->evicted = true;
    // The fd stays open until its connection leaves the board, so this cannot hit a
    // socket that reused the number. Not Poco's shutdown(): TLS state is the owner's.
    ::shutdown(entry->fd, SHUT_RDWR);
    --counted_;
    if (--per_peer_[entry->peer] == 0) per_peer_.erase(entry->peer);
}

void ConnectionBoard::leave(Entries::iterator entry) {
    const std::lock_guard lock{mutex_};
    if (!entry->evicted) {
        --counted_;
        if (--per_peer_[entry->peer] == 0) per_peer_.erase(entry->peer);
    }
    entries_.erase(entry);
}

void ConnectionBoard::close_all() {
    const std::lock_guard lock{mutex_};
    closed_ = true;
    for (auto entry = entries_.begin(); entry != entries_.end(); ++entry)
        if (!entry->evicted) evict(entry);
}

std::size_t ConnectionBoard::open() const {
    const std::lock_guard lock{mutex_};
    return counted_;
}

ConnectionBoard::Seat::Seat(Seat &&other) noexcept
    : board_(std::exchange(other.board_, nullptr)), entry_(other.entry_) {}

ConnectionBoard::Seat::~Seat() {
    if (board_) board_->leave(entry_);
}

bool ConnectionBoard::Seat::begin_request() {
    const std::lock_guard lock{board_->mutex_};
    entry_->idle = false;
    return !entry_->evicted;
}

void ConnectionBoard::Seat::end_request() {
    const std::lock_guard lock{board_->mutex_};
    entry_->idle = true;
    entry_->idle_since = board_->now_();
}

} // namespace vitals
