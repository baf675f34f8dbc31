// Vitals "log" checker: lines appended to a log file since the last run that match a pattern.
// SPDX-License-Identifier: MIT
#include "log_follower.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <Poco/Exception.h>
#include <Poco/RegularExpression.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace vitals::plugins;
using vitals::Status;
using vitals::plugins::log::FollowReport;
using vitals::plugins::log::LogFollower;
using vitals::plugins::log::max_line_bytes;

/// Bounds for max_read: room for the longest line twice over, so a run always gets past a
/// line it could not finish last time, and a gigabyte, beyond which a run would stall.
constexpr std::int64_t min_read_bytes = 2 * static_cast<std::int64_t>(max_line_bytes);
constexpr std::int64_t max_read_bytes = std::int64_t{1} << 30;

/// The most of the last matching line the message quotes.
constexpr std::size_t quoted_line_bytes = 300;

// key, type, required, default, description, secret
constexpr vitals_param_spec log_params[] = {
    {"path", VITALS_PARAM_STRING, 1, nullptr, "Absolute path of the log file", 0},
    {"pattern", VITALS_PARAM_STRING, 1, nullptr,
     "Regular expression (PCRE, as http's body_regex) a line must match to count", 0},
    {"exclude", VITALS_PARAM_STRING, 0, nullptr,
     "Regular expression a matching line must not match to count", 0},
    {"warning", VITALS_PARAM_INT, 0, "1", "Warn when this many new lines match in one run", 0},
    {"error", VITALS_PARAM_INT, 0, nullptr, "Fail when this many new lines match in one run", 0},
    {"max_read", VITALS_PARAM_INT, 0, "8388608",
     "Bytes read per run at most; the rest waits for the next run", 0},
    {}, // the NULL key that ends the table
};

/// A regular expression from a parameter, refused at its key when it does not compile.
std::unique_ptr<Poco::RegularExpression> compile(const vitals::Params &params, const char *key) {
    const std::string text = params.string(key);
    if (text.empty()) params.reject(key, "must not be empty");
    try {
        return std::make_unique<Poco::RegularExpression>(text);
    } catch (const Poco::Exception &e) {
        params.reject(key, "is not a valid regular expression: " + e.message());
    }
}

/// At most `limit` bytes of `text`, cut before a UTF-8 continuation byte, with "..." if cut.
std::string shortened(std::string_view text, std::size_t limit) {
    if (text.size() <= limit) return std::string{text};
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
        --end;
    return std::string{text.substr(0, end)} + "...";
}

/// What the lines of one run came to.
struct Tally {
    std::uint64_t matches = 0;
    std::string last_match;
    std::string match_problem; ///< the regular expression engine gave up on a line
};

class LogCheck {
public:
    explicit LogCheck(const vitals::Params &params)
        : path_(params.string("path")), pattern_text_(params.string("pattern")),
          pattern_(compile(params, "pattern")), warning_(params.integer("warning")),
          max_read_(params.integer("max_read")), follower_(path_) {
        // Relative paths would depend on the agent's working directory.
        if (path_.empty() || path_.front() != '/')
            params.reject("path", "must be an absolute path, got \"" + path_ + "\"");
        if (params.has("exclude")) exclude_ = compile(params, "exclude");
        const auto count = [](std::int64_t value) { return std::to_string(value); };
        if (warning_ < 1)
            params.reject("warning",
                          "must be 1 or more, got " + count(warning_) + ": every run would warn");
        if (params.has("error")) {
            error_ = params.integer("error");
            if (*error_ < 1)
                params.reject("error", "must be 1 or more, got " + count(*error_) +
                                           ": every run would fail");
            require_not_above(params, "warning", warning_, "error", *error_, count);
        }
        if (max_read_ < min_read_bytes || max_read_ > max_read_bytes)
            params.reject("max_read", "must be from " + std::to_string(min_read_bytes) + " (" +
                                          human_bytes(min_read_bytes) + ") to " +
                                          std::to_string(max_read_bytes) + " (" +
                                          human_bytes(max_read_bytes) + "), got " +
                                          count(max_read_));
    }

    void run(vitals::Run &run) {
        const auto deadline = work_deadline(run.time_left());
        if (!deadline) return; // already recorded as timed out
        Tally tally;
        const FollowReport report =
            follower_.read_new_lines({static_cast<std::uint64_t>(max_read_), *deadline},
                                     [this, &tally](std::string_view line) { count(line, tally); });
        run.metric("matches", static_cast<double>(tally.matches), "count");
        run.metric("lines", static_cast<double>(report.lines), "count");
        run.metric("read_bytes", static_cast<double>(report.bytes), "bytes");
        run.metric("behind_bytes", static_cast<double>(report.behind), "bytes");
        if (!report.problem.empty()) {
            run.error(report.problem);
            return;
        }
        if (!tally.match_problem.empty()) {
            run.error("pattern failed on a line of " + path_ + ": " + tally.match_problem);
            return;
        }
        if (report.started) {
            run.ok("following " + path_ + " from its end; no line read yet");
            return;
        }
        report_tally(run, report, tally);
    }

private:
    void count(std::string_view line, Tally &tally) const {
        try {
            const std::string text{line}; // Poco matches std::string only
            Poco::RegularExpression::Match match{};
            if (pattern_->match(text, 0, match) == 0) return;
            if (exclude_ && exclude_->match(text, 0, match) != 0) return;
        } catch (const Poco::Exception &e) {
            if (tally.match_problem.empty()) tally.match_problem = after_colon(e.message());
            return;
        }
        ++tally.matches;
        tally.last_match = shortened(line, quoted_line_bytes);
    }

    void report_tally(vitals::Run &run, const FollowReport &report, const Tally &tally) const {
        const auto matches = static_cast<std::int64_t>(tally.matches);
        std::string message = std::to_string(tally.matches) + " of " +
                              std::to_string(report.lines) + " new lines in " + path_ + " match /" +
                              shortened(pattern_text_, 100) + "/";
        Status status = Status::ok;
        if (error_ && matches >= *error_) {
            status = Status::error;
            message += ", error at " + std::to_string(*error_);
        } else if (matches >= warning_) {
            status = Status::warning;
            message += ", warning at " + std::to_string(warning_);
        }
        if (report.rotated) message += "; rotated";
        if (report.appeared) message += "; created";
        if (report.truncated) message += "; truncated";
        if (report.behind > 0) message += "; " + human_bytes(report.behind) + " left for later";
        if (tally.matches > 0) message += "; last: \"" + tally.last_match + "\"";
        run.result(status, message);
    }

    std::string path_;
    std::string pattern_text_;
    std::unique_ptr<Poco::RegularExpression> pattern_;
    std::unique_ptr<Poco::RegularExpression> exclude_;
    std::int64_t warning_;
    std::optional<std::int64_t> error_;
    std::int64_t max_read_;
    LogFollower follower_;
};

} // namespace

VITALS_CPP_PLUGIN(LogCheck, "log", "0.1.0",
                  "Lines appended to a log file since the last run that match a pattern",
                  log_params)
