// Vitals checker plugin SDK, C++ wrapper. SPDX-License-Identifier: MIT
#pragma once

// A header-only layer over <vitals/plugin.h>. It adds no ABI of its own: the
// plugin still exports one C entry point, and every call from the host lands
// in a noexcept trampoline that turns any escaping exception into an error
// result (or a rejected configuration) carrying the exception's text.
//
// A check is a class with
//     explicit MyCheck(const vitals::Params& params);   // may throw
//     void run(vitals::Run& run);                       // may throw
// and, each optional (ABI 1.1: an older agent does not call the first two),
//     static void init(const vitals::Library& library);   // once per load; throw to refuse
//     static void deinit(const vitals::Library& library); // once, after the last check
//     void destroy(const vitals::Log& log);               // just before the destructor
// registered once per plugin with
//     VITALS_CPP_PLUGIN(MyCheck, "name", "1.0.0", "one line", my_param_table)
// (my_param_table may be nullptr). See plugin.h for the threading contract.
//
// Everything added in 1.1 checks VITALS_HOST_HAS first, so a plugin built with this
// wrapper still runs in a 1.0 agent: there Run::metric(Metric) falls back to add_metric(),
// info() is empty and cancel_fd() is -1.

#include <vitals/plugin.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace vitals {

enum class Status : std::int32_t {
    ok = VITALS_STATUS_OK,
    warning = VITALS_STATUS_WARNING,
    error = VITALS_STATUS_ERROR,
};

/// Lines for the agent's log, prefixed by the host with the check's (or plugin's) name.
/// A Log made without a host (destroy() on a 1.0 agent) drops them.
class Log {
public:
    Log(const vitals_host_api *host, vitals_context *ctx) noexcept : host_(host), ctx_(ctx) {}

    void operator()(vitals_log_level level, const std::string &message) const {
        if (host_ && ctx_) host_->log(ctx_, level, message.c_str());
    }
    void debug(const std::string &message) const { (*this)(VITALS_LOG_DEBUG, message); }
    void info(const std::string &message) const { (*this)(VITALS_LOG_INFO, message); }
    void warning(const std::string &message) const { (*this)(VITALS_LOG_WARNING, message); }
    void error(const std::string &message) const { (*this)(VITALS_LOG_ERROR, message); }

private:
    const vitals_host_api *host_;
    vitals_context *ctx_;
};

/// What the host says about the current check (vitals_run_info), copied.
struct CheckInfo {
    std::string name;
    std::chrono::nanoseconds interval{0};
    std::chrono::nanoseconds timeout{0};
    /// The last reported status; none before the first result, and outside run().
    std::optional<Status> previous_status;
    /// In run(): 1 plus the non-ok results just before this run; 0 outside run().
    std::uint32_t attempt = 0;
};

namespace detail {

/// Whether the host table has the function `member` and set it (a NULL entry is as absent).
#define VITALS_DETAIL_HOST_OFFERS(host, member) (VITALS_HOST_HAS(host, member) && (host)->member)

/// The host's run info, or nothing from a host older than 1.1.
inline std::optional<CheckInfo> read_info(const vitals_host_api *host, vitals_context *ctx) {
    if (!VITALS_DETAIL_HOST_OFFERS(host, run_info)) return std::nullopt;
    const vitals_run_info *info = host->run_info(ctx);
    if (!info) return std::nullopt;
    CheckInfo copy;
    if (VITALS_HAS(info, vitals_run_info, check_name) && info->check_name)
        copy.name = info->check_name;
    if (VITALS_HAS(info, vitals_run_info, interval_ns))
        copy.interval = std::chrono::nanoseconds{info->interval_ns};
    if (VITALS_HAS(info, vitals_run_info, timeout_ns))
        copy.timeout = std::chrono::nanoseconds{info->timeout_ns};
    if (VITALS_HAS(info, vitals_run_info, previous_status) && info->previous_status >= 0)
        copy.previous_status = static_cast<Status>(info->previous_status);
    if (VITALS_HAS(info, vitals_run_info, attempt)) copy.attempt = info->attempt;
    return copy;
}

} // namespace detail

