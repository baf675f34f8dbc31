// SPDX-License-Identifier: MIT
#include "alerts/alert_text.hpp"

#include <fmt/format.h>

#include "core/utc_time.hpp"

namespace vitals {

std::string alert_summary(const Alert &alert) {
    switch (alert.kind) {
    case AlertKind::test:
        return fmt::format("test alert from {}", alert.host);
    case AlertKind::reminder:
        return fmt::format("{}: still {} on {} (reminder)", alert.check, to_string(alert.status),
                           alert.host);
    case AlertKind::resolved:
        return fmt::format("{}: {} → {} on {} (resolved)", alert.check, to_string(alert.previous),
                           to_string(alert.status), alert.host);
    case AlertKind::firing:
        break;
    }
    return fmt::format("{}: {} → {} on {}", alert.check, to_string(alert.previous),
                       to_string(alert.status), alert.host);
}

std::string alert_text(const Alert &alert) {
    std::string text = alert_summary(alert) + "\n\n";
    const auto line = [&text](std::string_view name, std::string_view value) {
        if (!value.empty()) text += fmt::format("{}: {}\n", name, value);
    };
    line("Check", alert.check);
    line("Status", to_string(alert.status));
    line("Previous status", to_string(alert.previous));
    line("Message", alert.message);
    line("Description", alert.description);
    line("Since", format_utc(alert.since));
    line("Host", alert.host);
    line("Alert",
         fmt::format("{} #{} at {}", to_string(alert.kind), alert.id, format_utc(alert.at)));
    line("Link", alert.link);
    line("Last action", alert.action);
    if (!alert.groups.empty()) line("Groups", fmt::format("{}", fmt::join(alert.groups, ", ")));
    for (const auto &[name, value] : alert.labels)
        line(fmt::format("Label {}", name), value);
    return text;
}

} // namespace vitals
