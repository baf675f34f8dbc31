// Vitals "process" checker: is a process running, how many, and what they use.
// SPDX-License-Identifier: MIT
#include "process_usage.hpp"
#include "resource_limits.hpp"

#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/fd.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/thresholds.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using namespace vitals::plugins;
using vitals::Status;

// key, type, required, default, description, secret
constexpr vitals_param_spec process_params[] = {
    {"name", VITALS_PARAM_STRING, 0, nullptr,
     "Exact process name, as in /proc/PID/comm and `ps -C` (e.g. \"nginx\")", 0},
    {"pattern", VITALS_PARAM_STRING, 0, nullptr,
     "POSIX extended regular expression searched in the full command line, as `pgrep -f`", 0},
    {"pid_file", VITALS_PARAM_STRING, 0, nullptr,
     "Absolute path of a file holding the PID of the process", 0},
    {"min", VITALS_PARAM_INT, 0, "1", "Fail when fewer matching processes run", 0},
    {"max", VITALS_PARAM_INT, 0, nullptr, "Fail when more matching processes run", 0},
    {"aggregate", VITALS_PARAM_STRING, 0, "each",
     "\"each\": limits apply to every matching process; \"sum\": to their total", 0},
    {"memory_warning", VITALS_PARAM_STRING, 0, nullptr,
     "Warn when resident memory reaches this size (\"500MiB\")", 0},
    {"memory_error", VITALS_PARAM_STRING, 0, nullptr, "Fail when resident memory reaches this size",
     0},
    {"cpu_warning", VITALS_PARAM_FLOAT, 0, nullptr,
     "Warn when CPU use since the last run reaches this percentage of one CPU", 0},
    {"cpu_error", VITALS_PARAM_FLOAT, 0, nullptr,
     "Fail when CPU use since the last run reaches this percentage of one CPU", 0},
    {"open_files_warning", VITALS_PARAM_INT, 0, nullptr,
     "Warn when this many file descriptors are open", 0},
    {"open_files_error", VITALS_PARAM_INT, 0, nullptr,
     "Fail when this many file descriptors are open", 0},
    {"threads_warning", VITALS_PARAM_INT, 0, nullptr, "Warn at this many threads", 0},
    {"threads_error", VITALS_PARAM_INT, 0, nullptr, "Fail at this many threads", 0},
    {"max_age_warning", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when a process has run this long (a stuck job)", 0},
    {"max_age_error", VITALS_PARAM_DURATION, 0, nullptr, "Fail when a process has run this long",
     0},
    {"min_age_warning", VITALS_PARAM_DURATION, 0, nullptr,
     "Warn when a process has run less than this (it restarted)", 0},
    {"min_age_error", VITALS_PARAM_DURATION, 0, nullptr,
     "Fail when a process has run less than this", 0},
    {}, // the NULL key that ends the table
};

/// The kernel keeps 15 bytes of a process name (TASK_COMM_LEN - 1) in /proc/PID/comm.
constexpr std::size_t comm_length = 15;

/// Up to `limit` bytes of a file, or nullopt with errno set. /proc files report size 0, so
/// this reads until end of file rather than trusting stat().
std::optional<std::string> read_file(const std::string &path, std::size_t limit = 64 * 1024) {
    const UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.get() < 0) return std::nullopt;
    std::string text;
    char buffer[4096];
    while (text.size() < limit) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return std::nullopt;
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    if (text.size() > limit) text.resize(limit);
    return text;
}

std::optional<pid_t> parse_pid(std::string_view text) {
    pid_t pid = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (error != std::errc{} || end != text.data() + text.size() || pid <= 0) return std::nullopt;
    return pid;
}

/// A compiled POSIX regular expression, freed with its owner.
class Regex {
public:
    Regex() = default;
    Regex(const Regex &) = delete;
    Regex &operator=(const Regex &) = delete;
    ~Regex() {
        if (compiled_) ::regfree(&regex_);
    }

    /// Compiles `pattern`; returns the compiler's complaint, or "" on success.
    std::string compile(const std::string &pattern) {
        // Extended syntax without submatches, exactly what pgrep compiles.
        const int rc = ::regcomp(&regex_, pattern.c_str(), REG_EXTENDED | REG_NOSUB);
        if (rc == 0) {
            compiled_ = true;
            return {};
        }
        char message[256];
        ::regerror(rc, &regex_, message, sizeof message);
        return message;
    }

    bool search(const std::string &text) const {
        return ::regexec(&regex_, text.c_str(), 0, nullptr, 0) == 0;
    }

private:
    regex_t regex_{};
    bool compiled_ = false;
};

