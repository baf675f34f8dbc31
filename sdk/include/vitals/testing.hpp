// Vitals checker plugin SDK: a mock host for unit tests. SPDX-License-Identifier: MIT
#pragma once

// Unit-test a plugin without the agent: this header implements the host side of
// <vitals/plugin.h> in the test process. It loads the plugin (dlopen() of the built .so,
// or its entry function linked into the test), validates parameters against the declared
// table as the agent does, calls create(), run() and destroy() with a fake clock, and
// keeps everything the plugin reported: results, metrics, parameter problems, log lines,
// and calls it made where the contract forbids them.
//
//     vitals::testing::Host host;                        // an ABI 1.1 agent
//     vitals::testing::Plugin plugin{host, "build/spool.so"};
//     auto check = plugin.create({{"path", "/var/spool/outbox"}, {"warning", 2}});
//     REQUIRE(check.created());                          // else check.problems() says why
//     const auto result = check.run();
//     CHECK(result.status == VITALS_STATUS_WARNING);
//     CHECK(result.metric("files")->value == 3);
//
// vitals::testing::Host{vitals::testing::HostAbi::v1_0} hands the plugin a host table of the
// size a 1.0 agent has, to test that a 1.1 plugin checks VITALS_HOST_HAS before calling a
// newer function: such a call is recorded in host.misuses() instead of crashing.
//
// Not the agent: no conf.d files (so problems carry no file and line), no secret redaction,
// no text cleaning, no threads or isolation. It is single-threaded: use one Host per thread.
// Header-only, C++17; link with ${CMAKE_DL_LIBS} where dlopen() is not in libc.

#include <vitals/plugin.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

namespace vitals::testing {

using std::chrono::nanoseconds;

/// A parameter's value as conf.d gives it: a TOML string, integer, float, boolean or array
/// of strings. Durations are strings, as in conf.d ("500ms", "1m30s").
class Value {
public:
    using Variant = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;

    Value(const char *text) : value_(std::string{text}) {}
    Value(std::string text) : value_(std::move(text)) {}
    Value(int number) : value_(std::int64_t{number}) {}
    Value(long number) : value_(static_cast<std::int64_t>(number)) {}
    Value(long long number) : value_(static_cast<std::int64_t>(number)) {}
    Value(double number) : value_(number) {}
    Value(bool flag) : value_(flag) {}
    Value(std::vector<std::string> items) : value_(std::move(items)) {}
    Value(std::initializer_list<const char *> items)
        : value_(std::vector<std::string>(items.begin(), items.end())) {}
    /// A duration, written as the string conf.d would hold ("1500000000ns").
    template <class Rep, class Period>
    Value(std::chrono::duration<Rep, Period> duration)
        : value_(std::to_string(std::chrono::duration_cast<nanoseconds>(duration).count()) + "ns") {
    }

    const Variant &get() const { return value_; }

private:
    Variant value_;
};

/// A check's `params`, in the order written.
using Params = std::vector<std::pair<std::string, Value>>;

/// Which agent the mock host stands for: the size of the table it hands out.
enum class HostAbi {
    v1_0, ///< struct_size = offsetof(vitals_host_api, add_metric_ex); no init/deinit/destroy_ex
    v1_1, ///< the whole 1.1 table
};

/// What the host recorded against the parameters (key "" for the check as a whole).
struct Problem {
    std::string key;
    std::string message;
    bool operator==(const Problem &other) const {
        return key == other.key && message == other.message;
    }
};

struct LogLine {
    std::int32_t level = VITALS_LOG_INFO;
    std::string message;
    std::string phase; ///< "init", "create", "run", "destroy" or "deinit"
};

struct Label {
    std::string name;
    std::string value;
    bool operator==(const Label &other) const { return name == other.name && value == other.value; }
};

/// A metric as the host kept it, from add_metric() or add_metric_ex().
struct Metric {
    std::string name;
    double value = 0;
    std::string unit;
    std::int32_t kind = VITALS_METRIC_GAUGE;
    std::vector<Label> labels;
    std::optional<double> warn, crit, min, max;
    bool extended = false; ///< reported through add_metric_ex()
};

/// One run's outcome, as the agent would record it.
struct Result {
    std::int32_t status = VITALS_STATUS_ERROR;
    std::string message;
    bool timed_out = false; ///< the fake clock ran out: the agent ignores what the plugin said
    /// What the plugin itself passed to set_result(), if it did.
    std::optional<std::int32_t> reported_status;
    std::string reported_message;
    std::vector<Metric> metrics;
    std::vector<std::string> dropped_metrics; ///< "name: why", one per metric the host refused
    std::vector<LogLine> logs;

