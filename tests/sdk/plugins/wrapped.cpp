// A plugin written with every 1.1 part of the C++ wrapper: Param rows with limits and
// choices, problem() for several parameter problems at once, Metric with labels, kind and
// thresholds, info(), cancel_fd(), static init()/deinit() and destroy(Log). Linked into
// the wrapper's tests, which call its entry through <vitals/testing.hpp>.
// SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>

#include <poll.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace {

using namespace std::chrono_literals;

constexpr const char *units[] = {"percent", "ratio", nullptr};

constexpr vitals_param_spec wrapped_params[] = {
    vitals::Param::number("value", "What to report").required(),
    vitals::Param::integer("warning", "Warn above this").fallback("80").min(0).max(100),
    vitals::Param::integer("error", "Fail above this").fallback("90").min(0).max(100),
    vitals::Param::string("unit", "The value's unit").fallback("percent").choices(units),
    vitals::Param::duration("pause", "How long run() waits for the host to cancel it")
        .fallback("0s")
        .max(1min),
    {}};

class Wrapped {
public:
    static void init(const vitals::Library &library) {
        if (library.path().find("refuse") != std::string::npos)
            throw std::runtime_error("told to refuse by the name " + library.path());
        library.log().info("init " + library.path());
    }
    static void deinit(const vitals::Library &library) { library.log().info("deinit"); }

    explicit Wrapped(const vitals::Params &params)
        : value_(params.number("value")), warning_(params.integer("warning")),
          error_(params.integer("error")), unit_(params.string("unit")),
          pause_(params.duration("pause")) {
        if (value_ > 1e9) params.reject("value", "is absurd");
        // Both reported, then the check is refused.
        if (value_ < 0) params.problem("value", "must not be negative");
        if (warning_ > error_)
            params.problem("warning", "must not be above error (" + std::to_string(error_) + ")");
        if (const auto info = params.info()) name_ = info->name;
    }

    void run(vitals::Run &run) {
        if (pause_ > 0ns) return wait(run);
        const bool kept = run.metric(vitals::Metric{"used", value_}
                                         .unit(unit_)
                                         .warn(static_cast<double>(warning_))
                                         .crit(static_cast<double>(error_))
                                         .min(0)
                                         .max(100));
        run.metric(
            vitals::Metric{"runs", static_cast<double>(++runs_)}.counter().label("check", name_));
        const auto info = run.info();
        const std::string where =
            info ? "attempt " + std::to_string(info->attempt) : std::string{"on a 1.0 host"};
        const std::string message =
            std::to_string(value_) + " " + unit_ + ", " + where + (kept ? "" : ", metric dropped");
        if (value_ > static_cast<double>(error_)) return run.error(message);
        if (value_ > static_cast<double>(warning_)) return run.warning(message);
        run.ok(message);
    }

    void destroy(const vitals::Log &log) { log.info("destroying " + name_); }

private:
    void wait(vitals::Run &run) {
        const int cancel = run.cancel_fd();
        if (cancel < 0) {
            while (run.time_left() > 0ns) {
            }
            return run.error("out of time");
        }
        pollfd wanted{cancel, POLLIN, 0};
        const auto waited = static_cast<int>(pause_ / 1ms);
        run.error(::poll(&wanted, 1, waited) == 1 ? "cancelled by the host" : "pause over");
    }

    double value_;
    std::int64_t warning_;
    std::int64_t error_;
    std::string unit_;
    std::chrono::nanoseconds pause_;
    std::string name_;
    std::int64_t runs_ = 0;
};

} // namespace

VITALS_CPP_PLUGIN(Wrapped, "wrapped", "1.1.0", "The C++ wrapper's 1.1 parts", wrapped_params)
