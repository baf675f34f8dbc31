// SPDX-License-Identifier: MIT
#include "push/push_board.hpp"

namespace vitals {

void PushBoard::assign(const std::vector<std::shared_ptr<Check>> &checks) {
    std::map<std::string, std::shared_ptr<PushInbox>, std::less<>> inboxes;
    for (const auto &check : checks) {
        if (auto inbox = check->push_inbox()) {
            inbox->attach(results_);
            inboxes.emplace(check->name(), std::move(inbox));
        }
    }
    const std::lock_guard lock{mutex_};
    inboxes_ = std::move(inboxes);
}

std::shared_ptr<PushInbox> PushBoard::find(std::string_view name) const {
    const std::lock_guard lock{mutex_};
    const auto it = inboxes_.find(name);
    return it == inboxes_.end() ? nullptr : it->second;
}

} // namespace vitals