    /// The metric with this name (and exactly these labels), or nullptr.
    const Metric *metric(const std::string &name, const std::vector<Label> &labels = {}) const {
        for (const auto &metric : metrics)
            if (metric.name == name && metric.labels == labels) return &metric;
        return nullptr;
    }
};

namespace detail {

struct HostState;
struct PluginState;
struct CheckState;

enum class Phase { init, create, run, destroy, deinit };

inline const char *phase_name(Phase phase) {
    switch (phase) {
    case Phase::init:
        return "init";
    case Phase::create:
        return "create";
    case Phase::run:
        return "run";
    case Phase::destroy:
        return "destroy";
    case Phase::deinit:
        return "deinit";
    }
    return "?";
}

inline std::string format_number(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

/// The agent's duration syntax: numbers with ns, us, ms, s, m, h or d, summed ("1m30s").
inline std::optional<std::int64_t> parse_duration_ns(const std::string &text) {
    static const std::pair<const char *, double> units[] = {
        {"ns", 1},   {"us", 1e3},   {"ms", 1e6},   {"s", 1e9},
        {"m", 60e9}, {"h", 3600e9}, {"d", 86400e9}};
    if (text.empty()) return std::nullopt;
    double total = 0;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t start = at;
        while (at < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[at])) || text[at] == '.'))
            ++at;
        if (at == start) return std::nullopt;
        char *end = nullptr;
        const std::string number = text.substr(start, at - start);
        const double value = std::strtod(number.c_str(), &end);
        if (end != number.c_str() + number.size()) return std::nullopt;
        bool matched = false;
        for (const auto &[suffix, scale] : units) {
            const std::size_t length = std::strlen(suffix);
            if (text.compare(at, length, suffix) == 0) {
                total += value * scale;
                at += length;
                matched = true;
                break;
            }
        }
        if (!matched) return std::nullopt;
    }
    if (!std::isfinite(total) || total >= 0x1p63) return std::nullopt;
    return static_cast<std::int64_t>(std::llround(total));
}

inline const char *type_name(std::int32_t type) {
    switch (type) {
    case VITALS_PARAM_STRING:
        return "a string";
    case VITALS_PARAM_INT:
        return "an integer";
    case VITALS_PARAM_FLOAT:
        return "a number";
    case VITALS_PARAM_BOOL:
        return "a boolean";
    case VITALS_PARAM_DURATION:
        return "a duration string such as \"500ms\" or \"10s\"";
    case VITALS_PARAM_STRING_LIST:
        return "an array of strings";
    default:
        return "an unknown type";
    }
}

inline const char *value_type_name(const Value::Variant &value) {
    static const char *const names[] = {"a string", "an integer", "a float", "a boolean",
                                        "an array"};
    return names[value.index()];
}

/// A parameter converted to its declared type: what a getter hands out.
using Typed = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;

/// `value` as `type`, or why it is not one.
inline std::variant<Typed, std::string> convert(const Value::Variant &value, std::int32_t type) {
    const auto mismatch = [&] {
        return std::string{"expected "} + type_name(type) + ", got " + value_type_name(value);
    };
    switch (type) {
    case VITALS_PARAM_STRING:
        if (auto *text = std::get_if<std::string>(&value)) return Typed{*text};
        return mismatch();
    case VITALS_PARAM_INT:
        if (auto *number = std::get_if<std::int64_t>(&value)) return Typed{*number};
        return mismatch();
    case VITALS_PARAM_FLOAT:
        if (auto *number = std::get_if<double>(&value)) return Typed{*number};
        if (auto *number = std::get_if<std::int64_t>(&value))
            return Typed{static_cast<double>(*number)};
        return mismatch();
    case VITALS_PARAM_BOOL:
        if (auto *flag = std::get_if<bool>(&value)) return Typed{*flag};
        return mismatch();
    case VITALS_PARAM_DURATION:
        if (auto *text = std::get_if<std::string>(&value)) {
            if (auto ns = parse_duration_ns(*text)) return Typed{*ns};
            return "\"" + *text + "\" is not " + type_name(type);
        }
        return mismatch();
    case VITALS_PARAM_STRING_LIST:
        if (auto *items = std::get_if<std::vector<std::string>>(&value)) return Typed{*items};
        return mismatch();
    default:
        return "unknown parameter type " + std::to_string(type);
    }
}

/// A declared default (text, as the user would write it) as `type`.
inline std::variant<Typed, std::string> convert_default(const std::string &text,
                                                        std::int32_t type) {
    switch (type) {
    case VITALS_PARAM_STRING:
    case VITALS_PARAM_DURATION:
        return convert(Value{text}.get(), type);
    case VITALS_PARAM_INT:
    case VITALS_PARAM_FLOAT: {
        char *end = nullptr;
        if (type == VITALS_PARAM_INT) {
            const long long number = std::strtoll(text.c_str(), &end, 10);
            if (!text.empty() && end == text.c_str() + text.size())
                return Typed{static_cast<std::int64_t>(number)};
        } else {
            const double number = std::strtod(text.c_str(), &end);
            if (!text.empty() && end == text.c_str() + text.size()) return Typed{number};
        }
        break;
    }
    case VITALS_PARAM_BOOL:
        if (text == "true" || text == "false") return Typed{text == "true"};
        break;
    case VITALS_PARAM_STRING_LIST: {
        std::vector<std::string> items;
        std::istringstream in{text};
        for (std::string item; std::getline(in, item, ',');) {
            item.erase(0, item.find_first_not_of(' '));
            item.erase(item.find_last_not_of(' ') + 1);
            if (!item.empty()) items.push_back(item);
        }
        return Typed{items};
    }
    }
    return "default \"" + text + "\" is not " + type_name(type);
}

inline bool valid_name(const char *name, bool label) {
    if (!name || !*name || std::strlen(name) > 128) return false;
    if (label && std::strncmp(name, "__", 2) == 0) return false;
    for (const char *c = name; *c; ++c) {
        const bool letter = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_';
        if (!letter && !(c != name && *c >= '0' && *c <= '9')) return false;
    }
    return true;
}

