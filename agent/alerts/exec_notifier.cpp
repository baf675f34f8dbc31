// SPDX-License-Identifier: MIT
#include "alerts/exec_notifier.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <system_error>

#include <fmt/format.h>
#include <vitals_plugins/child_process.hpp>
#include <vitals_plugins/deadline.hpp>
#include <vitals_plugins/fd.hpp>
#include <vitals_plugins/text.hpp>

#include "alerts/alert_json.hpp"
#include "alerts/alert_text.hpp"
#include "core/log.hpp"
#include "core/utc_time.hpp"

namespace vitals {
namespace {

using namespace std::chrono_literals;
using plugins::ChildProcess;
using plugins::UniqueFd;
using SteadyClock = plugins::Clock;

/// Output kept for the log and the error: the last words of a script say why it failed.
constexpr std::size_t output_kept = 4096;
/// What of it an error shows (/health holds it).
constexpr std::size_t output_in_error = 200;
/// At most this much of a free text goes into one variable (the kernel refuses a string
/// over 128 KiB with E2BIG); stdin has it whole.
constexpr std::size_t variable_kept = 16 * 1024;
/// How long output is still read after the command exited: a child it left behind in
/// another session may hold the pipe open for ever.
constexpr auto after_exit_drain = 200ms;

/// SIGPIPE held back from this thread while it writes to a command's stdin: a command that
/// exits without reading it must cost an EPIPE, not the process (`vitalsd notify` and the
/// tests do not ignore SIGPIPE as the agent does). One raised meanwhile is taken back.
class SigpipeHeld {
public:
    SigpipeHeld() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_, &before_);
    }
    ~SigpipeHeld() {
        sigset_t pending;
        sigpending(&pending);
        if (sigismember(&pending, SIGPIPE) == 1) {
            const timespec now{0, 0};
            sigtimedwait(&pipe_, nullptr, &now);
        }
        pthread_sigmask(SIG_SETMASK, &before_, nullptr);
    }
    SigpipeHeld(const SigpipeHeld &) = delete;
    SigpipeHeld &operator=(const SigpipeHeld &) = delete;

private:
    sigset_t pipe_{};
    sigset_t before_{};
};

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

Pipe make_pipe() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    return {UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

void set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
        throw std::system_error(errno, std::generic_category(), "fcntl");
}

std::string label_variable(std::string_view name) {
    std::string variable = "VITALS_LABEL_";
    for (char c : name)
        variable += std::isalnum(static_cast<unsigned char>(c))
                        ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                        : '_';
    return variable;
}

/// The command's run: writes `input` to its stdin, keeps the tail of its output, and tells
/// how it ended or that the deadline came first.
struct Run {
    std::optional<plugins::ChildExit> exit;
    std::string output;
    bool output_cut = false;
};

void keep_output(Run &run, const char *data, std::size_t size) {
    run.output.append(data, size);
    if (run.output.size() > output_kept) {
        run.output.erase(0, run.output.size() - output_kept); // the end says why
        run.output_cut = true;
    }
}

Run run_command(ChildProcess &child, Pipe &in, Pipe &out, const std::string &input,
                SteadyClock::time_point deadline) {
    Run run;
    std::size_t written = 0;
    std::array<char, 4096> buffer{};
    auto read_until = deadline;
    while (SteadyClock::now() < read_until && (out.read.valid() || !run.exit)) {
        if (!run.exit) {
            run.exit = child.exited();
            if (run.exit) read_until = std::min(deadline, SteadyClock::now() + after_exit_drain);
        }
        std::array<pollfd, 3> fds{};
        nfds_t count = 0;
        if (out.read.valid()) fds[count++] = {out.read.get(), POLLIN, 0};
        const bool writing = in.write.valid();
        if (writing) fds[count++] = {in.write.get(), POLLOUT, 0};
        if (!run.exit && child.exit_fd() >= 0) fds[count++] = {child.exit_fd(), POLLIN, 0};
        auto left = read_until - SteadyClock::now();
        if (!run.exit && child.exit_fd() < 0) left = std::min<std::chrono::nanoseconds>(left, 10ms);
        if (::poll(fds.data(), count, plugins::poll_timeout_ms(left)) <= 0) continue;
        if (out.read.valid() && fds[0].revents) {
            const ssize_t n = ::read(out.read.get(), buffer.data(), buffer.size());
            if (n > 0)
                keep_output(run, buffer.data(), static_cast<std::size_t>(n));
            else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                out.read.reset();
        }
        if (writing) {
            const ssize_t n =
                ::write(in.write.get(), input.data() + written, input.size() - written);
            if (n > 0) written += static_cast<std::size_t>(n);
            // Done, or the command closed its stdin without reading: not our failure.
            if (written == input.size() || (n < 0 && errno != EAGAIN && errno != EINTR))
                in.write.reset();
        }
    }
    if (!run.exit) run.exit = child.exited();
    return run;
}

} // namespace

