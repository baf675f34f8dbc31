// SPDX-License-Identifier: MIT
#include "alerts/alert.hpp"

namespace vitals {

std::string_view to_string(AlertKind kind) {
    switch (kind) {
    case AlertKind::firing:
        return "firing";
    case AlertKind::resolved:
        return "resolved";
    case AlertKind::reminder:
        return "reminder";
    case AlertKind::test:
        return "test";
    }
    return "firing";
}

} // namespace vitals
