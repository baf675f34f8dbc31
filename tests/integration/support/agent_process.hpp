// The real vitalsd binary, started for a test and stopped by PID. SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

namespace vitals::test {

struct HttpReply {
    int status = 0;
    std::string content_type;
    std::string body;
    std::string allow; ///< the Allow header
};

class AgentProcess {
public:
    /// Starts vitalsd with `args`, stderr and stdout to a log file in `work_dir`. With a
    /// `wrapper`, runs that command with vitalsd's path and `args` appended instead: it
    /// must exec vitalsd in the same process (as `unshare` does), which is then stopped.
    AgentProcess(const std::filesystem::path &work_dir, std::vector<std::string> args,
                 std::vector<std::string> wrapper = {});
    ~AgentProcess(); ///< SIGTERM, then SIGKILL if it lingers

    /// Waits for the "listening on HOST:PORT" log line; returns the port.
    std::uint16_t wait_for_port(std::chrono::milliseconds limit = std::chrono::seconds{10});
    /// Waits for the process to exit; returns its exit code (-1 on timeout).
    int wait_for_exit(std::chrono::milliseconds limit = std::chrono::seconds{10});
    void signal(int signal_number) const;
    std::string log() const;
    /// Waits for `text` in the log at or after offset `from`; returns where it starts, or
    /// std::string::npos when it did not come within `limit`.
    std::size_t wait_for_log(const std::string &text, std::size_t from = 0,
                             std::chrono::milliseconds limit = std::chrono::seconds{10}) const;
    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    std::filesystem::path log_file_;
    bool exited_ = false;
};

/// Runs vitalsd to completion (e.g. --check-config); returns exit code and output.
struct CommandResult {
    int exit_code = -1;
    std::string output;
};
CommandResult run_vitalsd(const std::filesystem::path &work_dir, std::vector<std::string> args);

/// One HTTP request to 127.0.0.1:port over a fresh connection.
HttpReply http_request(std::uint16_t port, const std::string &method, const std::string &target);
/// The same with a body (a POST's), sent with `content_type` unless that is empty, and
/// extra headers (e.g. {"Authorization", "Bearer ..."}).
HttpReply http_request(std::uint16_t port, const std::string &method, const std::string &target,
                       const std::string &body, const std::string &content_type,
                       const std::map<std::string, std::string> &headers = {});
inline HttpReply http_get(std::uint16_t port, const std::string &target) {
    return http_request(port, "GET", target);
}

} // namespace vitals::test