/// Thrown by Params once the host has recorded what is wrong with a parameter.
class ParamError : public std::exception {
public:
    const char *what() const noexcept override { return "invalid check parameter"; }
};

/// The check's parameters, readable only inside the constructor.
class Params {
public:
    Params(const vitals_host_api *host, vitals_context *ctx) noexcept : host_(host), ctx_(ctx) {}

    bool has(const char *key) const { return host_->param_has(ctx_, key) != 0; }

    std::string string(const char *key) const {
        const char *value = nullptr;
        check(host_->param_string(ctx_, key, &value));
        return value;
    }
    std::int64_t integer(const char *key) const {
        std::int64_t value = 0;
        check(host_->param_int(ctx_, key, &value));
        return value;
    }
    double number(const char *key) const {
        double value = 0;
        check(host_->param_float(ctx_, key, &value));
        return value;
    }
    bool boolean(const char *key) const {
        int value = 0;
        check(host_->param_bool(ctx_, key, &value));
        return value != 0;
    }
    std::chrono::nanoseconds duration(const char *key) const {
        std::int64_t value = 0;
        check(host_->param_duration_ns(ctx_, key, &value));
        return std::chrono::nanoseconds{value};
    }
    std::vector<std::string> strings(const char *key) const {
        const char *const *items = nullptr;
        std::size_t count = 0;
        check(host_->param_string_list(ctx_, key, &items, &count));
        return {items, items + count};
    }

    /// Report a value the types alone cannot catch (the host adds file and line) and go
    /// on reading, so the operator sees every problem at once. Once the constructor
    /// returns, the check is refused if any problem was reported.
    void problem(const char *key, const std::string &message) const {
        host_->param_error(ctx_, key, message.c_str());
        ++problems_;
    }
    /// How many problems were reported so far.
    std::size_t problems() const { return problems_; }

    /// Report a problem and end the constructor at once (throws ParamError).
    [[noreturn]] void reject(const char *key, const std::string &message) const {
        problem(key, message);
        throw ParamError{};
    }

    void log(vitals_log_level level, const std::string &message) const {
        host_->log(ctx_, level, message.c_str());
    }

    /// The check's name and schedule; empty from a host older than 1.1.
    std::optional<CheckInfo> info() const { return detail::read_info(host_, ctx_); }

private:
    static void check(int rc) {
        if (rc != 0) throw ParamError{};
    }

    const vitals_host_api *host_;
    vitals_context *ctx_;
    mutable std::size_t problems_ = 0;
};

/// A measurement with a kind, labels and thresholds, for Run::metric():
///     run.metric(vitals::Metric{"requests", 1234}.counter().label("method", "GET"));
///     run.metric(vitals::Metric{"used", 91.5}.unit("percent").warn(80).crit(90).max(100));
class Metric {
public:
    Metric(std::string name, double value) : name_(std::move(name)), value_(value) {}