/// What /proc says about one process, read only as far as the check needs.
class ProcessInfo {
public:
    explicit ProcessInfo(pid_t pid) : dir_("/proc/" + std::to_string(pid)) {}

    /// False once the process is gone or is a zombie: exited, only waiting for its parent.
    bool alive() const {
        const auto stat = read_file(dir_ + "/stat", 1024);
        if (!stat) return false;
        // "1234 (name with spaces) S 1 ...": the state follows the last ')'.
        const auto paren = stat->rfind(')');
        if (paren == std::string::npos || paren + 2 >= stat->size()) return false;
        const char state = (*stat)[paren + 2];
        return state != 'Z' && state != 'X';
    }

    std::optional<std::string> comm() const {
        auto text = read_file(dir_ + "/comm", 256);
        if (!text) return std::nullopt;
        if (!text->empty() && text->back() == '\n') text->pop_back();
        return text;
    }

    /// The arguments joined by spaces, as `ps` and `pgrep -f` show them; empty for kernel
    /// threads, which have none.
    std::optional<std::string> command_line() const {
        auto text = read_file(dir_ + "/cmdline");
        if (!text) return std::nullopt;
        while (!text->empty() && text->back() == '\0')
            text->pop_back();
        std::replace(text->begin(), text->end(), '\0', ' ');
        return text;
    }

private:
    std::string dir_;
};

/// The processes found, and why none were when that has a reason worth telling.
struct Found {
    std::vector<pid_t> pids;
    std::string note; ///< "pid 1234 is not running"
};

class ProcessCheck {
public:
    explicit ProcessCheck(const vitals::Params &params)
        : min_(params.integer("min")), limits_(params) {
        if (params.has("name")) {
            name_ = params.string("name");
            if (name_->empty()) params.reject("name", "must not be empty");
            if (name_->find('/') != std::string::npos)
                params.reject("name", "is a process name, not a path: \"" + *name_ +
                                          "\" (use pattern to match paths)");
        }
        if (params.has("pattern")) {
            pattern_ = params.string("pattern");
            if (pattern_->empty()) params.reject("pattern", "must not be empty");
            regex_ = std::make_unique<Regex>();
            if (const auto problem = regex_->compile(*pattern_); !problem.empty())
                params.reject("pattern", "is not a valid extended regular expression: " + problem);
        }
        if (params.has("pid_file")) {
            pid_file_ = params.string("pid_file");
            // Relative paths would depend on the agent's working directory.
            if (pid_file_->empty() || pid_file_->front() != '/')
                params.reject("pid_file", "must be an absolute path, got \"" + *pid_file_ + "\"");
        }
        if (!name_ && !pattern_ && !pid_file_)
            params.reject(nullptr, "set at least one of name, pattern or pid_file");
        if (min_ < 0) params.reject("min", "must be 0 or more, got " + std::to_string(min_));
        if (params.has("max")) {
            max_ = params.integer("max");
            require_not_below(params, "max", *max_, "min", min_,
                              [](std::int64_t count) { return std::to_string(count); });
        }
        target_ = describe_target();
    }

    void run(vitals::Run &run) {
        const auto left = run.time_left();
        const auto deadline = Clock::now() + left - deadline_margin(left);
        std::string failure;
        const Found found = pid_file_ ? from_pid_file(failure) : scan(deadline, failure);
        if (!failure.empty()) {
            run.error(failure);
            return;
        }
        std::vector<process::Usage> usages;
        for (std::size_t i = 0; i < found.pids.size(); ++i) {
            const pid_t pid = found.pids[i];
            // Listing descriptors of thousands of processes takes a while: the same bound.
            if (i % 64 == 63 && Clock::now() >= deadline) {
                run.error("timed out reading the usage of " + std::to_string(found.pids.size()) +
                          " processes");
                return;
            }
            auto read = process::read_usage(pid, limits_.count_open_files());
            if (!read.problem.empty()) {
                run.error(read.problem);
                return;
            }
            if (read.usage) usages.push_back(*read.usage); // else gone since the scan
        }
        cpu_.sample(usages, Clock::now());
        report(run, found, limits_.judge(usages));
    }

private:
    /// "named nginx", "matching \"worker\" from /run/app.pid"
    std::string describe_target() const {
        std::string text;
        const auto add = [&text](const std::string &part) {
            text += (text.empty() ? "" : " ") + part;
        };
        if (pid_file_) add("from " + *pid_file_);
        if (name_) add("named " + *name_);
        if (pattern_) add("matching \"" + *pattern_ + "\"");
        return text;
    }

