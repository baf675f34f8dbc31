// SPDX-License-Identifier: MIT
#include "support/agent_process.hpp"

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

namespace vitals::test {
namespace {

pid_t spawn(const std::vector<std::string> &args, const std::filesystem::path &log_file,
            const std::vector<std::string> &wrapper = {}) {
    std::vector<char *> argv;
    std::vector<std::string> copies = wrapper;
    copies.push_back(VITALSD_PATH);
    copies.insert(copies.end(), args.begin(), args.end());
    for (auto &arg : copies)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    return pid;
}

std::string read_file(const std::filesystem::path &file) {
    std::ifstream in{file};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

int wait_pid(pid_t pid, std::chrono::milliseconds limit) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
        int status = 0;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return -1;
}

/// In a sanitizer build (VITALS_SANITIZE) a finding in vitalsd or in one of its
/// workers goes to their stderr, the log: fail the test that started them rather
/// than let it pass on an agent that happened to answer correctly anyway.
void check_no_sanitizer_report(const std::string &output) {
    for (const char *marker : {"AddressSanitizer", "LeakSanitizer", "ThreadSanitizer",
                               "UndefinedBehaviorSanitizer", ": runtime error: "}) {
        if (output.find(marker) != std::string::npos) {
            FAIL_CHECK("sanitizer report from vitalsd:\n" << output);
            return;
        }
    }
}

} // namespace

AgentProcess::AgentProcess(const std::filesystem::path &work_dir, std::vector<std::string> args,
                           std::vector<std::string> wrapper)
    : log_file_(work_dir / "vitalsd.log") {
    pid_ = spawn(args, log_file_, wrapper);
}

AgentProcess::~AgentProcess() {
    if (pid_ <= 0) return;
    if (!exited_) {
        ::kill(pid_, SIGTERM);
        if (wait_pid(pid_, std::chrono::seconds{10}) < 0) {
            ::kill(pid_, SIGKILL);
            wait_pid(pid_, std::chrono::seconds{5});
        }
    }
    check_no_sanitizer_report(log());
}

std::uint16_t AgentProcess::wait_for_port(std::chrono::milliseconds limit) {
    static const std::regex listening{R"(listening on [^ ]+:(\d+))"};
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
        std::smatch match;
        const std::string text = log();
        if (std::regex_search(text, match, listening))
            return static_cast<std::uint16_t>(std::stoi(match[1]));
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            exited_ = true;
            throw std::runtime_error("vitalsd exited before listening:\n" + text);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    throw std::runtime_error("vitalsd did not log its port in time:\n" + log());
}

int AgentProcess::wait_for_exit(std::chrono::milliseconds limit) {
    const int code = wait_pid(pid_, limit);
    if (code >= 0) exited_ = true;
    return code;
}

void AgentProcess::signal(int signal_number) const {
    ::kill(pid_, signal_number);
}

std::string AgentProcess::log() const {
    return read_file(log_file_);
}

std::size_t AgentProcess::wait_for_log(const std::string &text, std::size_t from,
                                       std::chrono::milliseconds limit) const {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (true) {
        const auto at = log().find(text, from);
        if (at != std::string::npos || std::chrono::steady_clock::now() >= give_up) return at;
        std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
}

CommandResult run_vitalsd(const std::filesystem::path &work_dir, std::vector<std::string> args) {
    const auto log_file = work_dir / "command.log";
    const pid_t pid = spawn(args, log_file);
    const int code = wait_pid(pid, std::chrono::seconds{30});
    if (code < 0) ::kill(pid, SIGKILL);
    CommandResult result{code, read_file(log_file)};
    check_no_sanitizer_report(result.output);
    return result;
}

HttpReply http_request(std::uint16_t port, const std::string &method, const std::string &target) {
    return http_request(port, method, target, "", "");
}

HttpReply http_request(std::uint16_t port, const std::string &method, const std::string &target,
                       const std::string &body_text, const std::string &content_type,
                       const std::map<std::string, std::string> &headers) {
    Poco::Net::HTTPClientSession session{"127.0.0.1", port};
    session.setTimeout(Poco::Timespan{5, 0});
    Poco::Net::HTTPRequest request{method, target, Poco::Net::HTTPMessage::HTTP_1_1};
    if (!content_type.empty()) request.setContentType(content_type);
    for (const auto &[name, value] : headers)
        request.set(name, value);
    if (!body_text.empty() || method == "POST")
        request.setContentLength64(static_cast<Poco::Int64>(body_text.size()));
    session.sendRequest(request) << body_text;
    Poco::Net::HTTPResponse response;
    std::istream &body = session.receiveResponse(response);
    HttpReply reply;
    reply.status = response.getStatus();
    reply.content_type = response.getContentType();
    reply.allow = response.get("Allow", "");
    if (method != "HEAD") Poco::StreamCopier::copyToString(body, reply.body);
    return reply;
}

} // namespace vitals::test
