// A throwaway RabbitMQ node on 127.0.0.1, stopped by PID. SPDX-License-Identifier: MIT
#pragma once

#include "service_process.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace vitals::test::services {

/// One RabbitMQ node with its own name, data and log directories, AMQP port, distribution
/// port and epmd port (all below 32768, all on loopback), so that it shares nothing with a
/// system broker or another test. The guest/guest account works from localhost. Booting
/// takes 6-8 s. The destructor stops the node by PID, then its private epmd.
class RabbitServer {
public:
    RabbitServer() {
        require_root("RabbitMQ");
        static int instance = 0;
        node_ = "vitals_test_" + std::to_string(::getpid()) + "_" + std::to_string(++instance) +
                "@localhost";
        chown_to(dir_.path(), "rabbitmq");
        for (const char *sub : {"mnesia", "log"}) {
            std::filesystem::create_directories(dir_.path() / sub);
            chown_to(dir_.path() / sub, "rabbitmq");
        }
        // No plugins: the management plugin, if the system enables it, would listen on every
        // interface.
        chown_to(dir_.write("enabled_plugins", "[].\n"), "rabbitmq");
        port_ = free_port();
        do
            dist_port_ = free_port();
        while (dist_port_ == port_);
        do
            epmd_port_ = free_port();
        while (epmd_port_ == port_ || epmd_port_ == dist_port_);
        start();
    }

    ~RabbitServer() {
        stop();
        stop_epmd();
    }
    RabbitServer(const RabbitServer &) = delete;
    RabbitServer &operator=(const RabbitServer &) = delete;

    /// Boots the node (again, on the same ports after stop()) and waits until it runs.
    void start() {
        std::filesystem::remove(pid_file());
        wrapper_ = start_background({"/usr/sbin/rabbitmq-server"}, environment(),
                                    dir_.path() / "stdout.log");
        const auto waited = ctl({"wait", "--timeout", "90", pid_file().string()}, 120s);
        const auto pid = read_pid_file(pid_file());
        if (waited.exit_code != 0 || !pid) {
            ::kill(-wrapper_, SIGKILL);
            if (pid) stop_pid(*pid, SIGKILL, 10s);
            wait_gone(wrapper_, 10s);
            throw std::runtime_error("RabbitMQ did not start:\n" + waited.output + "\n" +
                                     read_text(dir_.path() / "stdout.log"));
        }
        pid_ = *pid;
    }

    /// SIGTERM to the node's PID (Erlang shuts down cleanly on it), waiting until it is gone.
    void stop() {
        if (pid_ > 0) stop_pid(pid_, SIGTERM, 60s);
        pid_ = -1;
        if (wrapper_ > 0) {
            // The shell and su around the node end with it; make sure, and reap them.
            if (!wait_gone(wrapper_, 10s)) ::kill(-wrapper_, SIGKILL);
            wait_gone(wrapper_, 5s);
        }
        wrapper_ = -1;
    }

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::string &node() const { return node_; }

    /// rabbitmqctl against this node.
    CommandOutput ctl(std::vector<std::string> args,
                      std::chrono::milliseconds limit = std::chrono::seconds{60}) const {
        args.insert(args.begin(), {"rabbitmqctl", "-n", node_});
        return run_command(args, environment(), limit);
    }

private:
    std::filesystem::path pid_file() const { return dir_.path() / "rabbitmq.pid"; }

    std::vector<std::string> environment() const {
        const std::string dir = dir_.path().string();
        return {
            "RABBITMQ_NODENAME=" + node_,
            "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
            "RABBITMQ_NODE_PORT=" + std::to_string(port_),
            "RABBITMQ_DIST_PORT=" + std::to_string(dist_port_),
            "RABBITMQ_MNESIA_BASE=" + dir + "/mnesia",
            "RABBITMQ_LOG_BASE=" + dir + "/log",
            "RABBITMQ_PID_FILE=" + pid_file().string(),
            "RABBITMQ_ENABLED_PLUGINS_FILE=" + dir + "/enabled_plugins",
            "RABBITMQ_CONFIG_FILE=" + dir + "/rabbitmq", // absent: built-in defaults
            "RABBITMQ_ADVANCED_CONFIG_FILE=" + dir + "/advanced.config",
            // Erlang distribution on loopback only, through a private epmd.
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_PORT=" + std::to_string(epmd_port_),
            "ERL_EPMD_ADDRESS=127.0.0.1",
        };
    }

    /// The node started its own epmd on the private port, and epmd outlives nodes. Only
    /// this test used that port, so nobody else depends on it.
    void stop_epmd() const {
        if (!port_accepts(epmd_port_)) return;
        run_command({"epmd", "-port", std::to_string(epmd_port_), "-kill"}, {}, 15s);
        eventually([&] { return !port_accepts(epmd_port_); }, 10s);
    }

    TempDir dir_; // first member: removed only after the node has stopped
    std::string node_;
    std::uint16_t port_ = 0;
    std::uint16_t dist_port_ = 0;
    std::uint16_t epmd_port_ = 0;
    pid_t wrapper_ = -1; ///< /usr/sbin/rabbitmq-server, the shell that su's to rabbitmq
    pid_t pid_ = -1;     ///< the node itself (beam.smp)
};

} // namespace vitals::test::services
