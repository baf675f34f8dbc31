// What an HTTP caller may do. SPDX-License-Identifier: MIT
#pragma once

#include <optional>
#include <string_view>

namespace vitals {

/// In increasing order: each scope includes the ones below it.
enum class Scope {
    none,  ///< nothing: an anonymous caller where every route needs a token
    probe, ///< status code and a minimal body: what a kubelet or load balancer needs
    read,  ///< full details, history, metrics, the status page
    write, ///< trigger runs, push results
};

std::string_view to_string(Scope scope);
std::optional<Scope> parse_scope(std::string_view text);

} // namespace vitals
