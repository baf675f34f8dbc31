// SPDX-License-Identifier: MIT
#include "config/config_reader.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <system_error>

#include <fmt/format.h>

#include "config/access_reader.hpp"
#include "config/conf_d_listing.hpp"
#include "config/failure_action_reader.hpp"
#include "config/notifier_reader.hpp"
#include "config/push_rules.hpp"
#include "config/table_reader.hpp"
#include "core/host_name.hpp"
#include "core/names.hpp"

namespace vitals {
namespace fs = std::filesystem;
namespace {
using namespace std::chrono_literals;

/// A description is shown with every check on every /health: a sentence, not a document.
constexpr std::size_t max_description_bytes = 1024;
constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB, TiB = MiB * MiB;

/// Parses a file from disk, or `text` in its place when given; errors name `file` either way.
std::optional<toml::table> parse_toml(const fs::path &file, const std::string *text,
                                      ConfigErrors &errors) {
    try {
        return text ? toml::parse(*text, file.string()) : toml::parse_file(file.string());
    } catch (const toml::parse_error &error) {
        auto where = location_of(error.source());
        if (where.file.empty()) where.file = file.string();
        errors.push_back({where, "", std::string{error.description()}});
        return std::nullopt;
    }
}

fs::path resolve(const fs::path &base_dir, const std::string &path) {
    const fs::path given{path};
    return given.is_absolute() ? given : (base_dir / given).lexically_normal();
}

void read_http_settings(const toml::table &table, HttpSettings &http, ConfigErrors &errors) {
    TableReader reader{table, "http", errors};
    reader.retired("threads", "each connection now has a thread of its own, up to "
                              "max_connections; remove the line");
    if (auto v = reader.integer("max_connections", 16, 1000000))
        http.max_connections = static_cast<std::size_t>(*v);
    if (auto v = reader.integer("max_connections_per_client", 1, 1000000))
        http.max_connections_per_client = static_cast<std::size_t>(*v);
    if (auto v = reader.duration("keep_alive_timeout", {100ms, 1h})) http.keep_alive_timeout = *v;
    // Below a second a client on a slow link is cut off mid-request or mid-reply.
    if (auto v = reader.duration("request_timeout", {1s, 5min})) http.request_timeout = *v;
    if (auto v = reader.integer("max_keep_alive_requests", 0, 100000000))
        http.max_keep_alive_requests = static_cast<unsigned>(*v);
    // A probe's request line and headers take a few hundred bytes; a browser's, with
    // cookies and a token, a few KiB.
    if (auto v = reader.size("max_header_size", {1 * KiB, 64 * KiB}))
        http.max_header_size = static_cast<std::size_t>(*v);
    // A browser sends about 20 header fields.
    if (auto v = reader.integer("max_headers", 32, 1000))
        http.max_headers = static_cast<std::size_t>(*v);
    // Bodies are push reports, which are refused beyond max_push_body_bytes anyway.
    if (auto v = reader.size("max_body_size", {1 * KiB, max_push_body_bytes}))
        http.max_body_size = static_cast<std::size_t>(*v);
    if (auto v = reader.integer("rate_limit", 0, 10000000))
        http.rate_limit = static_cast<double>(*v);
    if (auto v = reader.integer("rate_burst", 1, 10000000))
        http.rate_burst = static_cast<unsigned>(*v);
    if (auto v = reader.boolean("rate_limit_loopback")) http.rate_limit_loopback = *v;
    if (http.max_connections_per_client > http.max_connections)
        reader.invalid("max_connections_per_client",
                       fmt::format("must be at most max_connections ({}, got {})",
                                   http.max_connections, http.max_connections_per_client));
    reader.reject_unknown_keys();
}

void read_isolation(const toml::table &table, IsolationSettings &isolation, ConfigErrors &errors) {
    TableReader reader{table, "isolation", errors};
    if (auto plugins = reader.strings("plugins")) isolation.plugins = *plugins;
    // A worker takes about 12 MiB of address space before its plugin does anything.
    if (auto limit =
            reader.size("memory_limit", {.min = 32 * MiB, .max = TiB, .zero_means_none = true}))
        isolation.memory_limit = *limit;
    // RLIMIT_CPU counts whole seconds.
    if (auto cpu =
            reader.duration("cpu_time_limit", {.min = 1s, .max = 24h, .zero_means_none = true}))
        isolation.cpu_time_limit = *cpu;
    if (auto backoff = reader.duration("respawn_backoff", {0s, 1h}))
        isolation.respawn_backoff = *backoff;
    reader.reject_unknown_keys();
}

std::optional<std::string> read_token_file(const fs::path &file, std::string &why) {
    if (auto problem = secret_file_problem(file)) {
        why = *problem;
        return std::nullopt;
    }
    std::ifstream in{file};
    if (!in) {
        why = fmt::format("cannot read token file '{}'", file.string());
        return std::nullopt;
    }
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == '\r' || token.back() == ' '))
        token.pop_back();
    if (token.empty()) {
        why = fmt::format("token file '{}' is empty", file.string());
        return std::nullopt;
    }
    return token;
}

