// SPDX-License-Identifier: MIT
#include "core/loopback.hpp"

namespace vitals {

bool is_loopback(std::string_view host) {
    return host == "localhost" || host.starts_with("127.") || host == "::1" ||
           host.starts_with("::ffff:127.");
}

} // namespace vitals
