// The accept loop: new connections from the listening socket to Poco's dispatcher.
// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

namespace vitals {

/// Poco's TCPServer has this loop too, but when accept() fails for want of file
/// descriptors it retries at once, forever: a full CPU and a log line per try. This one
/// backs off (10 ms doubling to 1 s) until failures stop for a while.
class Acceptor {
public:
    using HandOver = std::function<void(const Poco::Net::StreamSocket &)>;

    /// `housekeeping` runs on the loop's thread every few seconds while no connection
    /// arrives: the time to give back what a crowd of clients left behind.
    Acceptor(Poco::Net::ServerSocket &socket, HandOver hand_over,
             std::function<void()> housekeeping);
    ~Acceptor();
    Acceptor(const Acceptor &) = delete;
    Acceptor &operator=(const Acceptor &) = delete;

    void start();
    void stop();

private:
    void run();
    void back_off(const std::string &why);

    Poco::Net::ServerSocket &socket_;
    HandOver hand_over_;
    std::function<void()> housekeeping_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::chrono::milliseconds backoff_{0};
    std::chrono::steady_clock::time_point last_failure_{};
    std::thread thread_;
};

} // namespace vitals