/// The state of one call into the plugin; its address is the vitals_context the plugin sees.
struct Call {
    Call(HostState &host_state, Phase call_phase, PluginState &plugin_state,
         CheckState *check_state)
        : host(&host_state), phase(call_phase), plugin(&plugin_state), check(check_state) {}

    HostState *host;
    Phase phase;
    PluginState *plugin;
    CheckState *check; ///< null in init() and deinit()
    std::deque<std::string> kept_strings;
    std::deque<std::vector<const char *>> kept_lists;
    std::vector<Problem> problems;
    std::vector<LogLine> logs;
    // run() only
    std::optional<std::int32_t> status;
    std::string message;
    std::vector<Metric> metrics;
    std::vector<std::string> dropped_metrics;
    int cancel_pipe[2] = {-1, -1};
    std::int64_t deadline_ns = 0;
    std::atomic<bool> expired{false};

    vitals_context *context() { return reinterpret_cast<vitals_context *>(this); }
    static Call &of(vitals_context *ctx) { return *reinterpret_cast<Call *>(ctx); }
    void expire() {
        if (expired.exchange(true) || cancel_pipe[1] < 0) return;
        const char byte = 1;
        [[maybe_unused]] const auto written = ::write(cancel_pipe[1], &byte, 1);
    }
};

struct HostState {
    HostAbi abi;
    vitals_host_api table{};
    std::vector<std::string> misuses;
    std::vector<LogLine> logs;
    // The fake clock.
    std::int64_t now_ns = 0;
    std::int64_t step_per_read_ns = 0;
    std::optional<std::chrono::milliseconds> real_time_budget;
    // What create() takes for the run info.
    std::string check_name = "test";
    nanoseconds interval = std::chrono::seconds{30};
    nanoseconds timeout = std::chrono::seconds{5};
    std::optional<nanoseconds> time_left; ///< for the next run only, instead of timeout

    void misuse(const std::string &what) { misuses.push_back(what); }
};

/// One declared parameter, read from the plugin's table with its own stride.
struct Spec {
    std::string key;
    std::int32_t type = 0;
    bool required = false;
    std::optional<std::string> default_value;
    std::optional<double> min, max;
    std::vector<std::string> choices;
};

struct PluginState {
    std::shared_ptr<HostState> host;
    void *library = nullptr; ///< dlopen() handle, or null for a linked entry
    vitals_plugin descriptor{};
    std::string path;
    std::vector<Spec> specs;
    bool declares_params = false;
    std::optional<std::string> refusal;
    bool initialised = false;

    ~PluginState();
};

struct CheckState {
    std::shared_ptr<PluginState> plugin;
    void *instance = nullptr;
    vitals_run_info info{};
    std::string name;
    Params params;
    std::int32_t previous_status = -1;
    std::uint32_t non_ok_in_a_row = 0;
    bool destroyed = false;
};

/// Runs `body` as a call of `phase` and returns the call's record.
template <class Body>
std::unique_ptr<Call> call(HostState &host, PluginState &plugin, CheckState *check, Phase phase,
                           Body &&body) {
    auto record = std::make_unique<Call>(host, phase, plugin, check);
    body(*record);
    for (auto &line : record->logs)
        host.logs.push_back(line);
    return record;
}

/// The Call behind `ctx` if it is of one of `allowed` phases; else records the misuse.
inline Call *in_phase(vitals_context *ctx, const char *function,
                      std::initializer_list<Phase> allowed) {
    if (!ctx) return nullptr;
    Call &call = Call::of(ctx);
    if (std::find(allowed.begin(), allowed.end(), call.phase) != allowed.end()) return &call;
    call.host->misuse(std::string{function} + "() called in " + phase_name(call.phase) +
                      "(), outside its allowed phase");
    return nullptr;
}

inline const Spec *find_spec(const PluginState &plugin, const std::string &key) {
    for (const auto &spec : plugin.specs)
        if (spec.key == key) return &spec;
    return nullptr;
}

inline const Value *find_param(const CheckState &check, const std::string &key) {
    for (const auto &[name, value] : check.params)
        if (name == key) return &value;
    return nullptr;
}

/// A parameter as the getter for `type` sees it, or nullopt after recording why not.
inline std::optional<Typed> resolve(Call &call, const char *key, std::int32_t type) {
    if (!key) {
        call.problems.push_back({"", "plugin asked for a parameter with a NULL key"});
        return std::nullopt;
    }
    const Spec *spec = find_spec(*call.plugin, key);
    if (const Value *value = find_param(*call.check, key)) {
        auto converted = convert(value->get(), type);
        if (auto *typed = std::get_if<Typed>(&converted)) return *typed;
        call.problems.push_back({key, std::get<std::string>(converted)});
        return std::nullopt;
    }
    if (spec && spec->default_value) {
        auto converted = convert_default(*spec->default_value, type);
        if (auto *typed = std::get_if<Typed>(&converted)) return *typed;
        call.problems.push_back({key, "plugin bug: " + std::get<std::string>(converted)});
        return std::nullopt;
    }
    call.problems.push_back({key, std::string{"missing required parameter '"} + key + "'"});
    return std::nullopt;
}

struct Functions {
    static void log(vitals_context *ctx, int32_t level, const char *message) {
        if (!ctx) return;
        Call &call = Call::of(ctx);
        call.logs.push_back({level, message ? message : "", phase_name(call.phase)});
    }

