// Who holds the server's connections, and whose go first when it is full.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace vitals {

/// Every open connection, against two caps: `max_connections` in all (each holds a
/// thread) and `per_client` per address, so no one address (a slowloris client, say)
/// can take every slot and the kubelet's probes still get in. At a cap the
/// longest-idle keep-alive connection makes room: its socket is shut down, its
/// thread wakes and leaves, and its client just reconnects.
class ConnectionBoard {
public:
    using Clock = std::chrono::steady_clock;
    /// Where the board reads the time a connection went idle.
    using Now = std::function<Clock::time_point()>;

private:
    struct Entry {
        std::string peer;
        int fd;               ///< shut down (never closed) from here to make room
        bool idle = false;    ///< between requests: may be closed to make room
        bool evicted = false; ///< shut down by the board; no longer counted
        Clock::time_point idle_since{};
    };
    using Entries = std::list<Entry>;

public:
    /// One admitted connection's place on the board, for as long as it lives.
    class Seat {
    public:
        Seat(Seat &&other) noexcept;
        Seat &operator=(Seat &&) = delete;
        ~Seat();

        /// A request has begun; false when the board closed the connection first.
        bool begin_request();
        /// The reply is sent: idle until the next request.
        void end_request();

    private:
        friend class ConnectionBoard;
        Seat(ConnectionBoard &board, Entries::iterator entry) : board_(&board), entry_(entry) {}
        ConnectionBoard *board_;
        Entries::iterator entry_;
    };

    /// `now` is the steady clock but in tests, which choose who has been idle longest.
    ConnectionBoard(std::size_t max_connections, std::size_t per_client, Now now = Clock::now);

    /// A seat for a connection from `peer` on socket `fd`, closing the longest-idle
    /// connection (of that peer first, at its cap) when full; nullopt when every
    /// connection that could make room is busy.
    std::optional<Seat> admit(const std::string &peer, int fd);
    /// Shuts every connection down, and any admitted after (the server is stopping).
    void close_all();
    std::size_t open() const;

private:
    bool evict_longest_idle(const std::string *peer);
    void evict(Entries::iterator entry);
    void leave(Entries::iterator entry);

    const std::size_t max_connections_;
    const std::size_t per_client_;
    const Now now_;
    mutable std::mutex mutex_; ///< taken per connection and per request, never during I/O
    Entries entries_;
    std::size_t counted_ = 0; ///< entries not evicted
    bool closed_ = false;
    std::unordered_map<std::string, std::size_t> per_peer_;
};

} // namespace vitals
