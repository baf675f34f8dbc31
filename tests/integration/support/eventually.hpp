// Polling for a condition, for tests of things that happen in their own time.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <thread>

namespace vitals::test {

/// Polls `done` every `tick` until it holds or `limit` passes; returns whether it held.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = std::chrono::seconds{5},
                std::chrono::milliseconds tick = std::chrono::milliseconds{50}) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
        if (done()) return true;
        std::this_thread::sleep_for(tick);
    }
    return done();
}

} // namespace vitals::test
