// How busy the scheduler's pool is, for /metrics. SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>

namespace vitals {

/// Written by the scheduler under its own lock, read lock-free by /metrics: each figure
/// is exact, the set of them only nearly consistent, as a scrape allows.
class SchedulerLoad {
public:
    struct Snapshot {
        unsigned limit = 0;           ///< `workers`: runs at once outside the probe reserve
        unsigned reserve = 0;         ///< further runs at once for checks in probe groups
        unsigned running = 0;         ///< runs holding one of `limit` places, stuck ones too
        unsigned reserve_running = 0; ///< runs holding a place of the reserve
        unsigned threads = 0;         ///< the pool's threads, idle and stuck ones included
        std::uint64_t waits = 0;      ///< runs that were due while every place was taken
    };

    SchedulerLoad(unsigned limit, unsigned reserve) : limit_(limit), reserve_(reserve) {}

    void set_running(unsigned running, unsigned reserve_running) {
        running_.store(running, std::memory_order_relaxed);
        reserve_running_.store(reserve_running, std::memory_order_relaxed);
    }
    void set_threads(unsigned threads) { threads_.store(threads, std::memory_order_relaxed); }
    void count_wait() { waits_.fetch_add(1, std::memory_order_relaxed); }

    Snapshot snapshot() const {
        return {limit_,
                reserve_,
                running_.load(std::memory_order_relaxed),
                reserve_running_.load(std::memory_order_relaxed),
                threads_.load(std::memory_order_relaxed),
                waits_.load(std::memory_order_relaxed)};
    }

private:
    const unsigned limit_;
    const unsigned reserve_;
    std::atomic<unsigned> running_{0};
    std::atomic<unsigned> reserve_running_{0};
    std::atomic<unsigned> threads_{0};
    std::atomic<std::uint64_t> waits_{0};
};

} // namespace vitals
