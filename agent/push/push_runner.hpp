// The built-in "push" plugin: a check that is reported to, not run. SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include "checks/plugin_runner.hpp"
#include "push/push_inbox.hpp"

namespace vitals {

/// The scheduler "runs" a push check every push_evaluation_interval(ttl): each
/// run is a look at the ttl, which records an expiry through the inbox when one
/// is due. The run itself has nothing to record (no_news): the history of a
/// push check is its reports and expiries, not one entry per look.
class PushRunner final : public PluginRunner {
public:
    explicit PushRunner(std::shared_ptr<PushInbox> inbox) : inbox_(std::move(inbox)) {}

    CheckResult run(std::chrono::steady_clock::time_point, const RunHistory &) override {
        inbox_->expire_if_due();
        CheckResult nothing;
        nothing.no_news = true;
        return nothing;
    }

    /// Where the check's reports go (PushBoard finds it here).
    const std::shared_ptr<PushInbox> &inbox() const { return inbox_; }

private:
    std::shared_ptr<PushInbox> inbox_;
};

} // namespace vitals
