// The validated shape of agent.toml and conf.d/*.toml. SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/check_params.hpp"
#include "config/config_error.hpp"
#include "config/failure_action.hpp"
#include "config/labels.hpp"
#include "config/listen_address.hpp"
#include "config/maintenance_window.hpp"
#include "config/notifier_definition.hpp"
#include "config/tls_settings.hpp"
#include "core/duration.hpp"
#include "core/scope.hpp"

namespace vitals {

/// agent.toml [http]: limits of the HTTP server; see README "HTTP limits".
struct HttpSettings {
    /// Each holds a thread while open; beyond: idle ones are closed first.
    std::size_t max_connections = 1024;
    /// Open connections one client address may hold; 0: half of max_connections.
    std::size_t max_connections_per_client = 0;
    Duration keep_alive_timeout = std::chrono::seconds{30}; ///< idle time between requests
    Duration request_timeout = std::chrono::seconds{5};     ///< first byte to whole request
    unsigned max_keep_alive_requests = 0;                   ///< per connection; 0: no limit
    std::size_t max_header_size = 8 * 1024;                 ///< request line and headers
    std::size_t max_headers = 100;
    std::size_t max_body_size = 64 * 1024; ///< pushed results
    double rate_limit = 100;               ///< requests per second per client address; 0: none
    unsigned rate_burst = 200;
    bool rate_limit_loopback = false; ///< loopback clients (the host itself) are not limited
    bool operator==(const HttpSettings &) const = default;
};

/// One line of the token file: a bearer token and what it may do.
struct AccessToken {
    Scope scope = Scope::read;
    std::string secret;
    std::string name; ///< for logs; never the secret
};

/// agent.toml [access]: who may see and do what over HTTP.
struct AccessSettings {
    std::filesystem::path token_file; ///< empty: no tokens, every caller gets `anonymous`
    std::vector<AccessToken> tokens;
    /// Callers without a token. Default: write without a token file, probe with one.
    Scope anonymous = Scope::write;
};

enum class Isolation { in_process, process };

/// agent.toml [isolation]: which plugins run in worker processes, and their limits.
struct IsolationSettings {
    std::vector<std::string> plugins; ///< plugins isolated for every check using them
    std::uint64_t memory_limit = 0;   ///< bytes of address space per worker; 0: none
    Duration cpu_time_limit{};        ///< CPU time per worker; 0: none
    Duration respawn_backoff = std::chrono::seconds{
        1}; ///< first wait before a crashed worker returns; doubles up to 1 min
    bool operator==(const IsolationSettings &) const = default;
};

/// One [[endpoint]] of agent.toml: an extra route in a chosen response style.
struct EndpointDefinition {
    std::string path; ///< may hold one <name> and one <token> segment
    std::string style = "vitals";
    std::vector<std::string> groups; ///< checks in any of these groups ...
    std::vector<std::string> checks; ///< ... or named here; neither: every check
    std::optional<int> ok_code, warning_code, error_code;
    std::string token; ///< read from token_file; compared to the <token> segment
    SourceLocation where;
    SourceLocation style_where;
    SourceLocation checks_where;

    bool per_check() const { return path.find("<name>") != std::string::npos; }
    bool has_token() const { return path.find("<token>") != std::string::npos; }
};

struct AgentSettings {
    std::string source_file; ///< agent.toml, or empty for the built-in defaults
    ListenAddress listen;
    std::vector<std::filesystem::path> plugin_dirs;
    std::filesystem::path conf_d;
    /// Check runs at once, stuck ones included; probe checks have 4 more (Scheduler).
    unsigned workers = 64;
    std::string log_level = "info";
    HttpSettings http;
    TlsSettings tls;
    AccessSettings access;
    std::size_t history_size = 10; ///< past results kept per check
    /// Where results, history and push deadlines are kept across restarts (state/);
    /// empty: nowhere, every check starts pending.
    std::filesystem::path state_dir;
    /// After SIGTERM, how long readiness answers 503 ("draining") before the
    /// agent stops, so load balancers take it out of rotation first.
    Duration shutdown_delay = std::chrono::seconds{0};
    IsolationSettings isolation;
    std::vector<EndpointDefinition> endpoints;
    Labels labels;                             ///< [labels]: on every check of this agent
    std::vector<NotifierDefinition> notifiers; ///< [[notifier]]
    /// The status page as alert receivers should link it ("https://host:8080"); empty:
    /// http(s)://<host name>:<port> of `listen`.
    std::string external_url;
};

/// One [check.<name>] table from conf.d.
struct CheckDefinition {
    std::string name;
    std::string plugin;
    std::string description;
    Duration interval = std::chrono::seconds{30};
    Duration timeout = std::chrono::seconds{10};
    std::vector<std::string> groups;
    bool enabled = true; ///< false: validated like any other, but never run
    CheckParams params;  ///< the plugin's own parameters
    /// Consecutive results needed before the reported status changes
    /// (Kubernetes' failureThreshold / successThreshold).
    unsigned failure_threshold = 1;
    unsigned success_threshold = 1;
    /// Checks that must not be in error for this one to run.
    std::vector<std::string> depends_on;
    /// Notifiers told of this check's changes, beside those chosen by its groups.
    std::vector<std::string> notify;
    SourceLocation notify_where; ///< its `notify` key
    /// Recurring windows in which it is silenced (no alerts, no actions).
    std::vector<MaintenanceWindow> maintenance;
    /// What to run after failures in a row (alerts/failure_actions.hpp); none if unset.
    std::optional<FailureAction> on_failure;
    /// Where the plugin runs: in the agent, or in a worker process of its own.
    Isolation isolation = Isolation::in_process;
    bool isolation_set = false; ///< the check chose; else agent.toml's [isolation] decides
    /// plugin = "push" only: how long a report stays good (a passive check's deadline).
    std::optional<Duration> ttl;
    /// Every label of the check: `instance` (the host name), agent.toml's [labels], then its
    /// own `labels`, a later one winning.
    Labels labels;
    SourceLocation where;         ///< the check's table
    SourceLocation plugin_where;  ///< its `plugin` key
    SourceLocation depends_where; ///< its `depends_on` key
    /// Every field, params as TOML values. A reload restarts a check when this differs,
    /// but for what plan_reload sets aside on purpose (app/reload_plan.cpp).
    bool operator==(const CheckDefinition &) const = default;
};

/// The groups the Kubernetes probe routes answer for (/health/live, /ready, /startup).
inline constexpr std::array<std::string_view, 3> probe_groups{"live", "ready", "startup"};

inline bool is_probe_group(std::string_view group) {
    return std::find(probe_groups.begin(), probe_groups.end(), group) != probe_groups.end();
}

/// A check a probe answers for: the scheduler keeps places for these that no other check
/// can take, so a probe never fails because unrelated checks hang.
inline bool in_probe_group(const CheckDefinition &check) {
    return std::any_of(check.groups.begin(), check.groups.end(),
                       [](const std::string &group) { return is_probe_group(group); });
}

struct Configuration {
    AgentSettings agent;
    std::vector<CheckDefinition> checks;
};

} // namespace vitals
