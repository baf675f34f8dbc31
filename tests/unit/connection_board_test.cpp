// Admission to the server: the caps, and whose connection makes room. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "http/server/connection_board.hpp"

using vitals::ConnectionBoard;
using namespace std::chrono_literals;

namespace {

/// A connected pair of sockets: the board holds one end, the test watches the other
/// for the shutdown that closing a connection to make room is.
class SocketPair {
public:
    SocketPair() { REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds_.data()) == 0); }
    ~SocketPair() {
        ::close(fds_[0]);
        ::close(fds_[1]);
    }
    SocketPair(const SocketPair &) = delete;
    SocketPair &operator=(const SocketPair &) = delete;

    int server_end() const { return fds_[0]; }
    /// Whether the server end was shut down: the client end reads end of file.
    bool shut_down() const {
        char byte = 0;
        return ::recv(fds_[1], &byte, 1, MSG_DONTWAIT) == 0;
    }

private:
    std::array<int, 2> fds_{};
};

/// The board's clock, moved on only by the test: which connection has been idle the
/// longest is then the test's choice, not the machine's.
class FakeClock {
public:
    ConnectionBoard::Now now() {
        return [this] { return time_; };
    }
    void advance(std::chrono::milliseconds by) { time_ += by; }

private:
    ConnectionBoard::Clock::time_point time_ = ConnectionBoard::Clock::time_point{} + 1h;
};

/// A board with `max_connections` and `per_client` on `clock`.
ConnectionBoard board_on(FakeClock &clock, std::size_t max_connections, std::size_t per_client) {
    return ConnectionBoard{max_connections, per_client, clock.now()};
}

/// A seat for `peer` on `socket`; FAILs the test when the board refuses it.
ConnectionBoard::Seat seat(ConnectionBoard &board, const std::string &peer,
                           const SocketPair &socket) {
    auto admitted = board.admit(peer, socket.server_end());
    REQUIRE_MESSAGE(admitted, "refused: " << peer);
    return std::move(*admitted);
}

/// A request served and answered: the seat is idle from now on.
void serve_one(ConnectionBoard::Seat &seat) {
    REQUIRE(seat.begin_request());
    seat.end_request();
}

} // namespace

TEST_CASE("connection board: at the cap the longest-idle connection makes room") {
    FakeClock clock;
    auto board = board_on(clock, 3, 3);
    std::array<SocketPair, 4> sockets;
    std::vector<ConnectionBoard::Seat> seats;
    for (int i = 0; i < 3; ++i)
        seats.push_back(seat(board, "a" + std::to_string(i), sockets[i]));
    clock.advance(1s);
    // The first serves a request, the second and third went idle after theirs, in turn.
    REQUIRE(seats[0].begin_request());
    serve_one(seats[1]);
    clock.advance(1s);
    serve_one(seats[2]);

    auto fourth = board.admit("b", sockets[3].server_end());
    REQUIRE(fourth);
    CHECK_FALSE(sockets[0].shut_down()); // busy: never closed to make room
    CHECK(sockets[1].shut_down());       // idle the longest
    CHECK_FALSE(sockets[2].shut_down());
    CHECK(board.open() == 3);
    // Its thread learns at its next request and leaves.
    CHECK_FALSE(seats[1].begin_request());
}

TEST_CASE("connection board: idle time counts from the last reply, not from the connect") {
    FakeClock clock;
    auto board = board_on(clock, 2, 2);
    std::array<SocketPair, 3> sockets;
    auto early = seat(board, "a", sockets[0]);
    auto late = seat(board, "b", sockets[1]);
    clock.advance(1s);
    serve_one(late);
    clock.advance(1s);
    serve_one(early); // connected first, but answered last
    CHECK(board.admit("c", sockets[2].server_end()));
    CHECK(sockets[1].shut_down());
    CHECK_FALSE(sockets[0].shut_down());
}

TEST_CASE("connection board: a connection that never sent a request is idle since it came") {
    FakeClock clock;
    auto board = board_on(clock, 2, 2);
    std::array<SocketPair, 3> sockets;
    auto silent = seat(board, "a", sockets[0]);
    clock.advance(1s);
    auto served = seat(board, "b", sockets[1]);
    clock.advance(1s);
    serve_one(served);
    CHECK(board.admit("c", sockets[2].server_end()));
    CHECK(sockets[0].shut_down());
    CHECK_FALSE(sockets[1].shut_down());
}

