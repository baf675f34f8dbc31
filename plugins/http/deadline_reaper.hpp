// Shuts an exchange's socket down at its run's deadline, for every run of every http check,
// on one thread. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace vitals::http {

/// Poco's timeouts bound each socket operation, not a whole response, so a server trickling
/// its headers or body a byte at a time could hold a run far past its deadline. The reaper
/// shuts such a socket down at the deadline, which wakes any read or write blocked on it.
///
/// Why a thread at all: Poco 1.11 reads response headers through HTTPSession::get() and
/// refill(), which are not virtual, and OpenSSL's SSL_read() reads the descriptor itself, so
/// no per-read timeout set from our code can bound a trickled header or TLS record. Why one:
/// a thread per run doubled the agent's threads while many checks hung.
class DeadlineReaper {
public:
    using Clock = std::chrono::steady_clock;

    /// The process's reaper, started by the first caller; its thread ends when the last
    /// holder lets go (every http check holds it, so it is gone before http.so is unloaded).
    static std::shared_ptr<DeadlineReaper> shared();

    ~DeadlineReaper();
    DeadlineReaper(const DeadlineReaper &) = delete;
    DeadlineReaper &operator=(const DeadlineReaper &) = delete;

    /// One run's deadline, watched from construction to destruction. [the run's thread]
    class Watch {
    public:
        Watch(DeadlineReaper &reaper, Clock::time_point deadline);
        ~Watch();
        Watch(const Watch &) = delete;
        Watch &operator=(const Watch &) = delete;

        /// Watches a freshly connected socket, replacing the previous one; at once shut down
        /// if the deadline has passed.
        void watch(int fd);
        /// Whether the deadline came while the run was still going.
        bool fired() const;

    private:
        friend class DeadlineReaper;
        DeadlineReaper &reaper_;
        const Clock::time_point deadline_;
        int fd_ = -1;        ///< a duplicate of the socket; guarded by reaper_.mutex_
        bool fired_ = false; ///< guarded by reaper_.mutex_
    };

private:
    DeadlineReaper();
    void reap();

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::multimap<Clock::time_point, Watch *> pending_; ///< runs whose deadline is still ahead
    bool stopping_ = false;
    std::thread thread_; // last: it starts once everything it uses exists
};

} // namespace vitals::http
