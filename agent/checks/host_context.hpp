// The host's side of the opaque vitals_context. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <vitals/plugin.h>

#include "checks/check_result.hpp"
#include "checks/deadline_timer.hpp"
#include "checks/metric_intake.hpp"
#include "checks/run_history.hpp"
#include "checks/secrets.hpp"
#include "config/config_error.hpp"
#include "config/configuration.hpp"
#include "core/duration.hpp"
#include "core/status.hpp"

namespace vitals {
class PluginLibrary;
}

namespace vitals {
/// A check's schedule, as run_info() tells it (zero for init() and deinit(), which belong to
/// no check).
struct CheckTiming {
    Duration interval{};
    Duration timeout{};
};
} // namespace vitals

/// Declared opaque in plugin.h; each call phase is a subclass so a host
/// function called in the wrong phase is detected instead of misbehaving.
struct vitals_context {
    vitals_context(std::string check, std::shared_ptr<const vitals::Secrets> check_secrets,
                   vitals::CheckTiming timing = {})
        : check_name(std::move(check)), secrets(std::move(check_secrets)) {
        run_info.struct_size = sizeof(vitals_run_info);
        run_info.previous_status = -1;
        run_info.check_name = check_name.c_str(); // check_name never changes after this
        run_info.interval_ns = timing.interval.count();
        run_info.timeout_ns = timing.timeout.count();
        run_info.attempt = 0;
    }
    virtual ~vitals_context() = default;
    vitals_context(const vitals_context &) = delete;
    vitals_context &operator=(const vitals_context &) = delete;

    /// A line the plugin logged through this context, after the host cleaned it; for a phase
    /// that keeps what the plugin said (init() refusing says why this way).
    virtual void logged(int32_t /*level*/, const std::string & /*line*/) {}

    std::string check_name;
    /// Redacted from everything the plugin says: messages, errors, log lines.
    std::shared_ptr<const vitals::Secrets> secrets;
    /// What run_info() answers in this call.
    vitals_run_info run_info{};
};

namespace vitals {

/// Passed to create(): parameter access and error collection.
class CreateContext final : public vitals_context {
public:
    CreateContext(const CheckDefinition &check, const PluginLibrary &plugin, ConfigErrors &errors)
        : vitals_context(check.name, Secrets::of(check, plugin), {check.interval, check.timeout}),
          check_(check), plugin_(plugin), errors_(errors) {}

    /// The key's node in conf.d, or nullptr when the check does not set it.
    const toml::node *node(std::string_view key) const { return check_.params->get(key); }
    /// The plugin's declared default text for the key, or nullptr.
    const char *default_text(std::string_view key) const;
    void error(std::string_view key, std::string message);
    bool has_errors() const { return errors_.size() != errors_before_; }

    /// Keeps a string alive until create() returns; returns its C form.
    const char *keep(std::string text) { return strings_.emplace_back(std::move(text)).c_str(); }
    const char *const *keep(std::vector<const char *> list) {
        return lists_.emplace_back(std::move(list)).data();
    }

private:
    const CheckDefinition &check_;
    const PluginLibrary &plugin_;
    ConfigErrors &errors_;
    std::size_t errors_before_ = errors_.size();
    std::deque<std::string> strings_;
    std::deque<std::vector<const char *>> lists_;
};

/// Passed to run(): the deadline and the result being built.
class RunContext final : public vitals_context {
public:
    static constexpr std::size_t max_message_bytes = 4096;
    static constexpr std::size_t max_metrics = 128;

    /// `intake` outlives the run so that a drop is logged once per check, not once per run;
    /// without one the run makes its own.
    RunContext(std::string check, std::shared_ptr<const Secrets> check_secrets,
               std::chrono::steady_clock::time_point deadline, CheckTiming timing = {},
               const RunHistory &history = {}, std::shared_ptr<MetricIntake> intake = nullptr);

    std::chrono::steady_clock::time_point deadline() const { return deadline_; }
    /// cancel_fd(): readable from the deadline on; made on the first call, closed with the
    /// context (after run() returns). -1 when it cannot be made.
    int cancel_fd() { return cancel_timer_.fd(); }
    void set_result(int32_t status, const char *message);
    /// Whether the metric was kept; a dropped one was logged by the intake.
    bool add_metric(const char *name, double value, const char *unit);
    bool add_metric_ex(const vitals_metric *metric);
    /// The result as reported; an error when the plugin reported nothing usable.
    CheckResult take_result();
    std::size_t dropped_metrics() const { return dropped_metrics_; }

private:
    bool keep(std::optional<Metric> metric);

    std::chrono::steady_clock::time_point deadline_;
    std::shared_ptr<MetricIntake> intake_;
    DeadlineTimer cancel_timer_;
    std::optional<int32_t> status_code_;
    std::string message_;
    std::vector<Metric> metrics_;
    std::size_t dropped_metrics_ = 0;
};

/// The table every plugin receives.
const vitals_host_api &host_api();

} // namespace vitals