    static int param_has(vitals_context *ctx, const char *key) {
        Call *call = in_phase(ctx, "param_has", {Phase::create});
        if (!call || !key) return 0;
        const Spec *spec = find_spec(*call->plugin, key);
        return find_param(*call->check, key) || (spec && spec->default_value) ? 1 : 0;
    }

    template <class Out, class Convert>
    static int get(vitals_context *ctx, const char *function, const char *key, std::int32_t type,
                   Out *out, Convert &&convert_to_out) {
        Call *call = in_phase(ctx, function, {Phase::create});
        if (!call || !out) return -1;
        auto typed = resolve(*call, key, type);
        if (!typed) return -1;
        *out = convert_to_out(*call, *typed);
        return 0;
    }

    static int param_string(vitals_context *ctx, const char *key, const char **out) {
        return get(ctx, "param_string", key, VITALS_PARAM_STRING, out, [](Call &call, Typed &v) {
            return call.kept_strings.emplace_back(std::get<std::string>(v)).c_str();
        });
    }
    static int param_int(vitals_context *ctx, const char *key, int64_t *out) {
        return get(ctx, "param_int", key, VITALS_PARAM_INT, out,
                   [](Call &, Typed &v) { return std::get<std::int64_t>(v); });
    }
    static int param_float(vitals_context *ctx, const char *key, double *out) {
        return get(ctx, "param_float", key, VITALS_PARAM_FLOAT, out,
                   [](Call &, Typed &v) { return std::get<double>(v); });
    }
    static int param_bool(vitals_context *ctx, const char *key, int *out) {
        return get(ctx, "param_bool", key, VITALS_PARAM_BOOL, out,
                   [](Call &, Typed &v) { return std::get<bool>(v) ? 1 : 0; });
    }
    static int param_duration_ns(vitals_context *ctx, const char *key, int64_t *out) {
        return get(ctx, "param_duration_ns", key, VITALS_PARAM_DURATION, out,
                   [](Call &, Typed &v) { return std::get<std::int64_t>(v); });
    }
    static int param_string_list(vitals_context *ctx, const char *key, const char *const **items,
                                 size_t *count) {
        if (!count) return -1;
        return get(ctx, "param_string_list", key, VITALS_PARAM_STRING_LIST, items,
                   [count](Call &call, Typed &v) {
                       auto &pointers = call.kept_lists.emplace_back();
                       for (auto &item : std::get<std::vector<std::string>>(v))
                           pointers.push_back(call.kept_strings.emplace_back(item).c_str());
                       *count = pointers.size();
                       pointers.push_back(nullptr);
                       return static_cast<const char *const *>(pointers.data());
                   });
    }
    static void param_error(vitals_context *ctx, const char *key, const char *message) {
        if (Call *call = in_phase(ctx, "param_error", {Phase::create}))
            call->problems.push_back(
                {key ? key : "", message && *message ? message : "rejected by the plugin"});
    }

    static int64_t time_left_ns(vitals_context *ctx) {
        Call *call = in_phase(ctx, "time_left_ns", {Phase::run});
        if (!call) return 0;
        call->host->now_ns += call->host->step_per_read_ns;
        const std::int64_t left = call->deadline_ns - call->host->now_ns;
        if (left <= 0) call->expire();
        return call->expired ? std::min<std::int64_t>(left, 0) : left;
    }

    static void set_result(vitals_context *ctx, int32_t status, const char *message) {
        if (Call *call = in_phase(ctx, "set_result", {Phase::run})) {
            call->status = status;
            call->message = message ? message : "";
        }
    }

    static void keep_metric(Call &call, Metric metric) {
        for (auto &existing : call.metrics)
            if (existing.name == metric.name && existing.labels == metric.labels) {
                existing = std::move(metric);
                return;
            }
        if (call.metrics.size() >= 128) {
            call.dropped_metrics.push_back(metric.name + ": more than 128 metrics");
            return;
        }
        call.metrics.push_back(std::move(metric));
    }

    static void add_metric(vitals_context *ctx, const char *name, double value, const char *unit) {
        Call *call = in_phase(ctx, "add_metric", {Phase::run});
        if (!call) return;
        const std::string shown = name ? name : "(null)";
        if (!valid_name(name, false))
            return call->dropped_metrics.push_back(shown + ": not a valid metric name");
        if (!std::isfinite(value))
            return call->dropped_metrics.push_back(shown + ": not a finite value");
        Metric metric;
        metric.name = name;
        metric.value = value;
        metric.unit = unit ? unit : "";
        keep_metric(*call, std::move(metric));
    }

