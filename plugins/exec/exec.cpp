// Vitals "exec" checker: any external command speaking the Nagios plugin protocol.
// SPDX-License-Identifier: MIT
#include <vitals/plugin.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/nagios_output.hpp>
#include <vitals_plugins/text.hpp>
#include <vitals_plugins/units.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "run_child.hpp"

namespace {

using namespace vitals::plugins;
using namespace std::chrono_literals;
using std::chrono::nanoseconds;
using vitals_exec::ChildOutcome;
using vitals_exec::Clock;

/// The environment every command starts from; `env` adds to it or overrides it.
constexpr const char *default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr const char *default_lang = "C";
constexpr const char *shell_program = "/bin/sh";
constexpr std::int64_t max_output_limit = 64 * 1024 * 1024;

// key, type, required, default, description, secret
constexpr vitals_param_spec exec_params[] = {
    {"command", VITALS_PARAM_STRING_LIST, 1, nullptr,
     "Program and arguments, run without a shell; with shell = true, one string for /bin/sh -c", 0},
    {"shell", VITALS_PARAM_BOOL, 0, "false",
     "Run command (a single string) with /bin/sh -c, so that ; | $() and globs are interpreted", 0},
    {"env", VITALS_PARAM_STRING_LIST, 0, nullptr,
     "NAME=value entries added to the command's environment (PATH and LANG=C otherwise)", 1},
    {"working_dir", VITALS_PARAM_STRING, 0, "/", "Absolute directory the command runs in", 0},
    {"max_output", VITALS_PARAM_INT, 0, "65536",
     "Bytes of stdout, and of stderr, kept per run; the rest is read and discarded", 0},
    {"nagios_plugin_dir", VITALS_PARAM_STRING, 0, "/usr/lib/nagios/plugins",
     "Directory searched first, before PATH, for a command given by bare name", 0},
    {}, // the NULL key that ends the table
};

/// A perfdata item with its thresholds, min, max and counter kind (ABI 1.1's
/// add_metric_ex; a 1.0 host keeps the name, value and unit).
void report_metric(vitals::Run &run, const Metric &metric) {
    vitals_metric reported{};
    reported.struct_size = sizeof reported;
    reported.kind = metric.counter ? VITALS_METRIC_COUNTER : VITALS_METRIC_GAUGE;
    reported.name = metric.name.c_str();
    reported.value = metric.value;
    reported.unit = metric.unit.c_str();
    const auto given = [&](std::uint32_t bit, const std::optional<double> &from, double &to) {
        if (!from) return;
        reported.has |= bit;
        to = *from;
    };
    given(VITALS_METRIC_HAS_WARN, metric.warn, reported.warn);
    given(VITALS_METRIC_HAS_CRIT, metric.crit, reported.crit);
    given(VITALS_METRIC_HAS_MIN, metric.min, reported.min);
    given(VITALS_METRIC_HAS_MAX, metric.max, reported.max);
    run.metric(reported);
}

/// "64 KiB", "1 MiB", "1000 bytes".
std::string format_size(std::size_t bytes) {
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
        return std::to_string(bytes / (1024 * 1024)) + " MiB";
    if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
    return std::to_string(bytes) + " bytes";
}

/// "SIGSEGV"; sigabbrev_np() returns static text, unlike strsignal() safe on any thread.
std::string signal_name(int signal) {
    if (const char *abbreviation = ::sigabbrev_np(signal)) return std::string{"SIG"} + abbreviation;
    return "signal " + std::to_string(signal);
}

bool is_env_name(std::string_view name) {
    if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return c == '_' || std::isalnum(static_cast<unsigned char>(c));
    });
}

bool is_directory(const std::string &path, int &error) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        error = errno;
        return false;
    }
    error = ENOTDIR;
    return S_ISDIR(info.st_mode);
}

bool is_executable_file(const std::string &path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
           ::faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) == 0;
}

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> dirs;
    while (true) {
        const auto colon = path.find(':');
        const std::string_view dir = path.substr(0, colon);
        // Relative entries would depend on working_dir; a controlled PATH has none.
        if (!dir.empty() && dir.front() == '/') dirs.emplace_back(dir);
        if (colon == std::string_view::npos) break;
        path.remove_prefix(colon + 1);
    }
    return dirs;
}

