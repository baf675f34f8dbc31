// The vitals_host_api table: C entry points into the host. SPDX-License-Identifier: MIT
//
// Every function here is called from plugin code that may be plain C, so
// nothing may unwind out of them: each body is wrapped in `guarded`, which
// turns any exception (realistically bad_alloc) into a failure code.
#include <chrono>
#include <cstring>
#include <string>

#include <fmt/format.h>

#include "checks/host_context.hpp"
#include "checks/param_values.hpp"
#include "checks/plugin_text.hpp"
#include "core/log.hpp"

namespace vitals {
namespace {

constexpr int param_ok = 0;
constexpr int param_failed = -1;
/// A log line is one line, like a result message, but may say more.
constexpr std::size_t max_log_line_bytes = 16 * 1024;

template <class Body> auto guarded(auto failure, Body &&body) noexcept -> decltype(failure) {
    try {
        return body();
    } catch (const std::exception &e) {
        log(LogLevel::error, "host", "host function failed: {}", e.what());
    } catch (...) {
        log(LogLevel::error, "host", "host function failed");
    }
    return failure;
}

template <class Context> Context *phase(vitals_context *ctx, const char *function) {
    if (auto *typed = dynamic_cast<Context *>(ctx)) return typed;
    log(LogLevel::error, "host", "{}: plugin called {}() outside its allowed phase; ignored",
        ctx ? ctx->check_name : "?", function);
    return nullptr;
}

std::optional<ParamValue> resolve_param(CreateContext &create, const char *key, std::int32_t type) {
    if (!key) {
        create.error("", "plugin asked for a parameter with a NULL key");
        return std::nullopt;
    }
    if (const toml::node *node = create.node(key)) {
        auto converted = param_from_node(*node, type);
        if (auto *value = std::get_if<ParamValue>(&converted)) return std::move(*value);
        create.error(key, std::get<std::string>(converted));
        return std::nullopt;
    }
    if (const char *fallback = create.default_text(key)) {
        auto converted = param_from_text(fallback, type);
        if (auto *value = std::get_if<ParamValue>(&converted)) return std::move(*value);
        create.error(key, "plugin bug: " + std::get<std::string>(converted));
        return std::nullopt;
    }
    create.error(key, fmt::format("missing required parameter '{}'", key));
    return std::nullopt;
}

template <class T>
int read_param(vitals_context *ctx, const char *key, std::int32_t type, T *out,
               const char *function) {
    return guarded(param_failed, [&] {
        auto *create = phase<CreateContext>(ctx, function);
        if (!create || !out) return param_failed;
        auto value = resolve_param(*create, key, type);
        if (!value) return param_failed;
        if constexpr (std::is_same_v<T, const char *>) {
            *out = create->keep(std::get<std::string>(*value));
        } else if constexpr (std::is_same_v<T, int>) {
            *out = std::get<bool>(*value) ? 1 : 0;
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
            *out = type == VITALS_PARAM_DURATION ? std::get<Duration>(*value).count()
                                                 : std::get<std::int64_t>(*value);
        } else {
            *out = std::get<T>(*value);
        }
        return param_ok;
    });
}

void host_log(vitals_context *ctx, int32_t level, const char *message) {
    guarded(0, [&] {
        const auto log_level = level <= VITALS_LOG_DEBUG     ? LogLevel::debug
                               : level == VITALS_LOG_INFO    ? LogLevel::info
                               : level == VITALS_LOG_WARNING ? LogLevel::warning
                                                             : LogLevel::error;
        // Cleaned as result messages are: ESC sequences and invalid UTF-8 never reach the log.
        const std::string line = clean_plugin_text(message ? message : "", max_log_line_bytes,
                                                   ctx ? ctx->secrets.get() : nullptr);
        log(log_level, "plugin", "{}: {}", ctx ? ctx->check_name : "?", line);
        if (ctx) ctx->logged(level, line);
        return 0;
    });
}

int param_has(vitals_context *ctx, const char *key) {
    return guarded(0, [&] {
        auto *create = phase<CreateContext>(ctx, "param_has");
        return create && key && (create->node(key) || create->default_text(key)) ? 1 : 0;
    });
}

int param_string(vitals_context *ctx, const char *key, const char **out) {
    return read_param(ctx, key, VITALS_PARAM_STRING, out, "param_string");
}
int param_int(vitals_context *ctx, const char *key, int64_t *out) {
    return read_param(ctx, key, VITALS_PARAM_INT, out, "param_int");
}
int param_float(vitals_context *ctx, const char *key, double *out) {
    return read_param(ctx, key, VITALS_PARAM_FLOAT, out, "param_float");
}
int param_bool(vitals_context *ctx, const char *key, int *out) {
    return read_param(ctx, key, VITALS_PARAM_BOOL, out, "param_bool");
}
int param_duration_ns(vitals_context *ctx, const char *key, int64_t *out) {
    return read_param(ctx, key, VITALS_PARAM_DURATION, out, "param_duration_ns");
}

int param_string_list(vitals_context *ctx, const char *key, const char *const **items,
                      size_t *count) {
    return guarded(param_failed, [&] {
        auto *create = phase<CreateContext>(ctx, "param_string_list");
        if (!create || !items || !count) return param_failed;
        auto value = resolve_param(*create, key, VITALS_PARAM_STRING_LIST);
        if (!value) return param_failed;
        std::vector<const char *> pointers;
        for (auto &item : std::get<std::vector<std::string>>(*value))
            pointers.push_back(create->keep(std::move(item)));
        *count = pointers.size();
        pointers.push_back(nullptr); // a C caller may also walk to the NULL
        *items = create->keep(std::move(pointers));
        return param_ok;
    });
}

void param_error(vitals_context *ctx, const char *key, const char *message) {
    guarded(0, [&] {
        if (auto *create = phase<CreateContext>(ctx, "param_error"))
            create->error(key ? key : "", message && *message ? message : "rejected by the plugin");
        return 0;
    });
}

int64_t time_left_ns(vitals_context *ctx) {
    return guarded(std::int64_t{0}, [&]() -> std::int64_t {
        auto *run = phase<RunContext>(ctx, "time_left_ns");
        if (!run) return 0;
        return (run->deadline() - std::chrono::steady_clock::now()).count();
    });
}

void set_result(vitals_context *ctx, int32_t status, const char *message) {
    guarded(0, [&] {
        if (auto *run = phase<RunContext>(ctx, "set_result")) run->set_result(status, message);
        return 0;
    });
}

void add_metric(vitals_context *ctx, const char *name, double value, const char *unit) {
    guarded(0, [&] {
        if (auto *run = phase<RunContext>(ctx, "add_metric")) run->add_metric(name, value, unit);
        return 0;
    });
}

constexpr std::int32_t metric_kept = 0;
constexpr std::int32_t metric_dropped = 1;

int32_t add_metric_ex(vitals_context *ctx, const vitals_metric *metric) {
    return guarded(metric_dropped, [&] {
        auto *run = phase<RunContext>(ctx, "add_metric_ex");
        return run && run->add_metric_ex(metric) ? metric_kept : metric_dropped;
    });
}

/// Every phase has the check's name and schedule; run() adds attempt and previous status
/// (init() and deinit() have the plugin's name and no schedule).
const vitals_run_info *run_info(vitals_context *ctx) {
    static const vitals_run_info nothing{sizeof(vitals_run_info), -1, "", 0, 0, 0};
    return ctx ? &ctx->run_info : &nothing;
}

int cancel_fd(vitals_context *ctx) {
    return guarded(-1, [&] {
        auto *run = phase<RunContext>(ctx, "cancel_fd");
        return run ? run->cancel_fd() : -1;
    });
}

// clang-format off
constexpr vitals_host_api table{
    VITALS_ABI_MAJOR,   VITALS_ABI_MINOR,   sizeof(vitals_host_api),
    &host_log,          &param_has,         &param_string,
    &param_int,         &param_float,       &param_bool,
    &param_duration_ns, &param_string_list, &param_error,
    &time_left_ns,      &set_result,        &add_metric,
    // ---- 1.1 ----
    &add_metric_ex,     &run_info,          &cancel_fd,
};
// clang-format on

} // namespace

const vitals_host_api &host_api() {
    return table;
}

} // namespace vitals