    static int32_t add_metric_ex(vitals_context *ctx, const vitals_metric *reported) {
        Call *call = in_phase(ctx, "add_metric_ex", {Phase::run});
        if (!call || !reported) return -1;
        // As OBS reads a plugin's struct: at most our own size, the rest zero.
        vitals_metric m{};
        std::memcpy(&m, reported, std::min<std::size_t>(reported->struct_size, sizeof m));
        const std::string shown = m.name ? m.name : "(null)";
        const auto drop = [&](const std::string &why) {
            call->dropped_metrics.push_back(shown + ": " + why);
            return -1;
        };
        if (!valid_name(m.name, false)) return drop("not a valid metric name");
        if (!std::isfinite(m.value)) return drop("not a finite value");
        if (m.kind != VITALS_METRIC_GAUGE && m.kind != VITALS_METRIC_COUNTER)
            return drop("unknown kind " + std::to_string(m.kind));
        Metric metric;
        metric.name = m.name;
        metric.value = m.value;
        metric.unit = m.unit ? m.unit : "";
        metric.kind = m.kind;
        metric.extended = true;
        for (std::size_t i = 0; i < m.label_count; ++i) {
            const vitals_label &label = m.labels[i];
            if (!valid_name(label.name, true))
                return drop(std::string{"label \""} + (label.name ? label.name : "(null)") +
                            "\" is not a valid label name");
            metric.labels.push_back({label.name, label.value ? label.value : ""});
        }
        const auto optional = [&](std::uint32_t bit, double value) {
            return m.has & bit ? std::optional<double>{value} : std::nullopt;
        };
        metric.warn = optional(VITALS_METRIC_HAS_WARN, m.warn);
        metric.crit = optional(VITALS_METRIC_HAS_CRIT, m.crit);
        metric.min = optional(VITALS_METRIC_HAS_MIN, m.min);
        metric.max = optional(VITALS_METRIC_HAS_MAX, m.max);
        const auto before = call->dropped_metrics.size();
        keep_metric(*call, std::move(metric));
        return call->dropped_metrics.size() == before ? 0 : -1;
    }

    static const vitals_run_info *run_info(vitals_context *ctx) {
        static const vitals_run_info nothing{sizeof(vitals_run_info), -1, "", 0, 0, 0};
        Call *call = in_phase(ctx, "run_info", {Phase::create, Phase::run, Phase::destroy});
        if (!call) return &nothing; // never NULL, says the header
        return &call->check->info;
    }

    static int cancel_fd(vitals_context *ctx) {
        Call *call = in_phase(ctx, "cancel_fd", {Phase::run});
        return call ? call->cancel_pipe[0] : -1;
    }

    // A 1.0 agent's table ends before these: a plugin that calls one without checking
    // VITALS_HOST_HAS would read past it. Here the call is recorded instead.
    static std::string beyond(vitals_context *ctx, const char *function) {
        const std::string what =
            std::string{function} + "() called on a 1.0 host without checking VITALS_HOST_HAS";
        if (ctx) Call::of(ctx).host->misuse(what);
        return what;
    }
    static int32_t add_metric_ex_on_1_0(vitals_context *ctx, const vitals_metric *) {
        beyond(ctx, "add_metric_ex");
        return -1;
    }
    static const vitals_run_info *run_info_on_1_0(vitals_context *ctx) {
        beyond(ctx, "run_info");
        return run_info(ctx);
    }
    static int cancel_fd_on_1_0(vitals_context *ctx) {
        beyond(ctx, "cancel_fd");
        return -1;
    }
};

inline vitals_host_api make_table(HostAbi abi) {
    vitals_host_api table{};
    table.abi_major = VITALS_ABI_MAJOR;
    table.abi_minor = abi == HostAbi::v1_0 ? 0 : 1;
    table.struct_size = abi == HostAbi::v1_0
                            ? static_cast<std::uint32_t>(offsetof(vitals_host_api, add_metric_ex))
                            : static_cast<std::uint32_t>(sizeof(vitals_host_api));
    table.log = &Functions::log;
    table.param_has = &Functions::param_has;
    table.param_string = &Functions::param_string;
    table.param_int = &Functions::param_int;
    table.param_float = &Functions::param_float;
    table.param_bool = &Functions::param_bool;
    table.param_duration_ns = &Functions::param_duration_ns;
    table.param_string_list = &Functions::param_string_list;
    table.param_error = &Functions::param_error;
    table.time_left_ns = &Functions::time_left_ns;
    table.set_result = &Functions::set_result;
    table.add_metric = &Functions::add_metric;
    const bool v1_1 = abi == HostAbi::v1_1;
    table.add_metric_ex = v1_1 ? &Functions::add_metric_ex : &Functions::add_metric_ex_on_1_0;
    table.run_info = v1_1 ? &Functions::run_info : &Functions::run_info_on_1_0;
    table.cancel_fd = v1_1 ? &Functions::cancel_fd : &Functions::cancel_fd_on_1_0;
    return table;
}

/// The descriptor as a host of `abi` reads it: at most what both sides know, the rest zero.
inline vitals_plugin read_descriptor(const vitals_plugin &plugin, HostAbi abi) {
    const std::size_t known =
        abi == HostAbi::v1_0 ? offsetof(vitals_plugin, init) : sizeof(vitals_plugin);
    vitals_plugin copy{};
    std::memcpy(&copy, &plugin, std::min<std::size_t>({plugin.struct_size, known}));
    return copy;
}

inline std::vector<Spec> read_specs(const vitals_plugin &plugin, HostAbi abi) {
    std::vector<Spec> specs;
    if (!plugin.params) return specs;
    const auto *bytes = reinterpret_cast<const unsigned char *>(plugin.params);
    const std::size_t known =
        abi == HostAbi::v1_0 ? offsetof(vitals_param_spec, min) : sizeof(vitals_param_spec);
    for (std::size_t i = 0;; ++i) {
        vitals_param_spec raw{};
        std::memcpy(&raw, bytes + i * plugin.param_spec_size,
                    std::min<std::size_t>(plugin.param_spec_size, known));
        if (!raw.key) break;
        Spec spec;
        spec.key = raw.key;
        spec.type = raw.type;
        spec.required = raw.required != 0;
        if (raw.default_value) spec.default_value = raw.default_value;
        if (raw.limits & VITALS_LIMIT_MIN) spec.min = raw.min;
        if (raw.limits & VITALS_LIMIT_MAX) spec.max = raw.max;
        for (const char *const *choice = raw.choices; choice && *choice; ++choice)
            spec.choices.emplace_back(*choice);
        specs.push_back(std::move(spec));
    }
    return specs;
}

