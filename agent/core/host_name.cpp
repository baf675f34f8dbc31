// SPDX-License-Identifier: MIT
#include "core/host_name.hpp"

#include <unistd.h>

#include <array>

namespace vitals {

std::string host_name() {
    std::array<char, 256> name{};
    if (::gethostname(name.data(), name.size() - 1) != 0) return "vitalsd";
    return name.data();
}

} // namespace vitals