TEST_CASE("connection board: with every connection busy a new one is refused") {
    FakeClock clock;
    auto board = board_on(clock, 2, 2);
    std::array<SocketPair, 3> sockets;
    auto first = board.admit("a", sockets[0].server_end());
    auto second = board.admit("b", sockets[1].server_end());
    REQUIRE((first && second));
    REQUIRE(first->begin_request());
    REQUIRE(second->begin_request());
    CHECK_FALSE(board.admit("c", sockets[2].server_end()));
    CHECK_FALSE(sockets[0].shut_down());
    CHECK_FALSE(sockets[1].shut_down());
    // A connection that leaves gives its place back.
    second.reset();
    CHECK(board.admit("c", sockets[2].server_end()));
}

TEST_CASE("connection board: one address at its cap makes room among its own, not others'") {
    FakeClock clock;
    auto board = board_on(clock, 10, 2);
    std::array<SocketPair, 4> sockets;
    auto other = board.admit("other", sockets[0].server_end()); // idle the longest
    clock.advance(1s);
    auto mine_busy = board.admit("mine", sockets[1].server_end());
    auto mine_idle = board.admit("mine", sockets[2].server_end());
    REQUIRE((other && mine_busy && mine_idle));
    REQUIRE(mine_busy->begin_request());

    auto mine_new = board.admit("mine", sockets[3].server_end());
    CHECK(mine_new);
    CHECK(sockets[2].shut_down());
    CHECK_FALSE(sockets[0].shut_down());
    // Now both of its places are busy: refused, though the board has room for others.
    REQUIRE(mine_new->begin_request());
    SocketPair fifth;
    CHECK_FALSE(board.admit("mine", fifth.server_end()));
    CHECK(board.admit("another", fifth.server_end()));
}

TEST_CASE("connection board: room made at an address's cap is room on the board too") {
    // Full board, and "mine" at its cap: one of its own makes room for both caps, and
    // "other", idle longer, keeps its connection.
    FakeClock clock;
    auto board = board_on(clock, 3, 2);
    std::array<SocketPair, 4> sockets;
    auto other = seat(board, "other", sockets[0]);
    clock.advance(1s);
    auto mine_idle = seat(board, "mine", sockets[1]);
    auto mine_busy = seat(board, "mine", sockets[2]);
    REQUIRE(mine_busy.begin_request());
    auto mine_new = board.admit("mine", sockets[3].server_end());
    CHECK(mine_new);
    CHECK(sockets[1].shut_down());
    CHECK_FALSE(sockets[0].shut_down());
    CHECK(board.open() == 3);
}

TEST_CASE("connection board: an address's places come back when its connections leave") {
    FakeClock clock;
    auto board = board_on(clock, 10, 1);
    std::array<SocketPair, 3> sockets;
    {
        auto busy = seat(board, "mine", sockets[0]);
        REQUIRE(busy.begin_request());
        CHECK_FALSE(board.admit("mine", sockets[1].server_end()));
    }
    auto again = seat(board, "mine", sockets[2]);
    CHECK_FALSE(sockets[2].shut_down());
    CHECK(board.open() == 1);
}

TEST_CASE("connection board: a connection closed to make room is counted once, when closed") {
    FakeClock clock;
    auto board = board_on(clock, 1, 1);
    std::array<SocketPair, 3> sockets;
    std::optional<ConnectionBoard::Seat> evicted = seat(board, "a", sockets[0]);
    clock.advance(1s);
    auto busy = seat(board, "b", sockets[1]);
    REQUIRE(sockets[0].shut_down());
    REQUIRE(busy.begin_request());
    CHECK(board.open() == 1);
    // Its thread leaves later: that gives back no place a second time.
    evicted.reset();
    CHECK(board.open() == 1);
    CHECK_FALSE(board.admit("c", sockets[2].server_end()));
}

TEST_CASE("connection board: stopping closes every connection, and any admitted after") {
    FakeClock clock;
    auto board = board_on(clock, 4, 4);
    std::array<SocketPair, 3> sockets;
    auto busy = seat(board, "a", sockets[0]);
    REQUIRE(busy.begin_request());
    auto idle = seat(board, "b", sockets[1]);
    board.close_all();
    CHECK(sockets[0].shut_down());
    CHECK(sockets[1].shut_down());
    CHECK(board.open() == 0);
    auto late = board.admit("a", sockets[2].server_end());
    REQUIRE(late);
    CHECK(sockets[2].shut_down());
    CHECK_FALSE(late->begin_request());
    CHECK_FALSE(idle.begin_request());
    CHECK(board.open() == 0);
}
