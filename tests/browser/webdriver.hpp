// A minimal W3C WebDriver client for chromedriver + headless Chromium, over Poco.
// SPDX-License-Identifier: MIT
//
// WebDriver is plain HTTP and JSON, so the browser test needs no Node or npm:
// chromedriver (Debian's chromium-driver) starts Chromium and this speaks to it.
#pragma once

#include <doctest/doctest.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <Poco/Base64Decoder.h>
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

namespace vitals::test {

using Json = Poco::Dynamic::Var;

/// A free loopback port for chromedriver (which takes a port, not a socket).
inline std::uint16_t free_port() {
    Poco::Net::ServerSocket socket{Poco::Net::SocketAddress{"127.0.0.1", 0}};
    return socket.address().port();
}

/// chromedriver, started for one test and stopped by its PID.
class ChromeDriver {
public:
    /// Its output goes to `log_file`, whose folder is made if missing (on a fresh
    /// build nothing has made the test's output folder yet).
    explicit ChromeDriver(const std::filesystem::path &log_file) : port_(free_port()) {
        const std::string port_arg = "--port=" + std::to_string(port_);
        const std::string binary = VITALS_CHROMEDRIVER;
        std::filesystem::create_directories(log_file.parent_path());
        // Opened here, not in the child, so a failure is reported rather than lost.
        const int fd = open(log_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        REQUIRE_MESSAGE(fd >= 0, "cannot open " << log_file.string() << ": " << strerror(errno));
        pid_ = fork();
        if (pid_ < 0) close(fd);
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            dup2(fd, STDOUT_FILENO); // dup2 clears O_CLOEXEC on the copies
            dup2(fd, STDERR_FILENO);
            execl(binary.c_str(), binary.c_str(), port_arg.c_str(), "--allowed-ips=127.0.0.1",
                  static_cast<char *>(nullptr));
            _exit(127);
        }
        close(fd);
        wait_until_ready();
    }
    ~ChromeDriver() {
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(std::chrono::milliseconds{20});
        }
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    ChromeDriver(const ChromeDriver &) = delete;
    ChromeDriver &operator=(const ChromeDriver &) = delete;

    std::uint16_t port() const { return port_; }

    /// One WebDriver command; returns the answer's "value", FAILs on an error answer.
    Json call(const std::string &method, const std::string &path, const std::string &body = "") {
        Poco::Net::HTTPClientSession session{"127.0.0.1", port_};
        session.setTimeout(Poco::Timespan{60, 0});
        Poco::Net::HTTPRequest request{method, path, Poco::Net::HTTPMessage::HTTP_1_1};
        if (method == "POST") {
            request.setContentType("application/json");
            request.setContentLength64(static_cast<Poco::Int64>(body.size()));
        }
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream &in = session.receiveResponse(response);
        std::string text;
        Poco::StreamCopier::copyToString(in, text);
        INFO(method, " ", path, " ", body.substr(0, 300));
        REQUIRE_MESSAGE(response.getStatus() == 200, text.substr(0, 2000));
        Poco::JSON::Parser parser;
        return parser.parse(text).extract<Poco::JSON::Object::Ptr>()->get("value");
    }

private:
    void wait_until_ready() {
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds{20};
        while (std::chrono::steady_clock::now() < give_up) {
            try {
                Poco::Net::HTTPClientSession session{"127.0.0.1", port_};
                Poco::Net::HTTPRequest request{"GET", "/status", Poco::Net::HTTPMessage::HTTP_1_1};
                session.sendRequest(request);
                Poco::Net::HTTPResponse response;
                session.receiveResponse(response);
                if (response.getStatus() == 200) return;
            } catch (const Poco::Exception &) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds{100});
        }
        FAIL("chromedriver did not start on port " << port_);
    }

    std::uint16_t port_;
    pid_t pid_ = -1;
};

/// One headless Chromium window.
class BrowserSession {
public:
    struct Options {
        int width = 1280;
        int height = 800;
        bool javascript = true;
    };

    BrowserSession(ChromeDriver &driver, const std::filesystem::path &profile, Options options)
        : driver_(driver) {
        // The flags Chromium needs as root in a container, with nothing phoning home.
        std::string args;
        for (const std::string &arg : std::vector<std::string>{
                 "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--hide-scrollbars", "--force-color-profile=srgb",
                 "--user-data-dir=" + profile.string(),
                 "--window-size=" + std::to_string(options.width) + "," +
                     std::to_string(options.height)})
            args += (args.empty() ? "\"" : ", \"") + arg + "\"";
        const std::string prefs =
            options.javascript ? "{}"
                               : R"({"profile.managed_default_content_settings.javascript": 2})";
        const auto value = driver_.call(
            "POST", "/session",
            R"({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"binary": ")" +
                std::string{VITALS_CHROMIUM} + R"(", "args": [)" + args + R"(], "prefs": )" +
                prefs + "}}}}");
        id_ = value.extract<Poco::JSON::Object::Ptr>()->getValue<std::string>("sessionId");
    }
    ~BrowserSession() {
        try {
            driver_.call("DELETE", "/session/" + id_);
        } catch (...) {
        }
    }
    BrowserSession(const BrowserSession &) = delete;
    BrowserSession &operator=(const BrowserSession &) = delete;

    void go(const std::string &url) { command("POST", "/url", R"({"url": ")" + url + "\"}"); }

    /// Runs `script` (a function body) in the page; returns what it returns, as JSON text.
    std::string run(const std::string &script) {
        Poco::JSON::Object body;
        body.set("script", "return JSON.stringify((function () {" + script + "})());");
        body.set("args", Poco::JSON::Array{});
        std::ostringstream text;
        body.stringify(text);
        return command("POST", "/execute/sync", text.str()).toString();
    }

    /// CSS selector → how many elements match (WebDriver's own lookup: no page script).
    std::size_t count(const std::string &selector) {
        const auto found = command("POST", "/elements",
                                   R"({"using": "css selector", "value": ")" + selector + "\"}");
        return found.extract<Poco::JSON::Array::Ptr>()->size();
    }

    void click(const std::string &selector) {
        const auto found = command("POST", "/element",
                                   R"({"using": "css selector", "value": ")" + selector + "\"}");
        const auto element = found.extract<Poco::JSON::Object::Ptr>();
        const std::string id = element->getValue<std::string>(*element->getNames().begin());
        command("POST", "/element/" + id + "/click", "{}");
    }

    void screenshot(const std::filesystem::path &file) {
        const std::string base64 = command("GET", "/screenshot").toString();
        std::istringstream in{base64};
        Poco::Base64Decoder decoder{in};
        std::filesystem::create_directories(file.parent_path());
        std::ofstream out{file, std::ios::binary};
        out << decoder.rdbuf();
    }

private:
    Json command(const std::string &method, const std::string &path, const std::string &body = "") {
        return driver_.call(method, "/session/" + id_ + path, body);
    }

    ChromeDriver &driver_;
    std::string id_;
};

} // namespace vitals::test
