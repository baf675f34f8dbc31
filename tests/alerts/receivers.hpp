// The real receivers the notifiers are tested against, each on 127.0.0.1 on a port of the
// test's choosing and stopped by PID: a webhook (webhook_receiver.py), Debian's
// prometheus-alertmanager, and an SMTP server (aiosmtpd, smtp_receiver.py).
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "service_process.hpp"
#include "support/agent_process.hpp"
#include "support/temp_dir.hpp"

namespace vitals::test::alerts {

using namespace std::chrono_literals;
using services::contains;
using services::eventually;
using services::read_text;

/// A process started by the test: `argv` with "{port}" replaced, READY awaited in its log
/// (or, without `ready_word`, the port accepting), retried on another port if it dies.
class ReceiverProcess {
public:
    ReceiverProcess() = default;
    ~ReceiverProcess() { stop(); }
    ReceiverProcess(const ReceiverProcess &) = delete;
    ReceiverProcess &operator=(const ReceiverProcess &) = delete;

    void start(std::vector<std::string> argv, const std::filesystem::path &log,
               const std::string &ready_word, std::uint16_t port) {
        for (auto &arg : argv)
            if (const auto at = arg.find("{port}"); at != std::string::npos)
                arg.replace(at, 6, std::to_string(port));
        std::filesystem::remove(log);
        pid_ = services::start_background(argv, {}, log);
        const bool up = eventually(
            [&] {
                return !services::process_alive(pid_) ||
                       (ready_word.empty() ? services::port_accepts(port)
                                           : contains(read_text(log), ready_word));
            },
            20s);
        if (!up || !services::process_alive(pid_)) {
            stop();
            throw std::runtime_error(argv.front() + " did not start:\n" + read_text(log));
        }
    }

    void stop() {
        if (pid_ <= 0) return;
        services::stop_pid(pid_, SIGTERM, 10s);
        pid_ = -1;
    }

private:
    pid_t pid_ = -1;
};

/// One POST the webhook receiver took.
struct Delivery {
    std::string path;
    Poco::JSON::Object::Ptr headers;
    Poco::Dynamic::Var body; ///< an object or array when JSON, else the text
};

/// webhook_receiver.py answering `status` to every POST.
class WebhookReceiver {
public:
    explicit WebhookReceiver(int status = 200, std::uint16_t port = services::free_port())
        : status_(status), port_(port) {
        process_.start({"/usr/bin/python3", VITALS_WEBHOOK_RECEIVER, "{port}",
                        (dir_.path() / "posts.jsonl").string(), std::to_string(status_)},
                       dir_.path() / "receiver.log", "READY", port_);
    }

    std::uint16_t port() const { return port_; }
    std::string url(const std::string &path = "/hook") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

    std::vector<Delivery> deliveries() const {
        std::vector<Delivery> all;
        std::ifstream in{dir_.path() / "posts.jsonl"};
        for (std::string line; std::getline(in, line);) {
            const auto record = Poco::JSON::Parser{}.parse(line).extract<Poco::JSON::Object::Ptr>();
            all.push_back({record->getValue<std::string>("path"), record->getObject("headers"),
                           record->get("body")});
        }
        return all;
    }

    /// Waits until at least `count` POSTs arrived; returns them all.
    std::vector<Delivery> wait_for(std::size_t count, std::chrono::milliseconds limit = 10s) const {
        eventually([&] { return deliveries().size() >= count; }, limit);
        return deliveries();
    }

private:
    TempDir dir_;
    int status_;
    std::uint16_t port_;
    ReceiverProcess process_;
};

/// Debian's Alertmanager, routing everything to `webhook_url` at once (group_wait 0s,
/// group_interval 1s), resolved alerts included.
class Alertmanager {
public:
    explicit Alertmanager(const std::string &webhook_url) {
        dir_.write("alertmanager.yml", "route:\n"
                                       "  receiver: hook\n"
                                       "  group_by: ['alertname', 'check']\n"
                                       "  group_wait: 0s\n"
                                       "  group_interval: 1s\n"
                                       "  repeat_interval: 1h\n"
                                       "receivers:\n"
                                       "  - name: hook\n"
                                       "    webhook_configs:\n"
                                       "      - url: " +
                                           webhook_url +
                                           "\n"
                                           "        send_resolved: true\n");
        for (int attempt = 0;; ++attempt) {
            port_ = services::free_port();
            try {
                process_.start({"/usr/bin/prometheus-alertmanager",
                                "--config.file=" + (dir_.path() / "alertmanager.yml").string(),
                                "--storage.path=" + (dir_.path() / "data").string(),
                                "--web.listen-address=127.0.0.1:{port}",
                                // Without it, it gossips on 0.0.0.0:9094.
                                "--cluster.listen-address=", "--log.level=warn"},
                               dir_.path() / "alertmanager.log", "", port_);
                break;
            } catch (const std::runtime_error &) {
                if (attempt == 2) throw;
            }
        }
        const bool ready =
            eventually([&] { return http_request(port_, "GET", "/-/ready").status == 200; }, 20s);
        if (!ready) throw std::runtime_error("Alertmanager never became ready");
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    TempDir dir_;
    std::uint16_t port_ = 0;
    ReceiverProcess process_;
};

/// smtp_receiver.py: STARTTLS required, then AUTH as `user`/`password`; keeps every message.
class SmtpReceiver {
public:
    SmtpReceiver(const std::filesystem::path &certificate, const std::filesystem::path &key,
                 const std::string &user, const std::string &password)
        : port_(services::free_port()) {
        process_.start({"/usr/bin/python3", VITALS_SMTP_RECEIVER, "{port}",
                        (dir_.path() / "mail").string(), certificate.string(), key.string(), user,
                        password},
                       dir_.path() / "receiver.log", "READY", port_);
    }

    std::uint16_t port() const { return port_; }

    /// Each message as stored, envelope lines first.
    std::vector<std::string> messages() const {
        std::vector<std::string> all;
        for (int n = 1;; ++n) {
            const auto file = dir_.path() / "mail" / (std::to_string(n) + ".eml");
            if (!std::filesystem::exists(file)) return all;
            all.push_back(read_text(file));
        }
    }

private:
    TempDir dir_;
    std::uint16_t port_;
    ReceiverProcess process_;
};

} // namespace vitals::test::alerts
