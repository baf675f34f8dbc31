// SPDX-License-Identifier: MIT
#include "config/definition_text.hpp"

#include <sstream>

#include <toml++/toml.h>

namespace vitals {
namespace {

toml::array string_array(const std::vector<std::string> &strings) {
    toml::array array;
    for (const auto &text : strings)
        array.push_back(text);
    return array;
}

std::int64_t nanoseconds(Duration duration) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
}

std::string as_text(const toml::table &table) {
    std::ostringstream out;
    out << toml::toml_formatter{table};
    return out.str();
}

} // namespace

std::string definition_text(const CheckDefinition &definition) {
    // Bound by name, all of them: a field added to CheckDefinition does not compile here
    // until it is written out too, so a changed value can never go unrecognised.
    const auto &[name, plugin, description, interval, timeout, groups, enabled, params,
                 failure_threshold, success_threshold, depends_on, notify, notify_where,
                 maintenance, on_failure, isolation, isolation_set, ttl, labels, where,
                 plugin_where, depends_where] = definition;
    // Where alerts go, when it is quiet and what is run when it fails are not what the
    // check is: its results stay its own when they change.
    static_cast<void>(notify);
    static_cast<void>(notify_where);
    static_cast<void>(maintenance);
    static_cast<void>(on_failure);
    toml::table table{
        {"name", name},
        {"plugin", plugin},
        {"description", description},
        {"interval_ns", nanoseconds(interval)},
        {"timeout_ns", nanoseconds(timeout)},
        {"groups", string_array(groups)},
        {"enabled", enabled},
        {"params", params ? *params : toml::table{}},
        {"failure_threshold", static_cast<std::int64_t>(failure_threshold)},
        {"success_threshold", static_cast<std::int64_t>(success_threshold)},
        {"depends_on", string_array(depends_on)},
        {"isolation", isolation == Isolation::process ? "process" : "in_process"},
        {"isolation_set", isolation_set},
    };
    if (ttl) table.insert("ttl_ns", nanoseconds(*ttl));
    toml::table label_table;
    for (const auto &[label, value] : labels)
        label_table.insert(label, value);
    table.insert("labels", std::move(label_table));
    return as_text(table);
}

std::string isolation_text(const IsolationSettings &isolation) {
    const auto &[plugins, memory_limit, cpu_time_limit, respawn_backoff] = isolation;
    return as_text(toml::table{
        {"plugins", string_array(plugins)},
        {"memory_limit", static_cast<std::int64_t>(memory_limit)},
        {"cpu_time_limit_ns", nanoseconds(cpu_time_limit)},
        {"respawn_backoff_ns", nanoseconds(respawn_backoff)},
    });
}

} // namespace vitals