/// What a value breaks of its spec's declared limits and choices, if anything.
inline std::optional<std::string> outside_limits(const Spec &spec, const Typed &value) {
    std::optional<double> number;
    std::string shown;
    if (auto *integer = std::get_if<std::int64_t>(&value)) {
        const bool duration = spec.type == VITALS_PARAM_DURATION;
        number = duration ? static_cast<double>(*integer) / 1e9 : static_cast<double>(*integer);
        shown = format_number(*number) + (duration ? "s" : "");
    } else if (auto *real = std::get_if<double>(&value)) {
        number = *real;
        shown = format_number(*real);
    }
    const std::string unit = spec.type == VITALS_PARAM_DURATION ? "s" : "";
    if (number && spec.min && *number < *spec.min)
        return "must be at least " + format_number(*spec.min) + unit + ", got " + shown;
    if (number && spec.max && *number > *spec.max)
        return "must be at most " + format_number(*spec.max) + unit + ", got " + shown;
    if (spec.choices.empty()) return std::nullopt;
    std::vector<std::string> items;
    if (auto *text = std::get_if<std::string>(&value)) items.push_back(*text);
    if (auto *list = std::get_if<std::vector<std::string>>(&value)) items = *list;
    for (const auto &item : items) {
        if (std::find(spec.choices.begin(), spec.choices.end(), item) != spec.choices.end())
            continue;
        std::string allowed;
        for (const auto &choice : spec.choices)
            allowed += (allowed.empty() ? "\"" : ", \"") + choice + "\"";
        return "must be one of " + allowed + ", got \"" + item + "\"";
    }
    return std::nullopt;
}

/// What the agent checks before create(): unknown keys, types, required keys, and on a
/// 1.1 host the declared limits and choices.
inline std::vector<Problem> validate(const PluginState &plugin, const Params &params) {
    std::vector<Problem> problems;
    if (!plugin.declares_params) return problems;
    const std::string name = plugin.descriptor.name ? plugin.descriptor.name : "";
    for (const auto &[key, value] : params) {
        const Spec *spec = find_spec(plugin, key);
        if (!spec) {
            std::string expected;
            for (const auto &known : plugin.specs)
                expected += (expected.empty() ? "" : ", ") + known.key;
            problems.push_back({key, "unknown parameter '" + key + "' for plugin '" + name +
                                         "' (expected one of: " + expected + ")"});
            continue;
        }
        auto converted = convert(value.get(), spec->type);
        if (auto *why = std::get_if<std::string>(&converted))
            problems.push_back({key, *why});
        else if (auto outside = outside_limits(*spec, std::get<Typed>(converted)))
            problems.push_back({key, *outside});
    }
    for (const auto &spec : plugin.specs)
        if (spec.required && !std::any_of(params.begin(), params.end(), [&](const auto &param) {
                return param.first == spec.key;
            }))
            problems.push_back({spec.key, "missing required parameter '" + spec.key +
                                              "' for plugin '" + name + "'"});
    return problems;
}

inline void destroy(CheckState &check) {
    if (!check.instance || check.destroyed) return;
    check.destroyed = true;
    PluginState &plugin = *check.plugin;
    call(*plugin.host, plugin, &check, Phase::destroy, [&](Call &c) {
        if (plugin.descriptor.destroy_ex)
            plugin.descriptor.destroy_ex(check.instance, &plugin.host->table, c.context());
        else
            plugin.descriptor.destroy(check.instance);
    });
    check.instance = nullptr;
}

inline PluginState::~PluginState() {
    if (initialised && descriptor.deinit)
        call(*host, *this, nullptr, Phase::deinit,
             [&](Call &c) { descriptor.deinit(&host->table, c.context()); });
    if (library) ::dlclose(library);
}

} // namespace detail

/// The fake clock behind time_left_ns() and cancel_fd(). It stands still unless told to
/// move: a run starts with the check's timeout left (or what set_time_left() says).
class Clock {
public:
    explicit Clock(detail::HostState &host) : host_(&host) {}

    /// The next run starts with this much time left instead of the whole timeout (<= 0:
    /// already timed out, so cancel_fd() is readable from the start).
    void set_time_left(nanoseconds left) { host_->time_left = left; }
    /// Every time_left_ns() call moves the clock on by `step`: a loop that polls it runs out.
    void advance_per_read(nanoseconds step) { host_->step_per_read_ns = step.count(); }
    /// The run times out after this much real time, for a plugin that waits in poll() on
    /// cancel_fd(): the descriptor becomes readable and time_left_ns() <= 0.
    void expire_after(std::chrono::milliseconds real_time) { host_->real_time_budget = real_time; }

private:
    detail::HostState *host_;
};

/// The mock agent: the host table, the fake clock and what every call logged.
class Host {
public:
    explicit Host(HostAbi abi = HostAbi::v1_1) : state_(std::make_shared<detail::HostState>()) {
        state_->abi = abi;
        state_->table = detail::make_table(abi);
    }