    Metric &unit(std::string unit) {
        unit_ = std::move(unit);
        return *this;
    }
    /// A total that only grows (resets when the thing counted restarts).
    Metric &counter() {
        kind_ = VITALS_METRIC_COUNTER;
        return *this;
    }
    /// A value that goes up and down (the default).
    Metric &gauge() {
        kind_ = VITALS_METRIC_GAUGE;
        return *this;
    }
    Metric &label(std::string name, std::string value) {
        labels_.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    Metric &warn(double threshold) { return with(VITALS_METRIC_HAS_WARN, warn_, threshold); }
    Metric &crit(double threshold) { return with(VITALS_METRIC_HAS_CRIT, crit_, threshold); }
    Metric &min(double smallest) { return with(VITALS_METRIC_HAS_MIN, min_, smallest); }
    Metric &max(double largest) { return with(VITALS_METRIC_HAS_MAX, max_, largest); }

    const std::string &name() const { return name_; }
    double value() const { return value_; }
    const std::string &unit() const { return unit_; }

    /// The C struct, pointing into this object and `labels` (which must outlive it).
    vitals_metric to_c(std::vector<vitals_label> &labels) const {
        labels.clear();
        for (const auto &[name, value] : labels_)
            labels.push_back({name.c_str(), value.c_str()});
        vitals_metric metric{};
        metric.struct_size = static_cast<std::uint32_t>(sizeof(vitals_metric));
        metric.kind = kind_;
        metric.name = name_.c_str();
        metric.value = value_;
        metric.unit = unit_.c_str();
        metric.labels = labels.empty() ? nullptr : labels.data();
        metric.label_count = labels.size();
        metric.has = has_;
        metric.warn = warn_;
        metric.crit = crit_;
        metric.min = min_;
        metric.max = max_;
        return metric;
    }

private:
    Metric &with(std::uint32_t bit, double &field, double value) {
        has_ |= bit;
        field = value;
        return *this;
    }

    std::string name_;
    double value_;
    std::string unit_;
    std::int32_t kind_ = VITALS_METRIC_GAUGE;
    std::vector<std::pair<std::string, std::string>> labels_;
    std::uint32_t has_ = 0;
    double warn_ = 0, crit_ = 0, min_ = 0, max_ = 0;
};

/// One run of a check: where its outcome and measurements go.
class Run {
public:
    Run(const vitals_host_api *host, vitals_context *ctx) noexcept : host_(host), ctx_(ctx) {}

    void result(Status status, const std::string &message) {
        host_->set_result(ctx_, static_cast<std::int32_t>(status), message.c_str());
    }
    void ok(const std::string &message) { result(Status::ok, message); }
    void warning(const std::string &message) { result(Status::warning, message); }
    void error(const std::string &message) { result(Status::error, message); }

    void metric(const char *name, double value, const char *unit = "") {
        host_->add_metric(ctx_, name, value, unit);
    }
    /// A metric with labels, kind and thresholds: true if the host kept it. A 1.0 host
    /// gets name, value and unit alone (labels, kind and thresholds are lost).
    bool metric(const Metric &metric) {
        std::vector<vitals_label> labels; // what the C struct points to, for this call
        return this->metric(metric.to_c(labels));
    }

    /// A metric with a kind, labels and thresholds (ABI 1.1). A 1.0 host has no
    /// add_metric_ex: there the name, value and unit go through add_metric alone. Returns
    /// false when the host dropped it (and logged why).
    bool metric(const vitals_metric &metric) {
        if (VITALS_DETAIL_HOST_OFFERS(host_, add_metric_ex))
            return host_->add_metric_ex(ctx_, &metric) == 0;
        host_->add_metric(ctx_, metric.name, metric.value, metric.unit ? metric.unit : "");
        return true;
    }

    /// Time left before the host gives up on this run.
    std::chrono::nanoseconds time_left() const {
        return std::chrono::nanoseconds{host_->time_left_ns(ctx_)};
    }

    /// A descriptor that becomes readable when this run's time is up, for poll() beside
    /// the plugin's own sockets; the host owns it (never read or close it). -1 from a
    /// host older than 1.1, or one that could not make it: then use time_left().
    int cancel_fd() const {
        return VITALS_DETAIL_HOST_OFFERS(host_, cancel_fd) ? host_->cancel_fd(ctx_) : -1;
    }

    /// The check's name, schedule, attempt and previous status; empty from a host older
    /// than 1.1.
    std::optional<CheckInfo> info() const { return detail::read_info(host_, ctx_); }

    void log(vitals_log_level level, const std::string &message) const {
        host_->log(ctx_, level, message.c_str());
    }

private:
    const vitals_host_api *host_;
    vitals_context *ctx_;
};

/// What a check class's optional static init() and deinit() get: the plugin's own file
/// (empty in deinit) and the agent's log.
class Library {
public:
    Library(const vitals_host_api *host, vitals_context *ctx, const char *path)
        : host_(host), ctx_(ctx), path_(path ? path : "") {}

