// What the result store tells whoever keeps its results elsewhere. SPDX-License-Identifier: MIT
#pragma once

#include <string>

#include "results/transition_log.hpp"

namespace vitals {

/// Told of changes as they happen, under the result store's lock: an observer only takes
/// note (no waiting, no call back into the store) and reads the store later.
class ResultObserver {
public:
    virtual ~ResultObserver() = default;
    /// `check`'s state or history changed.
    virtual void changed(const std::string &check) = 0;
    /// `check`'s reported status changed: `transition` was added to its log.
    virtual void transitioned(const std::string &check, const Transition &transition) = 0;

protected:
    ResultObserver() = default;
    ResultObserver(const ResultObserver &) = default;
    ResultObserver &operator=(const ResultObserver &) = default;
};

} // namespace vitals