class ExecCheck {
public:
    explicit ExecCheck(const vitals::Params &params)
        : command_(params.strings("command")), shell_(params.boolean("shell")),
          working_dir_(params.string("working_dir")),
          plugin_dir_(params.string("nagios_plugin_dir")) {
        validate_command(params);
        read_env(params);
        const std::int64_t max_output = params.integer("max_output");
        if (max_output < 1 || max_output > max_output_limit)
            params.reject("max_output", "must be from 1 to " + std::to_string(max_output_limit) +
                                            " bytes, got " + std::to_string(max_output));
        max_output_ = static_cast<std::size_t>(max_output);
        if (working_dir_.empty() || working_dir_.front() != '/')
            params.reject("working_dir", "must be an absolute path, got \"" + working_dir_ + "\"");
        if (plugin_dir_.empty() || plugin_dir_.front() != '/')
            params.reject("nagios_plugin_dir",
                          "must be an absolute path, got \"" + plugin_dir_ + "\"");
        // The program is named, never its arguments: those may carry passwords.
        name_ = shell_ ? "shell command" : command_.front();
    }

    void run(vitals::Run &run) const {
        const nanoseconds left = run.time_left();
        if (left <= 0ns) {
            run.error("no time left to run " + name_);
            return;
        }
        std::string problem;
        auto spec = prepare(problem);
        if (!spec) {
            run.error(problem);
            return;
        }
        // Kill at the deadline less a margin (so our own "timed out" lands before the
        // host's, even on a busy machine, with the SIGKILL and the reaping in it) and less
        // the SIGTERM grace time.
        const nanoseconds margin = deadline_margin(left, 250ms);
        const nanoseconds grace = std::min<nanoseconds>(left / 10, 500ms);
        spec->deadline = Clock::now() + left - margin - grace;
        spec->grace = grace;
        spec->reap_wait = margin / 2;
        const ChildOutcome outcome = vitals_exec::run_child(*spec);
        report(run, outcome);
    }

private:
    void validate_command(const vitals::Params &params) const {
        if (command_.empty())
            params.reject("command", "must name a program, e.g. [\"check_dummy\", \"0\"]");
        for (const auto &arg : command_)
            if (arg.find('\0') != std::string::npos)
                params.reject("command", "must not contain NUL characters");
        const std::string &program = command_.front();
        if (shell_) {
            if (command_.size() != 1)
                params.reject("command", "with shell = true, must be a single string for "
                                         "/bin/sh -c (got " +
                                             std::to_string(command_.size()) + " items)");
            if (program.find_first_not_of(" \t\n") == std::string::npos)
                params.reject("command", "must not be empty");
            return;
        }
        if (program.empty()) params.reject("command", "the program (first item) must not be empty");
        // "./check" or "bin/check" would depend on the agent's working directory.
        if (program.find('/') != std::string::npos && program.front() != '/')
            params.reject("command", "the program must be an absolute path or a bare name looked "
                                     "up in nagios_plugin_dir and PATH, got \"" +
                                         program + "\"");
    }

    /// PATH and LANG, then `env` in order; an entry for PATH or LANG replaces the default.
    void read_env(const vitals::Params &params) {
        std::vector<std::pair<std::string, std::string>> entries{{"PATH", default_path},
                                                                 {"LANG", default_lang}};
        std::set<std::string> seen;
        if (params.has("env")) {
            const auto items = params.strings("env");
            for (std::size_t i = 0; i < items.size(); ++i) {
                // Messages name the entry by position and name only: values may be secrets.
                const std::string which = "entry " + std::to_string(i + 1);
                const auto equals = items[i].find('=');
                if (equals == std::string::npos) params.reject("env", which + " is not NAME=value");
                std::string name = items[i].substr(0, equals);
                if (!is_env_name(name))
                    params.reject("env", which + ": the name must be letters, digits and _, "
                                                 "not starting with a digit");
                if (items[i].find('\0') != std::string::npos)
                    params.reject("env", which + " (" + name + ") contains a NUL character");
                if (!seen.insert(name).second)
                    params.reject("env", which + " sets " + name + " a second time");
                std::string value = items[i].substr(equals + 1);
                const auto known =
                    std::find_if(entries.begin(), entries.end(),
                                 [&](const auto &entry) { return entry.first == name; });
                if (known != entries.end())
                    known->second = std::move(value);
                else
                    entries.emplace_back(std::move(name), std::move(value));
            }
        }
        for (const auto &[name, value] : entries) {
            if (name == "PATH") search_path_ = split_path(value);
            env_.push_back(name + "=" + value);
        }
    }

