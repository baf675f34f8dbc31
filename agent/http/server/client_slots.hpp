// Open connections per client address, against a cap. SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace vitals {

/// How many connections each client address holds, shared by every event loop. A cap
/// below max_connections means no one address (a slowloris client, say) can take every
/// slot: the rest stay free for other clients, the kubelet's probes among them.
class ClientSlots {
public:
    explicit ClientSlots(std::size_t per_client) : per_client_(per_client) {}

    /// Takes a slot for `peer`; false when it already holds `per_client` connections.
    bool take(const std::string &peer);
    /// Gives back a slot `take` gave.
    void give_back(const std::string &peer);

private:
    std::size_t per_client_;
    std::mutex mutex_; ///< taken once per accept and per close, never while serving
    std::unordered_map<std::string, std::size_t> open_;
};

} // namespace vitals