/// Shape checks only; styles and check names are validated once the whole
/// configuration is known (validate_endpoints, http/health_routes.hpp).
std::optional<EndpointDefinition> read_endpoint(const toml::table &table, std::size_t index,
                                                const fs::path &base_dir, ConfigErrors &errors) {
    EndpointDefinition endpoint;
    endpoint.where = location_of(table.source());
    const std::size_t errors_before = errors.size();
    TableReader reader{table, fmt::format("endpoint[{}]", index), errors};
    if (auto path = reader.string("path")) {
        endpoint.path = *path;
        if (!path->starts_with('/')) reader.invalid("path", "must start with '/'");
    } else if (!table.contains("path")) {
        reader.missing("path");
    }
    if (auto style = reader.string("style")) {
        endpoint.style = *style;
        endpoint.style_where = location_of(table.get("style")->source());
    }
    if (auto groups = reader.strings("groups")) endpoint.groups = *groups;
    if (auto checks = reader.strings("checks")) {
        endpoint.checks = *checks;
        endpoint.checks_where = location_of(table.get("checks")->source());
    }
    if (const auto *codes = reader.table("codes")) {
        TableReader code_reader{*codes, reader.path("codes"), errors};
        if (auto v = code_reader.integer("ok", 100, 599)) endpoint.ok_code = static_cast<int>(*v);
        if (auto v = code_reader.integer("warning", 100, 599))
            endpoint.warning_code = static_cast<int>(*v);
        if (auto v = code_reader.integer("error", 100, 599))
            endpoint.error_code = static_cast<int>(*v);
        code_reader.reject_unknown_keys();
    }
    if (const toml::node *node = table.get("token_file"); node && node->is_table()) {
        if (auto token = reader.secret("token_file", base_dir)) endpoint.token = *token;
    } else if (auto token_file = reader.string("token_file")) {
        std::string why;
        if (auto token = read_token_file(resolve(base_dir, *token_file), why))
            endpoint.token = *token;
        else
            reader.invalid("token_file", why);
    } else if (endpoint.has_token()) {
        reader.invalid("path", "a <token> segment needs token_file");
    }
    reader.reject_unknown_keys();
    if (errors.size() != errors_before) return std::nullopt;
    return endpoint;
}

/// Returns where agent.toml sets conf_d, if it does, for the "does not exist" error.
std::optional<SourceLocation> read_agent_file(const fs::path &file, const std::string *text,
                                              AgentSettings &agent, ConfigErrors &errors) {
    const auto document = parse_toml(file, text, errors);
    if (!document) return std::nullopt;
    agent.source_file = file.string();
    const fs::path base_dir = fs::absolute(file).parent_path();
    TableReader reader{*document, "", errors};

    if (auto listen = reader.string("listen")) {
        if (auto address = parse_listen_address(*listen))
            agent.listen = *address;
        else
            reader.invalid("listen", fmt::format("\"{}\" is not HOST:PORT", *listen));
    }
    if (auto dirs = reader.strings("plugin_dirs")) {
        agent.plugin_dirs.clear();
        for (const auto &dir : *dirs)
            agent.plugin_dirs.push_back(resolve(base_dir, dir));
    }
    std::optional<SourceLocation> conf_d_where;
    if (auto conf_d = reader.string("conf_d")) {
        agent.conf_d = resolve(base_dir, *conf_d);
        conf_d_where = location_of(document->get("conf_d")->source());
    }
    if (auto workers = reader.integer("workers", 1, 1024))
        agent.workers = static_cast<unsigned>(*workers);
    if (auto level = reader.string("log_level")) {
        if (*level == "debug" || *level == "info" || *level == "warning" || *level == "error")
            agent.log_level = *level;
        else
            reader.invalid("log_level", "expected one of debug, info, warning, error");
    }
    if (const auto *http = reader.table("http")) read_http_settings(*http, agent.http, errors);
    if (const auto *tls = reader.table("tls")) read_tls(*tls, base_dir, agent.tls, errors);
    if (const auto *access = reader.table("access"))
        read_access(*access, base_dir, agent.access, errors);
    if (auto delay = reader.duration("shutdown_delay", {0s, 10min})) agent.shutdown_delay = *delay;
    if (const auto *isolation = reader.table("isolation"))
        read_isolation(*isolation, agent.isolation, errors);
    if (auto history = reader.integer("history", 0, 1000))
        agent.history_size = static_cast<std::size_t>(*history);
    if (auto state_dir = reader.string("state_dir"))
        agent.state_dir = state_dir->empty() ? fs::path{} : resolve(base_dir, *state_dir);
    if (const auto *labels = reader.table("labels"))
        agent.labels = read_labels(*labels, "labels", errors);
    if (auto url = reader.string("external_url")) {
        if (!url->starts_with("http://") && !url->starts_with("https://"))
            reader.invalid("external_url", "expected an http:// or https:// URL");
        while (url->ends_with('/'))
            url->pop_back();
        agent.external_url = *url;
    }
    if (const auto *endpoints = reader.array("endpoint")) {
        std::size_t index = 0;
        for (const toml::node &node : *endpoints) {
            if (const auto *table = node.as_table()) {
                if (auto endpoint = read_endpoint(*table, index, base_dir, errors))
                    agent.endpoints.push_back(std::move(*endpoint));
            } else {
                errors.push_back({location_of(node.source()), fmt::format("endpoint[{}]", index),
                                  "expected a table: write [[endpoint]]"});
            }
            ++index;
        }
    }
    if (const auto *notifiers = reader.array("notifier"))
        agent.notifiers = read_notifiers(*notifiers, base_dir, errors);
    reader.reject_unknown_keys();
    return conf_d_where;
}

