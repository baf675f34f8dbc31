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
// registered once per plugin with
//     VITALS_CPP_PLUGIN(MyCheck, "name", "1.0.0", "one line", my_param_table)
// (my_param_table may be nullptr). See plugin.h for the threading contract.

#include <vitals/plugin.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

namespace vitals {

enum class Status : std::int32_t {
    ok = VITALS_STATUS_OK,
    warning = VITALS_STATUS_WARNING,
    error = VITALS_STATUS_ERROR,
};

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

    /// Reject a value the types alone cannot catch; the host adds file and line.
    [[noreturn]] void reject(const char *key, const std::string &message) const {
        host_->param_error(ctx_, key, message.c_str());
        throw ParamError{};
    }

    void log(vitals_log_level level, const std::string &message) const {
        host_->log(ctx_, level, message.c_str());
    }

private:
    static void check(int rc) {
        if (rc != 0) throw ParamError{};
    }

    const vitals_host_api *host_;
    vitals_context *ctx_;
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

    /// Time left before the host gives up on this run.
    std::chrono::nanoseconds time_left() const {
        return std::chrono::nanoseconds{host_->time_left_ns(ctx_)};
    }

    void log(vitals_log_level level, const std::string &message) const {
        host_->log(ctx_, level, message.c_str());
    }

private:
    const vitals_host_api *host_;
    vitals_context *ctx_;
};

namespace detail {

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
            return new Check(Params{host, ctx});
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

    static void destroy(void *instance) noexcept {
        try {
            delete static_cast<Check *>(instance);
        } catch (...) {
            // A throwing destructor has nowhere to report to; the host must survive it.
        }
    }
};

} // namespace detail

/// The descriptor for a check class; see VITALS_CPP_PLUGIN.
template <class Check>
constexpr vitals_plugin make_plugin(const char *name, const char *version, const char *description,
                                    const vitals_param_spec *params) noexcept {
    return vitals_plugin{VITALS_PLUGIN_HEADER,
                         name,
                         version,
                         description,
                         params,
                         static_cast<std::uint32_t>(sizeof(vitals_param_spec)),
                         &detail::Trampolines<Check>::create,
                         &detail::Trampolines<Check>::run,
                         &detail::Trampolines<Check>::destroy,
                         // 1.1's init, deinit and destroy_ex, spelled out: -Wextra's
                         // missing-field-initializers would fail a -Werror plugin build.
                         nullptr,
                         nullptr,
                         nullptr};
}

} // namespace vitals

/// Defines the plugin's one exported entry point for a check class.
#define VITALS_CPP_PLUGIN(CheckClass, name, version, description, params)                          \
    extern "C" VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {               \
        static constexpr vitals_plugin descriptor =                                                \
            ::vitals::make_plugin<CheckClass>(name, version, description, params);                 \
        return &descriptor;                                                                        \
    }
