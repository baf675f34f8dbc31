// What the fleet tests share: commands, a real Prometheus server stopped by PID,
// a stand-in application, polling. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/URI.h>

#include "support/agent_fixture.hpp"

namespace vitals::fleet {

using namespace std::chrono_literals;
using test::Object;

inline std::string read_text(const std::filesystem::path &file) {
    std::ifstream in{file};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

/// A word for the shell, in single quotes.
inline std::string quote(const std::string &word) {
    std::string out = "'";
    for (char c : word)
        out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
    return out + "'";
}

struct Command {
    int exit_code = -1;
    std::string output; ///< stdout only: stderr goes to the test's own, shown on failure
};

inline Command run(const std::string &command_line) {
    FILE *pipe = popen(command_line.c_str(), "r");
    REQUIRE(pipe != nullptr);
    Command result;
    char buffer[4096];
    while (std::size_t n = fread(buffer, 1, sizeof buffer, pipe))
        result.output.append(buffer, n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

/// Polls `done` every 100 ms until it holds or `limit` passes; false on timeout.
/// Exceptions (a server not up yet) count as "not yet".
inline bool eventually(std::chrono::milliseconds limit, const std::function<bool()> &done) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (true) {
        try {
            if (done()) return true;
        } catch (const std::exception &) {
        }
        if (std::chrono::steady_clock::now() >= give_up) return false;
        std::this_thread::sleep_for(100ms);
    }
}

/// GET that answers status 0 instead of throwing when nothing listens.
inline test::HttpReply try_get(std::uint16_t port, const std::string &target) {
    try {
        return test::http_get(port, target);
    } catch (const std::exception &error) {
        return {0, "", error.what(), ""};
    }
}

/// VmRSS of a process, in bytes (0 if unreadable).
inline double rss_bytes(pid_t pid) {
    std::ifstream status{"/proc/" + std::to_string(pid) + "/status"};
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) * 1024;
    return 0;
}

// ---------------------------------------------------------------- Prometheus

/// /usr/bin/prometheus on a free loopback port with its own TSDB, stopped by
/// PID when the test ends, whatever way it ends.
class PrometheusServer {
public:
    PrometheusServer(const std::filesystem::path &config, const std::filesystem::path &work_dir)
        : log_file_(work_dir / "prometheus.log") {
        std::vector<std::string> args{VITALS_PROMETHEUS, "--config.file=" + config.string(),
                                      "--storage.tsdb.path=" + (work_dir / "tsdb").string(),
                                      "--web.listen-address=127.0.0.1:0", "--log.level=info"};
        std::vector<char *> argv;
        for (auto &arg : args)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        pid_ = fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            const int fd = open(log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
            execv(argv[0], argv.data());
            _exit(127);
        }
        // Prometheus logs the port it got: msg="Listening on" address=127.0.0.1:PORT
        static const std::regex listening{R"(msg="Listening on" address=127\.0\.0\.1:(\d+))"};
        eventually(60s, [&] {
            std::smatch match;
            const std::string text = log();
            if (std::regex_search(text, match, listening)) {
                port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
                return true;
            }
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1; // exited: give up
            return pid_ < 0;
        });
        if (port_ == 0) {
            stop();
            throw std::runtime_error("prometheus did not start:\n" + log());
        }
        if (!eventually(60s, [&] { return test::http_get(port_, "/-/ready").status == 200; })) {
            stop();
            throw std::runtime_error("prometheus never became ready:\n" + log());
        }
    }
    ~PrometheusServer() { stop(); }
    PrometheusServer(const PrometheusServer &) = delete;
    PrometheusServer &operator=(const PrometheusServer &) = delete;

    std::uint16_t port() const { return port_; }
    std::string log() const { return read_text(log_file_); }

    /// GET /api/v1/<endpoint>; the "data" member of a successful answer.
    Poco::Dynamic::Var api(const std::string &endpoint) const {
        const auto reply = test::http_get(port_, "/api/v1/" + endpoint);
        if (reply.status != 200)
            throw std::runtime_error(endpoint + ": " + std::to_string(reply.status) + " " +
                                     reply.body);
        const auto json = test::parse(reply.body);
        return json->get("data");
    }

    struct Sample {
        std::map<std::string, std::string> labels;
        double value = 0;
    };

    /// An instant query; every series of the resulting vector.
    std::vector<Sample> query(const std::string &promql) const {
        std::string encoded;
        Poco::URI::encode(promql, "!#$&'()*+,/:;=?@[]", encoded);
        const auto data = api("query?query=" + encoded).extract<Object::Ptr>();
        const auto result = data->getArray("result");
        std::vector<Sample> samples;
        for (std::size_t i = 0; i < result->size(); ++i) {
            const auto series = result->getObject(static_cast<unsigned>(i));
            Sample sample;
            const auto metric = series->getObject("metric");
            for (const auto &[name, value] : *metric)
                sample.labels[name] = value.toString();
            sample.value = std::stod(series->getArray("value")->getElement<std::string>(1));
            samples.push_back(std::move(sample));
        }
        return samples;
    }

private:
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 300; ++i) { // 30 s for a clean TSDB close
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(100ms);
        }
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    std::filesystem::path log_file_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

// ---------------------------------------------------------------- a stand-in application

/// An HTTP server on a free loopback port answering 200 "ok" to everything:
/// the application a sidecar agent watches.
class FakeApp {
public:
    FakeApp()
        : socket_(Poco::Net::SocketAddress{"127.0.0.1", 0}),
          server_(new Factory, socket_, new Poco::Net::HTTPServerParams) {
        server_.start();
    }
    ~FakeApp() { server_.stopAll(true); }
    FakeApp(const FakeApp &) = delete;
    FakeApp &operator=(const FakeApp &) = delete;

    std::uint16_t port() const { return socket_.address().port(); }

private:
    struct Ok : Poco::Net::HTTPRequestHandler {
        void handleRequest(Poco::Net::HTTPServerRequest &,
                           Poco::Net::HTTPServerResponse &response) override {
            response.setContentType("text/plain");
            response.send() << "ok\n";
        }
    };
    struct Factory : Poco::Net::HTTPRequestHandlerFactory {
        Poco::Net::HTTPRequestHandler *
        createRequestHandler(const Poco::Net::HTTPServerRequest &) override {
            return new Ok;
        }
    };

    Poco::Net::ServerSocket socket_;
    Poco::Net::HTTPServer server_;
};

} // namespace vitals::fleet
