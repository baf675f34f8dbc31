// Whether a host is this machine, reached over loopback. SPDX-License-Identifier: MIT
#pragma once

#include <string_view>

namespace vitals {

/// True for "localhost", 127.0.0.0/8, ::1 and IPv4-mapped 127.x (::ffff:127.0.0.1, what
/// a dual-stack socket reports for an IPv4 client): a listen host only this machine
/// reaches, or a peer that is this machine.
bool is_loopback(std::string_view host);

} // namespace vitals
