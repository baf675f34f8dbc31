// SPDX-License-Identifier: MIT
#include "core/status.hpp"

#include <vitals/plugin.h>

namespace vitals {

std::string_view to_string(Status status) {
    switch (status) {
    case Status::ok:
        return "ok";
    case Status::warning:
        return "warning";
    case Status::error:
        return "error";
    }
    return "error";
}

std::optional<Status> status_from_abi(int code) {
    switch (code) {
    case VITALS_STATUS_OK:
        return Status::ok;
    case VITALS_STATUS_WARNING:
        return Status::warning;
    case VITALS_STATUS_ERROR:
        return Status::error;
    default:
        return std::nullopt;
    }
}

} // namespace vitals