    const vitals_host_api *table() const { return &state_->table; }
    HostAbi abi() const { return state_->abi; }
    Clock clock() { return Clock{*state_}; }

    /// What run_info() reports for checks created from now on.
    void set_check(std::string name, nanoseconds interval, nanoseconds timeout) {
        state_->check_name = std::move(name);
        state_->interval = interval;
        state_->timeout = timeout;
    }

    /// Calls the plugin made where the contract forbids them: a getter in run(), a 1.1
    /// function on a 1.0 host, the cancel descriptor closed. Empty for a correct plugin.
    const std::vector<std::string> &misuses() const { return state_->misuses; }
    /// Every line logged, in every phase.
    const std::vector<LogLine> &logs() const { return state_->logs; }

    std::shared_ptr<detail::HostState> state() const { return state_; }

private:
    std::shared_ptr<detail::HostState> state_;
};

/// One check: a plugin instance made from parameters. Destroying it calls the plugin's
/// destroy_ex() (or destroy()).
class Check {
public:
    explicit Check(std::unique_ptr<detail::CheckState> state) : state_(std::move(state)) {}
    Check(Check &&) noexcept = default;
    Check &operator=(Check &&other) noexcept {
        if (state_) detail::destroy(*state_);
        state_ = std::move(other.state_);
        problems_ = std::move(other.problems_);
        create_logs_ = std::move(other.create_logs_);
        return *this;
    }
    ~Check() {
        if (state_) detail::destroy(*state_);
    }

    /// create() returned an instance and nothing was wrong with the parameters.
    bool created() const { return state_->instance != nullptr; }
    explicit operator bool() const { return created(); }

    /// What the host recorded against the parameters, in order.
    const std::vector<Problem> &problems() const { return problems_; }
    /// The problems as "key: message" lines, for a readable failing assertion.
    std::string problem_text() const {
        std::string text;
        for (const auto &problem : problems_)
            text += problem.key + ": " + problem.message + "\n";
        return text;
    }
    const std::vector<LogLine> &create_logs() const { return create_logs_; }

    /// What run_info() says in the next run: the last status, and the non-ok results just
    /// before it (attempt = 1 + that). The mock keeps them from its own runs too.
    void set_history(std::int32_t previous_status, std::uint32_t non_ok_in_a_row) {
        state_->previous_status = previous_status;
        state_->non_ok_in_a_row = non_ok_in_a_row;
    }

