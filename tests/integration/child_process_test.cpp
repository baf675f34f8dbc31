// plugins/common's ChildProcess, with real children (/bin/sh): how each is set up, how its
// end is seen, and that it is always reaped. The exec plugin (plugins_exec) and the plugin
// workers (faults) use it end to end. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <string>
#include <system_error>
#include <vector>

#include <vitals_plugins/child_process.hpp>
#include <vitals_plugins/fd.hpp>

using namespace vitals::plugins;
using namespace std::chrono_literals;

namespace {

/// `script` run by /bin/sh; the rest of the set-up as given.
SpawnSpec shell(const std::string &script, SpawnSpec spec = {}) {
    spec.program = "/bin/sh";
    spec.argv = {"sh", "-c", script};
    return spec;
}

/// The exit status of `spec`'s child, once it has ended by itself.
int exit_status(const SpawnSpec &spec) {
    ChildProcess child{spec};
    REQUIRE(child.wait_for_exit(Clock::now() + 10s));
    const int status = child.reap();
    REQUIRE(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/// A pipe: the read end, and the write end at a number of its own.
struct Pipe {
    UniqueFd in;
    UniqueFd out;
};

Pipe make_pipe() {
    std::array<int, 2> fds{};
    REQUIRE(::pipe2(fds.data(), O_CLOEXEC) == 0);
    return {UniqueFd{fds[0]}, UniqueFd{fds[1]}};
}

std::string read_all(int fd) {
    std::string text;
    std::array<char, 256> buffer{};
    for (ssize_t n; (n = ::read(fd, buffer.data(), buffer.size())) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        REQUIRE(n > 0);
        text.append(buffer.data(), static_cast<std::size_t>(n));
    }
    return text;
}

} // namespace

TEST_CASE("child process: exit status, signal and exit seen before reaping") {
    CHECK(exit_status(shell("exit 0")) == 0);
    CHECK(exit_status(shell("exit 3")) == 3);

    ChildProcess killed{shell("kill -TERM $$")};
    REQUIRE(killed.wait_for_exit(Clock::now() + 10s));
    const auto exit = killed.exited();
    REQUIRE(exit);
    CHECK(exit->known);
    CHECK(exit->how == CLD_KILLED);
    CHECK(exit->status == SIGTERM);
    // Seen, not reaped: the PID is still ours to wait for.
    const int status = killed.reap();
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
}

TEST_CASE("child process: a program that cannot start is an error with its errno") {
    try {
        ChildProcess child{SpawnSpec{.program = "/nonexistent/program", .argv = {"program"}}};
        FAIL("started a program that does not exist");
    } catch (const std::system_error &e) {
        CHECK(e.code().value() == ENOENT);
    }
}

TEST_CASE("child process: descriptors placed crosswise, and no others") {
    Pipe one = make_pipe();
    Pipe two = make_pipe();
    const std::string at_one = std::to_string(one.out.get());
    const std::string at_two = std::to_string(two.out.get());
    // Each lands where the other was: placed one after the other, the first would overwrite
    // the second before its turn.
    ChildProcess child{
        shell("echo one >&" + at_two + " && echo two >&" + at_one,
              {.descriptors = {{one.out.get(), two.out.get()}, {two.out.get(), one.out.get()}}})};
    one.out.reset();
    two.out.reset();
    CHECK(read_all(one.in.get()) == "one\n");
    CHECK(read_all(two.in.get()) == "two\n");
    CHECK(WEXITSTATUS(child.reap()) == 0);

    // Open and not close-on-exec here, and not placed: closed in the child all the same.
    std::array<int, 2> inheritable{};
    REQUIRE(::pipe(inheritable.data()) == 0);
    const UniqueFd in{inheritable[0]};
    const UniqueFd out{inheritable[1]};
    CHECK(exit_status(shell("echo leaked 2>/dev/null >&" + std::to_string(out.get()))) != 0);
}

TEST_CASE("child process: environment, working directory and standard input as asked") {
    CHECK(exit_status(shell("test \"$ONLY\" = this && test -z \"$HOME\"",
                            {.environment = std::vector<std::string>{"ONLY=this"}})) == 0);
    CHECK(exit_status(shell("test \"$(pwd -P)\" = /", {.working_dir = "/"})) == 0);
    CHECK(exit_status(shell("! read line", {.stdin_from_null = true})) == 0);
}

TEST_CASE("child process: it leads its own process group, or its own session") {
    // Fields 5 and 6 of /proc/PID/stat are the process group and session IDs.
    const std::string ids = "read pid name state parent group session rest < /proc/$$/stat; ";
    CHECK(exit_status(shell(ids + "test $group -eq $$ && test $session -ne $$",
                            {.group = ProcessGroup::own_group})) == 0);
    CHECK(exit_status(shell(ids + "test $group -eq $$ && test $session -eq $$",
                            {.group = ProcessGroup::own_session})) == 0);
}

TEST_CASE("child process: signals start unblocked, at their defaults as asked") {
    // This thread blocks SIGTERM and ignores SIGHUP, as the agent's threads do with signals.
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigset_t previous_mask;
    REQUIRE(::pthread_sigmask(SIG_BLOCK, &term, &previous_mask) == 0);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction previous_hup {};
    REQUIRE(::sigaction(SIGHUP, &ignore, &previous_hup) == 0);

    const std::string term_then_hup = "kill -TERM $$; kill -HUP $$; exit 0";
    ChildProcess all{shell(term_then_hup, {.signal_defaults = SignalDefaults::all})};
    ChildProcess sigpipe{
        shell("kill -HUP $$; kill -TERM $$; exit 0", {.signal_defaults = SignalDefaults::sigpipe})};
    const int all_status = all.reap();
    const int sigpipe_status = sigpipe.reap();

    ::sigaction(SIGHUP, &previous_hup, nullptr);
    ::pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
    CHECK(WIFSIGNALED(all_status));
    CHECK(WTERMSIG(all_status) == SIGTERM);
    // SIGHUP stayed ignored, and SIGTERM, no longer blocked, ended it.
    CHECK(WIFSIGNALED(sigpipe_status));
    CHECK(WTERMSIG(sigpipe_status) == SIGTERM);
}

TEST_CASE("child process: kill_and_reap ends the whole group, and a dropped one is reaped") {
    Pipe pipe = make_pipe();
    pid_t group = -1;
    {
        // The background sleep holds the pipe's write end: end of file means it died too.
        ChildProcess child{shell("sleep 60 & echo started; wait",
                                 {.descriptors = {{pipe.out.get(), STDOUT_FILENO}}})};
        group = child.pid();
        pipe.out.reset();
        std::string line;
        for (char c = 0; c != '\n' && ::read(pipe.in.get(), &c, 1) == 1;)
            line += c;
        REQUIRE(line == "started\n");
    } // dropped while running: killed with its group and reaped
    CHECK(read_all(pipe.in.get()).empty());
    CHECK(::waitpid(group, nullptr, WNOHANG) == -1);
    CHECK(errno == ECHILD);
}

TEST_CASE("child process: one reaped elsewhere is reported lost") {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction previous {};
    REQUIRE(::sigaction(SIGCHLD, &ignore, &previous) == 0); // the kernel reaps every child
    ChildProcess child{shell("exit 0")};
    const bool exited = child.wait_for_exit(Clock::now() + 10s);
    const auto exit = child.exited();
    const int status = child.reap();
    ::sigaction(SIGCHLD, &previous, nullptr);
    CHECK(exited);
    REQUIRE(exit);
    CHECK_FALSE(exit->known);
    CHECK(status == ChildProcess::reaped_elsewhere);
}
