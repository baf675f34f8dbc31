// Vitals "file_age" checker: a file exists and was modified recently, e.g. the heartbeat a
// cron job touches. SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>
#include <vitals_plugins/units.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace {

using namespace vitals::plugins;
using std::chrono::nanoseconds;
using vitals::Status;

// key, type, required, default, description, secret
constexpr vitals_param_spec file_age_params[] = {
    {"path", VITALS_PARAM_STRING, 1, nullptr, "Absolute path of the file to watch", 0},
    {"warning_age", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when the file was last modified longer ago than this", 0},
    {"error_age", VITALS_PARAM_DURATION, 0, nullptr,
     "Fail when the file was last modified longer ago than this", 0},
    {"min_size", VITALS_PARAM_INT, 0, nullptr,
     "Fail when the file is smaller than this many bytes (1: must not be empty)", 0},
    {}, // the NULL key that ends the table
};

/// "42s", "5m 12s", "3h 2m", "2d 4h": the two largest units, as people read ages.
std::string human_age(nanoseconds age) {
    using namespace std::chrono;
    const auto total = duration_cast<seconds>(age).count();
    if (total < 60) return std::to_string(total) + "s";
    constexpr std::array<std::pair<std::int64_t, const char *>, 4> units{
        {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}};
    for (std::size_t i = 0; i + 1 < units.size(); ++i) {
        const auto [size, name] = units[i];
        if (total < size) continue;
        const auto [next_size, next_name] = units[i + 1];
        const auto rest = (total % size) / next_size;
        return std::to_string(total / size) + name +
               (rest ? " " + std::to_string(rest) + next_name : "");
    }
    return std::to_string(total) + "s";
}

/// A duration as configured: "90s" reads back as "1m 30s"; sub-second ones keep milliseconds.
std::string human_limit(nanoseconds limit) {
    if (limit < std::chrono::seconds{1})
        return std::to_string(
                   std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()) +
               "ms";
    return human_age(limit);
}

/// Why an age limit must be longer than zero.
constexpr std::string_view too_old = "every file would be too old";

class FileAgeCheck {
public:
    explicit FileAgeCheck(const vitals::Params &params) : path_(params.string("path")) {
        // problem(), not reject(): the operator sees these two and what follows at once.
        // Relative paths would depend on the agent's working directory, which nobody configures.
        if (path_.empty() || path_.front() != '/')
            params.problem("path", "must be an absolute path, got \"" + path_ + "\"");
        if (params.has("min_size")) {
            min_size_ = params.integer("min_size");
            if (*min_size_ < 0)
                params.problem("min_size",
                               "must be 0 or more bytes, got " + std::to_string(*min_size_));
        }
        warning_age_ = time_limit(params, "warning_age", too_old);
        error_age_ = time_limit(params, "error_age", too_old);
        require_not_above(params, "warning_age", warning_age_, "error_age", error_age_,
                          human_limit);
    }

    void run(vitals::Run &run) const {
        struct stat info {};
        // stat, not lstat: a heartbeat behind a symlink counts as the file it points to.
        if (::stat(path_.c_str(), &info) != 0) {
            const int error = errno;
            if (error == ENOENT)
                run.error(path_ + " does not exist");
            else
                run.error("cannot check " + path_ + ": stat: " + describe_errno(error));
            return;
        }
        const auto modified = std::chrono::system_clock::time_point{
            std::chrono::duration_cast<std::chrono::system_clock::duration>(
                std::chrono::seconds{info.st_mtim.tv_sec} + nanoseconds{info.st_mtim.tv_nsec})};
        const nanoseconds age = std::chrono::system_clock::now() - modified;
        const auto size = static_cast<std::uint64_t>(info.st_size);
        run.metric("age_seconds", std::chrono::duration<double>(age).count(), "seconds");
        run.metric("size_bytes", static_cast<double>(size), "bytes");

        // A clock set back, or a file from another host's clock, can be "modified" ahead of now.
        std::string message =
            path_ + " modified " +
            (age < nanoseconds{0} ? human_age(-age) + " in the future" : human_age(age) + " ago") +
            " (" + human_bytes(size) + ")";
        Status status = Status::ok;
        std::string reasons;
        const auto add = [&](Status level, const std::string &reason) {
            status = std::max(status, level);
            reasons += (reasons.empty() ? ": " : ", ") + reason;
        };
        if (error_age_ && age > *error_age_)
            add(Status::error, "older than " + human_limit(*error_age_));
        else if (warning_age_ && age > *warning_age_)
            add(Status::warning, "older than " + human_limit(*warning_age_));
        if (min_size_ && size < static_cast<std::uint64_t>(*min_size_))
            add(Status::error, "smaller than " + std::to_string(*min_size_) +
                                   (*min_size_ == 1 ? " byte" : " bytes"));
        run.result(status, message + reasons);
    }

private:
    std::string path_;
    std::optional<nanoseconds> warning_age_;
    std::optional<nanoseconds> error_age_;
    std::optional<std::int64_t> min_size_;
};

} // namespace

VITALS_CPP_PLUGIN(FileAgeCheck, "file_age", "0.1.0",
                  "Whether a file exists, was modified recently enough and is big enough",
                  file_age_params)
