// SPDX-License-Identifier: MIT
#include "http/server/client_slots.hpp"

namespace vitals {

bool ClientSlots::take(const std::string &peer) {
    std::lock_guard lock{mutex_};
    std::size_t &open = open_[peer];
    if (open >= per_client_) return false;
    ++open;
    return true;
}

void ClientSlots::give_back(const std::string &peer) {
    std::lock_guard lock{mutex_};
    const auto found = open_.find(peer);
    if (found == open_.end()) return;
    // Forget an address with nothing open, so the map stays as small as the open connections.
    if (--found->second == 0) open_.erase(found);
}

} // namespace vitals