    /// The file the operator installed (not the copy the agent runs).
    const std::string &path() const { return path_; }
    Log log() const { return Log{host_, ctx_}; }
    const vitals_host_api *host() const { return host_; }

private:
    const vitals_host_api *host_;
    vitals_context *ctx_;
    std::string path_;
};

namespace detail {

// Which optional members a check class has (C++17: no concepts).
template <class T, class = void> struct has_init : std::false_type {};
template <class T>
struct has_init<T, std::void_t<decltype(T::init(std::declval<const Library &>()))>>
    : std::true_type {};
template <class T, class = void> struct has_deinit : std::false_type {};
template <class T>
struct has_deinit<T, std::void_t<decltype(T::deinit(std::declval<const Library &>()))>>
    : std::true_type {};
template <class T, class = void> struct has_destroy : std::false_type {};
template <class T>
struct has_destroy<T,
                   std::void_t<decltype(std::declval<T &>().destroy(std::declval<const Log &>()))>>
    : std::true_type {};

inline std::string describe_current_exception() noexcept {
    try {
        throw;
    } catch (const std::exception &e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

template <class Check> struct Trampolines {
    static void *create(const vitals_host_api *host, vitals_context *ctx) noexcept {
        try {
            const Params params{host, ctx};
            auto *check = new Check(params);
            if (params.problems() == 0) return check;
            delete check; // every problem is with the host already
            return nullptr;
        } catch (const ParamError &) {
            return nullptr; // the host already holds the message
        } catch (...) {
            const std::string reason = describe_current_exception();
            host->param_error(ctx, nullptr, reason.c_str());
            return nullptr;
        }
    }

    static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) noexcept {
        Run run{host, ctx};
        try {
            static_cast<Check *>(instance)->run(run);
        } catch (...) {
            const std::string reason = "check threw: " + describe_current_exception();
            host->set_result(ctx, VITALS_STATUS_ERROR, reason.c_str());
        }
    }

    /// From a 1.0 host: no context, so destroy() gets a Log that drops its lines.
    static void destroy(void *instance) noexcept { destroy_ex(instance, nullptr, nullptr); }

    static void destroy_ex(void *instance, const vitals_host_api *host,
                           vitals_context *ctx) noexcept {
        auto *check = static_cast<Check *>(instance);
        const Log log{host, ctx};
        if constexpr (has_destroy<Check>::value) {
            try {
                check->destroy(log);
            } catch (...) {
                report(log, "destroy threw: ");
            }
        }
        try {
            delete check;
        } catch (...) {
            report(log, "destructor threw: ");
        }
    }

    static std::int32_t init(const vitals_host_api *host, vitals_context *ctx,
                             const char *plugin_path) noexcept {
        try {
            Check::init(Library{host, ctx, plugin_path});
            return 0;
        } catch (...) {
            report(Log{host, ctx}, "init threw: ");
            return 1;
        }
    }

    static void deinit(const vitals_host_api *host, vitals_context *ctx) noexcept {
        try {
            Check::deinit(Library{host, ctx, nullptr});
        } catch (...) {
            report(Log{host, ctx}, "deinit threw: ");
        }
    }

    static void report(const Log &log, const char *what) noexcept {
        try {
            log.error(what + describe_current_exception());
        } catch (...) {
            // Out of memory while reporting: nothing left to tell it with.
        }
    }
};

} // namespace detail

/// The descriptor for a check class; see VITALS_CPP_PLUGIN.
template <class Check>
constexpr vitals_plugin make_plugin(const char *name, const char *version, const char *description,
                                    const vitals_param_spec *params) noexcept {
    using T = detail::Trampolines<Check>;
    vitals_plugin plugin{VITALS_PLUGIN_HEADER,
                         name,
                         version,
                         description,
                         params,
                         static_cast<std::uint32_t>(sizeof(vitals_param_spec)),
                         &T::create,
                         &T::run,
                         &T::destroy, // what a 1.0 agent calls
                         nullptr,
                         nullptr,
                         &T::destroy_ex};
    if constexpr (detail::has_init<Check>::value) plugin.init = &T::init;
    if constexpr (detail::has_deinit<Check>::value) plugin.deinit = &T::deinit;
    return plugin;
}

/// One row of a parameter table, by name, with 1.1's limits and choices:
///     constexpr const char *modes[] = {"fast", "thorough", nullptr};
///     constexpr vitals_param_spec params[] = {
///         vitals::Param::integer("warning", "warn at this many files").fallback("100").min(0),
///         vitals::Param::string("mode", "how to look").choices(modes),
///         vitals::Param::duration("pause", "between tries").max(std::chrono::minutes{1}),
///         {}};
/// The host (1.1 and later) refuses a value outside them, naming file, line and what is
/// allowed; a 1.0 agent ignores them, so check them yourself if you must run there too.
class Param {
public:
    static constexpr Param string(const char *key, const char *description) {
        return {key, VITALS_PARAM_STRING, description};
    }
    static constexpr Param integer(const char *key, const char *description) {
        return {key, VITALS_PARAM_INT, description};
    }
    static constexpr Param number(const char *key, const char *description) {
        return {key, VITALS_PARAM_FLOAT, description};
    }
    static constexpr Param boolean(const char *key, const char *description) {
        return {key, VITALS_PARAM_BOOL, description};
    }
    static constexpr Param duration(const char *key, const char *description) {
        return {key, VITALS_PARAM_DURATION, description};
    }
    static constexpr Param strings(const char *key, const char *description) {
        return {key, VITALS_PARAM_STRING_LIST, description};
    }

