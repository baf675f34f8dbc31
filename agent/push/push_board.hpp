// The push checks in force, by name. SPDX-License-Identifier: MIT
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "checks/check.hpp"
#include "push/push_inbox.hpp"
#include "push/push_runner.hpp"
#include "results/result_store.hpp"

namespace vitals {

/// What POST /health/checks/<name> reports to. Thread-safe: a reload assigns
/// while requests look up.
class PushBoard {
public:
    explicit PushBoard(ResultStore &results) : results_(results) {}

    /// Takes the checks in force (at start and after each reload): the push
    /// checks among them (those run by a PushRunner) are attached to the result store
    /// and can be reported to.
    void assign(const std::vector<std::shared_ptr<Check>> &checks);
    /// nullptr when `name` is not a push check in force.
    std::shared_ptr<PushInbox> find(std::string_view name) const;
    /// Every push check's deadline, by name.
    std::map<std::string, PushInbox::Deadline> deadlines() const;

private:
    ResultStore &results_;
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<PushInbox>, std::less<>> inboxes_;
};

} // namespace vitals