/// A push check is not run but reported to, so it has a ttl and none of the
/// keys that only mean something for a plugin the agent runs. Its interval
/// becomes how often the agent looks at the ttl, and is not the user's to set.
void apply_push_rules(CheckDefinition &check, TableReader &reader) {
    const auto &table = reader.raw();
    if (check.plugin != push_plugin_name) {
        if (check.ttl) reader.invalid("ttl", "only push checks (plugin = \"push\") have a ttl");
        return;
    }
    if (!table.contains("ttl")) reader.missing("ttl");
    for (const char *key : {"params", "interval", "timeout", "isolation", "depends_on"})
        if (table.contains(key))
            reader.invalid(key, fmt::format("push checks take no {}: they are reported to, not "
                                            "run (ttl says how long a report stays good)",
                                            key));
    check.interval = push_evaluation_interval(check.ttl.value_or(std::chrono::seconds{1}));
    check.timeout = check.interval;
}

class CheckFileReader {
public:
    CheckFileReader(ConfigErrors &errors, std::map<std::string, SourceLocation> &seen)
        : errors_(errors), seen_(seen) {}

    void read(const fs::path &file, const std::string *text, std::vector<CheckDefinition> &checks) {
        auto parsed = parse_toml(file, text, errors_);
        if (!parsed) return;
        // Shared so that each check's params can point into it: copying a
        // toml::table drops every source region, and with them the error lines.
        const auto document = std::make_shared<toml::table>(std::move(*parsed));
        TableReader reader{*document, "", errors_};
        // Mutable: each check's secret references are replaced by the secrets they name.
        if (reader.table("check")) {
            for (auto &[name, node] : *document->get_as<toml::table>("check")) {
                if (auto *table = node.as_table()) {
                    if (auto check =
                            read_check(name, *table, document, fs::absolute(file).parent_path()))
                        checks.push_back(std::move(*check));
                } else {
                    errors_.push_back({location_of(node.source()),
                                       "check." + std::string{name.str()},
                                       "expected a table [check." + std::string{name.str()} + "]"});
                }
            }
        }
        reader.reject_unknown_keys();
    }

private:
    std::optional<CheckDefinition> read_check(const toml::key &name, toml::table &table,
                                              const std::shared_ptr<const toml::table> &document,
                                              const fs::path &base_dir) {
        CheckDefinition check;
        check.name = name.str();
        check.where = location_of(table.source());
        const std::string prefix = "check." + check.name;
        const std::size_t errors_before = errors_.size();
        TableReader reader{table, prefix, errors_};

        if (!is_valid_name(check.name))
            errors_.push_back({location_of(name.source()), prefix,
                               "check names use letters, digits, '_', '-' and '.' (at most 128)"});
        if (auto plugin = reader.string("plugin")) {
            check.plugin = *plugin;
            check.plugin_where = location_of(table.get("plugin")->source());
        } else if (!table.contains("plugin")) {
            reader.missing("plugin");
        }
        if (auto description = reader.text("description", max_description_bytes))
            check.description = *description;
        if (auto interval = reader.duration("interval", {10ms, 31 * 24h}))
            check.interval = *interval;
        if (auto timeout = reader.duration("timeout", {1ms, 1h}))
            check.timeout = *timeout;
        else
            check.timeout = std::min(check.timeout, check.interval);
        if (auto groups = reader.strings("groups")) {
            for (const auto &group : *groups)
                if (!is_valid_name(group))
                    reader.invalid("groups",
                                   fmt::format("\"{}\" is not a valid group name", group));
            check.groups = std::move(*groups);
        }
        if (reader.table("params")) {
            auto *params = table.get_as<toml::table>("params");
            auto references =
                resolve_secret_references(*params, base_dir, prefix + ".params", errors_);
            check.params = CheckParams{std::shared_ptr<const toml::table>(document, params),
                                       std::move(references)};
        } else {
            check.params = std::make_shared<const toml::table>();
        }
        check.enabled = reader.boolean("enabled").value_or(true);
        if (auto v = reader.integer("failure_threshold", 1, 1000))
            check.failure_threshold = static_cast<unsigned>(*v);
        if (auto v = reader.integer("success_threshold", 1, 1000))
            check.success_threshold = static_cast<unsigned>(*v);
        if (auto depends = reader.strings("depends_on")) {
            check.depends_on = std::move(*depends);
            check.depends_where = location_of(table.get("depends_on")->source());
        }
        if (auto notify = reader.strings("notify")) {
            check.notify = std::move(*notify);
            check.notify_where = location_of(table.get("notify")->source());
        }
        if (auto windows = reader.strings("maintenance"))
            for (const auto &text : *windows) {
                auto parsed = parse_maintenance_window(text);
                if (auto *window = std::get_if<MaintenanceWindow>(&parsed))
                    check.maintenance.push_back(std::move(*window));
                else
                    reader.invalid("maintenance",
                                   fmt::format("\"{}\": {}", text, std::get<std::string>(parsed)));
            }
        if (auto isolation = reader.string("isolation")) {
            check.isolation_set = true;
            if (*isolation == "process")
                check.isolation = Isolation::process;
            else if (*isolation != "in_process")
                reader.invalid("isolation", "expected \"in_process\" or \"process\"");
        }
        if (const auto *labels = reader.table("labels"))
            check.labels = read_labels(*labels, prefix + ".labels", errors_);
        // Inline (on_failure = { ... }) or a [check.x.on_failure] table: the same to TOML.
        if (const auto *on_failure = reader.table("on_failure"))
            check.on_failure = read_failure_action(*on_failure, prefix, errors_);
        // A push check's ttl may cover a yearly job.
        check.ttl = reader.duration("ttl", {100ms, 366 * 24h});
        apply_push_rules(check, reader);
        reader.reject_unknown_keys();

        const auto [previous, inserted] = seen_.emplace(check.name, check.where);
        if (!inserted) {
            errors_.push_back(
                {check.where, prefix,
                 fmt::format("duplicate check name '{}', first defined at {}:{}", check.name,
                             previous->second.file, previous->second.line)});
        }
        if (errors_.size() != errors_before) return std::nullopt;
        return check;
    }