    bool matches(pid_t pid) const {
        const ProcessInfo process{pid};
        if (name_) {
            const auto comm = process.comm();
            if (!comm) return false;
            if (*comm != *name_) {
                // The kernel cut the name at 15 bytes; the full one is argv[0]'s base name.
                if (name_->size() <= comm_length || *comm != name_->substr(0, comm_length))
                    return false;
                const auto command = process.command_line();
                if (!command) return false;
                const std::string argv0 = command->substr(0, command->find(' '));
                if (argv0.substr(argv0.rfind('/') + 1) != *name_) return false;
            }
        }
        if (regex_) {
            const auto command = process.command_line();
            if (!command || command->empty() || !regex_->search(*command)) return false;
        }
        // Last, because a zombie still has its comm and reads as a match until here.
        return process.alive();
    }

    Found from_pid_file(std::string &failure) const {
        const auto text = read_file(*pid_file_, 4096);
        if (!text) {
            if (errno == ENOENT) return {{}, *pid_file_ + " does not exist"};
            failure = "cannot read " + *pid_file_ + ": " + describe_errno(errno);
            return {};
        }
        const auto pid = parse_pid(trim(*text));
        if (!pid) {
            failure = *pid_file_ + " does not hold a process ID: \"" +
                      std::string{trim(std::string_view{*text}.substr(0, 40))} + "\"";
            return {};
        }
        if (!ProcessInfo{*pid}.alive())
            return {{}, "pid " + std::to_string(*pid) + " is not running"};
        if (!matches(*pid)) return {{}, "pid " + std::to_string(*pid) + " is another process"};
        return {{*pid}, {}};
    }

    /// Every process in /proc that matches, except the agent itself.
    Found scan(Clock::time_point deadline, std::string &failure) const {
        std::unique_ptr<DIR, int (*)(DIR *)> proc{::opendir("/proc"), &::closedir};
        if (!proc) {
            failure = "cannot list /proc: " + describe_errno(errno);
            return {};
        }
        const pid_t self = ::getpid();
        Found found;
        std::size_t seen = 0;
        while (const dirent *entry = ::readdir(proc.get())) {
            const auto pid = parse_pid(entry->d_name);
            if (!pid || *pid == self) continue;
            // A few microseconds a process; thousands of them on a loaded box still need a bound.
            if (++seen % 64 == 0 && Clock::now() >= deadline) {
                failure = "timed out scanning /proc after " + std::to_string(seen) + " processes";
                return {};
            }
            // A process that exits meanwhile just stops matching: every read fails softly.
            if (matches(*pid)) found.pids.push_back(*pid);
        }
        std::sort(found.pids.begin(), found.pids.end());
        return found;
    }

    void report(vitals::Run &run, const Found &found, const process::Judgement &usage) const {
        const auto count = static_cast<std::int64_t>(found.pids.size());
        run.metric("count", static_cast<double>(count), "count");
        for (const auto &metric : usage.metrics)
            run.metric(metric.name, metric.value, metric.unit);
        std::string message = count == 0   ? "no process " + target_
                              : count == 1 ? "1 process " + target_
                                           : std::to_string(count) + " processes " + target_;
        if (count > 0) {
            message += count == 1 ? " (pid " : " (pids ";
            constexpr std::size_t shown = 5;
            for (std::size_t i = 0; i < std::min(found.pids.size(), shown); ++i)
                message += (i ? ", " : "") + std::to_string(found.pids[i]);
            if (found.pids.size() > shown) message += ", ...";
            message += ")";
        }
        Status status = usage.status;
        if (count < min_) {
            message += ", expected at least " + std::to_string(min_);
            if (!found.note.empty()) message += ": " + found.note;
            status = Status::error;
        } else if (max_ && count > *max_) {
            message += ", expected at most " + std::to_string(*max_);
            status = Status::error;
        }
        // A few reasons say what is wrong; a hundred would bury it.
        constexpr std::size_t reasons_shown = 3;
        for (std::size_t i = 0; i < std::min(usage.reasons.size(), reasons_shown); ++i)
            message += (i ? ", " : "; ") + usage.reasons[i];
        if (usage.reasons.size() > reasons_shown)
            message += " and " + std::to_string(usage.reasons.size() - reasons_shown) + " more";
        run.result(status, message);
    }

    std::optional<std::string> name_;
    std::optional<std::string> pattern_;
    std::unique_ptr<Regex> regex_;
    std::optional<std::string> pid_file_;
    std::int64_t min_;
    std::optional<std::int64_t> max_;
    process::ResourceLimits limits_;
    process::CpuSampler cpu_;
    std::string target_;
};

} // namespace

VITALS_CPP_PLUGIN(ProcessCheck, "process", "0.2.0",
                  "Whether processes with a name, a command line or a PID file are running, "
                  "and what they use",
                  process_params)
