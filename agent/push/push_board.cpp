// SPDX-License-Identifier: MIT
#include "push/push_board.hpp"

namespace vitals {

void PushBoard::assign(const std::vector<std::shared_ptr<Check>> &checks) {
    std::map<std::string, std::shared_ptr<PushInbox>, std::less<>> inboxes;
    for (const auto &check : checks) {
        if (const auto *push = dynamic_cast<const PushRunner *>(&check->runner())) {
            push->inbox()->attach(results_);
            inboxes.emplace(check->name(), push->inbox());
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

std::map<std::string, PushInbox::Deadline> PushBoard::deadlines() const {
    std::map<std::string, PushInbox::Deadline> deadlines;
    const std::lock_guard lock{mutex_};
    for (const auto &[name, inbox] : inboxes_)
        deadlines.emplace(name, inbox->deadline());
    return deadlines;
}

} // namespace vitals
