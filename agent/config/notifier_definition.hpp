// One [[notifier]] of agent.toml: a receiver of alerts, declared once and chosen by checks
// (`notify`) or groups. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_error.hpp"
#include "core/duration.hpp"
#include "core/status.hpp"

namespace vitals {

enum class NotifierType { alertmanager, webhook, email, exec };

struct NotifierDefinition {
    std::string name;
    NotifierType type = NotifierType::webhook;
    /// Alerts for a status below this are not sent (warning: both; error: errors only).
    Status min_status = Status::warning;
    /// Checks in any of these groups notify here without naming it in `notify`.
    std::vector<std::string> groups;
    Duration repeat{}; ///< reminders while a check stays not ok; zero: none
    bool send_resolved = true;
    Duration timeout = std::chrono::seconds{10}; ///< one delivery attempt
    std::size_t queue_size = 1000;               ///< alerts waiting; beyond, the oldest go

    // alertmanager: every URL gets every alert (an HA pair); webhook: the first only.
    std::vector<std::string> urls;
    Duration resend = std::chrono::minutes{1}; ///< alertmanager: firing alerts sent again

    // webhook
    std::string format = "json"; ///< json | slack (Slack and Mattermost incoming webhooks)
    std::vector<std::pair<std::string, std::string>> headers;
    std::string token; ///< bearer token; secret (a reference or token_file)

    // email
    std::string smtp_host;
    unsigned smtp_port = 25;
    std::string tls = "starttls"; ///< starttls | tls (implicit, 465) | none
    std::string username;
    std::string password; ///< secret
    std::string from;
    std::vector<std::string> to;
    std::filesystem::path ca_file; ///< empty: the system's
    bool verify = true;            ///< the server's certificate and name

    // exec
    std::vector<std::string> command;
    bool shell = false; ///< command[0] run by /bin/sh -c

    SourceLocation where;

    bool operator==(const NotifierDefinition &) const = default;
};

inline std::string_view to_string(NotifierType type) {
    switch (type) {
    case NotifierType::alertmanager:
        return "alertmanager";
    case NotifierType::webhook:
        return "webhook";
    case NotifierType::email:
        return "email";
    case NotifierType::exec:
        return "exec";
    }
    return "webhook";
}

} // namespace vitals