    /// Everything the child needs, resolved now: the program file and the working
    /// directory are looked at on every run, since either may appear or vanish.
    std::optional<vitals_exec::ChildSpec> prepare(std::string &problem) const {
        vitals_exec::ChildSpec spec;
        if (shell_) {
            spec.program = shell_program;
            spec.argv = {"sh", "-c", command_.front()};
        } else {
            const auto program = find_program();
            if (!program) {
                problem = "cannot run " + name_ + ": not found in " + plugin_dir_ + " or PATH";
                return std::nullopt;
            }
            spec.program = *program;
            spec.argv = command_;
            spec.argv.front() = *program;
        }
        int error = 0;
        if (!is_directory(working_dir_, error)) {
            problem = "cannot run " + name_ + ": working_dir " + working_dir_ + ": " +
                      describe_errno(error);
            return std::nullopt;
        }
        spec.envp = env_;
        spec.working_dir = working_dir_;
        spec.max_output = max_output_;
        return spec;
    }

    /// An absolute program as it is (posix_spawn reports what is wrong with it); a bare name
    /// from nagios_plugin_dir, else from the command's PATH.
    std::optional<std::string> find_program() const {
        const std::string &program = command_.front();
        if (program.front() == '/') return program;
        if (const auto in_plugin_dir = plugin_dir_ + "/" + program;
            is_executable_file(in_plugin_dir))
            return in_plugin_dir;
        for (const auto &dir : search_path_)
            if (auto candidate = dir + "/" + program; is_executable_file(candidate))
                return candidate;
        return std::nullopt;
    }

    void report(vitals::Run &run, const ChildOutcome &outcome) const {
        using End = ChildOutcome::End;
        switch (outcome.end) {
        case End::spawn_failed:
            run.error("cannot run " + name_ + ": " + describe_errno(outcome.code));
            return;
        case End::timed_out:
            run.error(name_ + " timed out after " + format_duration(outcome.elapsed) +
                      "; killed it and its process group");
            return;
        case End::vanished:
            run.error(name_ + " exited, but its exit status was lost (SIGCHLD ignored?)");
            return;
        case End::exited:
        case End::signalled:
            break;
        }
        if (outcome.out_truncated || outcome.err_truncated)
            run.log(VITALS_LOG_WARNING, name_ + " wrote more than max_output (" +
                                            format_size(max_output_) +
                                            ") to stdout or stderr; the rest was discarded");
        const auto parsed = parse_output(outcome.out, !outcome.out_truncated);
        for (const auto &why : parsed.skipped)
            run.log(VITALS_LOG_DEBUG, "perfdata item skipped: " + why);
        for (const auto &metric : to_metrics(parsed.perfdata))
            report_metric(run, metric);

        // stdout is the protocol; stderr only speaks when stdout said nothing (a shell's
        // "not found", an interpreter's traceback).
        const std::string text = parsed.text.empty() ? first_line(outcome.err) : parsed.text;
        if (outcome.end == End::signalled) {
            run.error(name_ + " was killed by " + signal_name(outcome.code) + with_text(text));
            return;
        }
        switch (outcome.code) {
        case 0:
            run.ok(text.empty() ? name_ + " returned OK with no output" : text);
            return;
        case 1:
            run.warning(text.empty() ? name_ + " returned WARNING with no output" : text);
            return;
        case 2:
            run.error(text.empty() ? name_ + " returned CRITICAL with no output" : text);
            return;
        case 3:
            // Plugins usually say UNKNOWN themselves ("UNKNOWN: bad argument").
            if (text.empty())
                run.error("UNKNOWN: " + name_ + " gave no output");
            else
                run.error(text.starts_with("UNKNOWN") ? text : "UNKNOWN: " + text);
            return;
        default:
            run.error(name_ + " exited with status " + std::to_string(outcome.code) +
                      " (not a Nagios plugin state)" + with_text(text));
        }
    }

    static std::string with_text(const std::string &text) {
        return text.empty() ? std::string{} : ": " + text;
    }

    static std::string first_line(std::string_view text) {
        while (!text.empty()) {
            const auto newline = text.find('\n');
            std::string line = one_line(text.substr(0, newline));
            if (!line.empty() || newline == std::string_view::npos) return line;
            text.remove_prefix(newline + 1);
        }
        return {};
    }

    std::vector<std::string> command_;
    bool shell_;
    std::string working_dir_;
    std::string plugin_dir_;
    std::size_t max_output_ = 0;
    std::vector<std::string> env_;         ///< "NAME=value": the command's whole environment
    std::vector<std::string> search_path_; ///< the command's PATH, absolute entries only
    std::string name_;                     ///< how messages name the command
};

} // namespace

VITALS_CPP_PLUGIN(ExecCheck, "exec", "0.1.0",
                  "Runs a command speaking the Nagios plugin protocol (exit code, output, "
                  "performance data)",
                  exec_params)