    ConfigErrors &errors_;
    std::map<std::string, SourceLocation> &seen_;
};

/// Every check's labels: the host's name as `instance`, agent.toml's [labels], then the
/// check's own, a later one winning.
void add_agent_labels(Configuration &config) {
    Labels agent{{"instance", host_name()}};
    for (const auto &[name, value] : config.agent.labels)
        agent.insert_or_assign(name, value);
    for (auto &check : config.checks) {
        Labels own = std::move(check.labels);
        check.labels = agent;
        for (auto &[name, value] : own)
            check.labels.insert_or_assign(name, std::move(value));
    }
}

} // namespace

ConfigReadResult read_configuration(const std::optional<fs::path> &agent_file,
                                    const AgentSettings &defaults) {
    ConfigReadResult result;
    result.config.agent = defaults;
    std::optional<SourceLocation> conf_d_where;
    if (agent_file)
        conf_d_where = read_agent_file(*agent_file, nullptr, result.config.agent, result.errors);

    const fs::path &conf_d = result.config.agent.conf_d;
    std::error_code ec;
    if (conf_d.empty() || !fs::is_directory(conf_d, ec)) {
        result.errors.push_back(
            {conf_d_where.value_or(SourceLocation{result.config.agent.source_file}), "conf_d",
             fmt::format("conf.d directory '{}' does not exist", conf_d.string())});
        return result;
    }
    std::map<std::string, SourceLocation> seen;
    CheckFileReader reader{result.errors, seen};
    for (const auto &file : conf_d_files(conf_d, result.errors, result.skipped))
        reader.read(file, nullptr, result.config.checks);
    add_agent_labels(result.config);
    return result;
}

ConfigReadResult read_configuration(const std::optional<ConfigText> &agent_file,
                                    const std::vector<ConfigText> &conf_d_files,
                                    const AgentSettings &defaults) {
    ConfigReadResult result;
    result.config.agent = defaults;
    if (agent_file)
        read_agent_file(agent_file->file, &agent_file->text, result.config.agent, result.errors);
    std::map<std::string, SourceLocation> seen;
    CheckFileReader reader{result.errors, seen};
    for (const auto &file : conf_d_files)
        reader.read(file.file, &file.text, result.config.checks);
    add_agent_labels(result.config);
    return result;
}

} // namespace vitals