    constexpr Param required() const {
        Param copy = *this;
        copy.spec_.required = 1;
        return copy;
    }
    /// The default, as text a user would write ("100", "10s", "a,b").
    constexpr Param fallback(const char *text) const {
        Param copy = *this;
        copy.spec_.default_value = text;
        return copy;
    }
    constexpr Param secret() const {
        Param copy = *this;
        copy.spec_.secret = 1;
        return copy;
    }
    /// Smallest allowed value (for a duration: in seconds, or give a std::chrono duration).
    constexpr Param min(double smallest) const {
        Param copy = *this;
        copy.spec_.min = smallest;
        copy.spec_.limits |= VITALS_LIMIT_MIN;
        return copy;
    }
    constexpr Param max(double largest) const {
        Param copy = *this;
        copy.spec_.max = largest;
        copy.spec_.limits |= VITALS_LIMIT_MAX;
        return copy;
    }
    template <class Rep, class Period>
    constexpr Param min(std::chrono::duration<Rep, Period> smallest) const {
        return min(std::chrono::duration<double>(smallest).count());
    }
    template <class Rep, class Period>
    constexpr Param max(std::chrono::duration<Rep, Period> largest) const {
        return max(std::chrono::duration<double>(largest).count());
    }
    /// The values a string (or each item of a list) may take: a nullptr-ended array that
    /// lives as long as the library.
    constexpr Param choices(const char *const *allowed) const {
        Param copy = *this;
        copy.spec_.choices = allowed;
        return copy;
    }

    constexpr operator vitals_param_spec() const { return spec_; }

private:
    constexpr Param(const char *key, std::int32_t type, const char *description)
        : spec_{key, type, 0, nullptr, description, 0, 0, 0, nullptr, 0} {}

    vitals_param_spec spec_;
};

} // namespace vitals

/// Defines the plugin's one exported entry point for a check class.
#define VITALS_CPP_PLUGIN(CheckClass, name, version, description, params)                          \
    extern "C" VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {               \
        static constexpr vitals_plugin descriptor =                                                \
            ::vitals::make_plugin<CheckClass>(name, version, description, params);                 \
        return &descriptor;                                                                        \
    }