    /// Runs the check once, as the agent would, and returns what it recorded.
    Result run() {
        if (!created()) throw std::logic_error("vitals::testing: run() on a check not created");
        detail::CheckState &check = *state_;
        detail::PluginState &plugin = *check.plugin;
        detail::HostState &host = *plugin.host;
        check.info.previous_status = check.previous_status;
        check.info.attempt = 1 + check.non_ok_in_a_row;
        const nanoseconds left = host.time_left.value_or(host.timeout);
        host.time_left.reset();

        std::unique_ptr<detail::Call> record =
            detail::call(host, plugin, &check, detail::Phase::run, [&](detail::Call &c) {
                c.deadline_ns = host.now_ns + left.count();
                if (::pipe2(c.cancel_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
                    c.cancel_pipe[0] = c.cancel_pipe[1] = -1;
                if (left.count() <= 0) c.expire();
                std::thread timer;
                std::mutex mutex;
                std::condition_variable finished;
                bool done = false;
                if (host.real_time_budget)
                    timer = std::thread{[&, budget = *host.real_time_budget] {
                        std::unique_lock lock{mutex};
                        if (!finished.wait_for(lock, budget, [&] { return done; })) c.expire();
                    }};
                plugin.descriptor.run(check.instance, &host.table, c.context());
                if (timer.joinable()) {
                    {
                        std::lock_guard lock{mutex};
                        done = true;
                    }
                    finished.notify_one();
                    timer.join();
                }
                if (c.cancel_pipe[0] >= 0 && ::fcntl(c.cancel_pipe[0], F_GETFD) == -1)
                    host.misuse("the plugin closed the descriptor cancel_fd() gave it");
                else if (c.cancel_pipe[0] >= 0)
                    ::close(c.cancel_pipe[0]);
                if (c.cancel_pipe[1] >= 0) ::close(c.cancel_pipe[1]);
            });
        host.real_time_budget.reset();
        // Outside run(), the header says: no previous status, attempt 0.
        check.info.previous_status = -1;
        check.info.attempt = 0;
        return record_result(*record, left);
    }

private:
    Result record_result(detail::Call &c, nanoseconds timeout) {
        Result result;
        result.reported_status = c.status;
        result.reported_message = c.message;
        result.metrics = std::move(c.metrics);
        result.dropped_metrics = std::move(c.dropped_metrics);
        result.logs = c.logs;
        if (c.expired || c.deadline_ns - c.host->now_ns <= 0) {
            result.timed_out = true;
            result.message = "timed out after " +
                             detail::format_number(std::chrono::duration<double>(timeout).count()) +
                             "s";
        } else if (!c.status) {
            result.message = "plugin reported no result";
        } else if (*c.status < VITALS_STATUS_OK || *c.status > VITALS_STATUS_ERROR) {
            result.message =
                "plugin reported invalid status " + std::to_string(*c.status) + ": " + c.message;
        } else {
            result.status = *c.status;
            result.message = c.message;
        }
        state_->previous_status = result.status;
        state_->non_ok_in_a_row =
            result.status == VITALS_STATUS_OK ? 0 : state_->non_ok_in_a_row + 1;
        return result;
    }

    friend class Plugin;
    std::unique_ptr<detail::CheckState> state_;
    std::vector<Problem> problems_;
    std::vector<LogLine> create_logs_;
};

/// A plugin loaded into a mock host: its descriptor read as that host's ABI reads it, and
/// init() called (on a 1.1 host). deinit() follows once the Plugin and every Check made from
/// it are gone.
class Plugin {
public:
    /// dlopen()s the built .so, as the agent does.
    Plugin(Host &host, const std::string &path) : state_(make_state(host)) {
        state_->path = path;
        state_->library = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!state_->library) {
            const char *why = ::dlerror();
            throw std::runtime_error("vitals::testing: cannot load " + path + ": " +
                                     (why ? why : "?"));
        }
        auto entry = reinterpret_cast<vitals_plugin_entry_fn>(
            ::dlsym(state_->library, VITALS_PLUGIN_ENTRY_SYMBOL));
        if (!entry)
            throw std::runtime_error("vitals::testing: " + path + " does not export " +
                                     VITALS_PLUGIN_ENTRY_SYMBOL);
        load(entry);
    }
    /// The plugin's entry function linked into the test (one plugin per test binary then:
    /// each exports the same name).
    Plugin(Host &host, vitals_plugin_entry_fn entry, std::string path = "(linked)")
        : state_(make_state(host)) {
        state_->path = std::move(path);
        load(entry);
    }

    /// Why the host refused the plugin (ABI, missing functions, init() failing), or nullopt.
    const std::optional<std::string> &refusal() const { return state_->refusal; }
    /// The descriptor as this host read it (fields it does not know are zero).
    const vitals_plugin &descriptor() const { return state_->descriptor; }

    /// Validates `params` as the agent would and, if they pass, calls create().
    Check create(const Params &params = {}) const {
        if (state_->refusal)
            throw std::logic_error("vitals::testing: plugin refused: " + *state_->refusal);
        detail::HostState &host = *state_->host;
        auto check_state = std::make_unique<detail::CheckState>();
        check_state->plugin = state_;
        check_state->params = params;
        check_state->name = host.check_name;
        check_state->info.struct_size = sizeof(vitals_run_info);
        check_state->info.previous_status = -1;
        check_state->info.interval_ns = host.interval.count();
        check_state->info.timeout_ns = host.timeout.count();
        check_state->info.attempt = 0;
        detail::CheckState *raw = check_state.get();
        Check check{std::move(check_state)};
        raw->info.check_name = raw->name.c_str();
        check.problems_ = detail::validate(*state_, params);
        if (!check.problems_.empty()) return check;
        auto record = detail::call(host, *state_, raw, detail::Phase::create, [&](detail::Call &c) {
            raw->instance = state_->descriptor.create(&host.table, c.context());
        });
        check.problems_ = record->problems;
        check.create_logs_ = record->logs;
        if (!raw->instance && check.problems_.empty())
            check.problems_.push_back({"", "plugin refused the check without saying why"});
        if (raw->instance && !check.problems_.empty()) detail::destroy(*raw);
        return check;
    }

private:
    static std::shared_ptr<detail::PluginState> make_state(Host &host) {
        auto state = std::make_shared<detail::PluginState>();
        state->host = host.state();
        return state;
    }

    void load(vitals_plugin_entry_fn entry) {
        detail::PluginState &plugin = *state_;
        const vitals_plugin *descriptor = entry();
        if (!descriptor) return refuse("its entry returned NULL");
        const HostAbi abi = plugin.host->abi;
        const std::string host_version = abi == HostAbi::v1_0 ? "1.0" : "1.1";
        if (descriptor->abi_major != VITALS_ABI_MAJOR)
            return refuse("agent ABI " + host_version + ", plugin ABI " +
                          std::to_string(descriptor->abi_major) + "." +
                          std::to_string(descriptor->abi_minor));
        plugin.descriptor = detail::read_descriptor(*descriptor, abi);
        plugin.declares_params = plugin.descriptor.params != nullptr;
        plugin.specs = detail::read_specs(plugin.descriptor, abi);
        if (!plugin.descriptor.name || !plugin.descriptor.create || !plugin.descriptor.run)
            return refuse("its descriptor lacks a name, create or run");
        if (!plugin.descriptor.destroy && !plugin.descriptor.destroy_ex)
            return refuse(abi == HostAbi::v1_0 ? "it lacks destroy (a 1.0 agent needs it)"
                                               : "it lacks destroy and destroy_ex");
        if (!plugin.descriptor.init) {
            plugin.initialised = true;
            return;
        }
        std::int32_t status = 0;
        detail::call(*plugin.host, plugin, nullptr, detail::Phase::init, [&](detail::Call &c) {
            status = plugin.descriptor.init(&plugin.host->table, c.context(), plugin.path.c_str());
        });
        if (status != 0) return refuse("init() returned " + std::to_string(status));
        plugin.initialised = true;
    }

    void refuse(const std::string &why) { state_->refusal = why; }

    std::shared_ptr<detail::PluginState> state_;
};

} // namespace vitals::testing