std::vector<std::string> exec_environment(const Alert &alert) {
    std::vector<std::string> env{
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG=C.UTF-8",
        "VITALS_ALERT_KIND=" + std::string{to_string(alert.kind)},
        fmt::format("VITALS_ALERT_ID={}", alert.id),
        "VITALS_CHECK=" + alert.check,
        "VITALS_STATUS=" + std::string{to_string(alert.status)},
        "VITALS_PREVIOUS_STATUS=" + std::string{to_string(alert.previous)},
        "VITALS_SUMMARY=" + alert_summary(alert),
        "VITALS_MESSAGE=" + alert.message.substr(0, variable_kept),
        "VITALS_DESCRIPTION=" + alert.description.substr(0, variable_kept),
        "VITALS_SINCE=" + format_utc(alert.since),
        "VITALS_AT=" + format_utc(alert.at),
        "VITALS_HOST=" + alert.host,
        "VITALS_LINK=" + alert.link,
        "VITALS_ACTION=" + alert.action.substr(0, variable_kept),
        fmt::format("VITALS_GROUPS={}", fmt::join(alert.groups, ",")),
    };
    for (const auto &[name, value] : alert.labels)
        env.push_back(label_variable(name) + "=" + value);
    return env;
}

ExecNotifier::ExecNotifier(NotifierDefinition definition) : definition_(std::move(definition)) {}

DeliveryOutcome ExecNotifier::deliver(const Alert &alert) {
    const auto &def = definition_;
    std::vector<std::string> argv = def.command;
    if (def.shell) argv = {"/bin/sh", "-c", def.command.front()};
    const std::string program = def.shell ? "/bin/sh" : def.command.front();
    const std::string input = alert_json(alert) + "\n";
    try {
        Pipe in = make_pipe();
        Pipe out = make_pipe();
        set_nonblocking(in.write.get());
        set_nonblocking(out.read.get());
        ChildProcess child{plugins::SpawnSpec{
            .program = program,
            .argv = argv,
            .environment = exec_environment(alert),
            .descriptors = {{in.read.get(), STDIN_FILENO},
                            {out.write.get(), STDOUT_FILENO},
                            {out.write.get(), STDERR_FILENO}},
            .group = plugins::ProcessGroup::own_session,
            .signal_defaults = plugins::SignalDefaults::all,
        }};
        in.read.reset(); // the child's now: end of file on our side means it closed them
        out.write.reset();
        const auto deadline = SteadyClock::now() + def.timeout;
        Run run;
        {
            const SigpipeHeld held;
            run = run_command(child, in, out, input, deadline);
        }
        // Whatever it started in its session dies with it, at the deadline or after.
        child.signal_group(SIGKILL);
        child.reap();

        const std::string output = plugins::printable(plugins::trim(run.output), output_kept) +
                                   (run.output_cut ? " (cut)" : "");
        if (!output.empty())
            log(LogLevel::info, "alerts", "notifier {}: {} said: {}", def.name, program, output);
        const auto trimmed = plugins::trim(run.output);
        const auto last =
            trimmed.substr(trimmed.size() - std::min(trimmed.size(), output_in_error));
        const std::string tail =
            last.empty() ? "" : ": " + plugins::printable(last, output_in_error);
        if (!run.exit)
            return DeliveryOutcome::retry(fmt::format("{} did not finish within {}: killed{}",
                                                      program, format_duration(def.timeout), tail));
        if (!run.exit->known) return DeliveryOutcome::retry(program + " ended, how is unknown");
        if (run.exit->how == CLD_EXITED && run.exit->status == 0)
            return DeliveryOutcome::delivered();
        if (run.exit->how == CLD_EXITED)
            return DeliveryOutcome::retry(
                fmt::format("{} exited with {}{}", program, run.exit->status, tail));
        return DeliveryOutcome::retry(
            fmt::format("{} was killed by signal {}{}", program, run.exit->status, tail));
    } catch (const std::system_error &error) {
        return DeliveryOutcome::retry(fmt::format("cannot run {}: {}", program,
                                                  plugins::describe_errno(error.code().value())));
    }
}

} // namespace vitals
