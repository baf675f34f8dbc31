// A helper process (hog.c) that uses what the test tells it to: memory, CPU, open files,
// threads. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "plugins_system/system_fixture.hpp"

namespace vitals::test::system {

/// The hog, started with a tag on its command line, told what to use through its stdin, and
/// killed by PID when the test ends. It dies with the test process too (PR_SET_PDEATHSIG).
class Hog {
public:
    explicit Hog(std::string tag) {
        int to_child[2];
        int from_child[2];
        REQUIRE(::pipe2(to_child, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(from_child, O_CLOEXEC) == 0);
        const pid_t parent = ::getpid();
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            // Only async-signal-safe calls between fork and exec.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(126);
            ::dup2(to_child[0], 0);
            ::dup2(from_child[1], 1);
            char *argv[] = {const_cast<char *>(VITALS_HOG_PATH), tag.data(), nullptr};
            ::execv(argv[0], argv);
            ::_exit(127);
        }
        ::close(to_child[0]);
        ::close(from_child[1]);
        input_ = to_child[1];
        output_ = from_child[0];
        command("files 0"); // answered once it runs
    }
    Hog(const Hog &) = delete;
    Hog &operator=(const Hog &) = delete;
    ~Hog() {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        ::close(input_);
        ::close(output_);
    }

    pid_t pid() const { return pid_; }

    /// Sends one command and waits for its "ok".
    void command(const std::string &line) {
        const std::string text = line + "\n";
        REQUIRE(::write(input_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
        std::string answer;
        char c = 0;
        while (c != '\n') {
            pollfd ready{output_, POLLIN, 0};
            REQUIRE_MESSAGE(::poll(&ready, 1, 10000) == 1, "the hog did not answer " << line);
            REQUIRE(::read(output_, &c, 1) == 1);
            answer += c;
        }
        REQUIRE_MESSAGE(answer == "ok\n", line << ": " << answer);
    }

    double resident_bytes() const {
        std::istringstream statm{read_text("/proc/" + std::to_string(pid_) + "/statm")};
        double size = 0;
        double resident = 0;
        statm >> size >> resident;
        return resident * static_cast<double>(::sysconf(_SC_PAGESIZE));
    }

    double open_files() const {
        double count = 0;
        for ([[maybe_unused]] const auto &entry :
             std::filesystem::directory_iterator{"/proc/" + std::to_string(pid_) + "/fd"})
            ++count;
        return count;
    }

private:
    pid_t pid_ = -1;
    int input_ = -1;
    int output_ = -1;
};

} // namespace vitals::test::system
