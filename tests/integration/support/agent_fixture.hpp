// A real vitalsd with a temporary configuration, and helpers to read its
// JSON. Shared by every integration test. SPDX-License-Identifier: MIT
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "support/agent_process.hpp"
#include "support/temp_dir.hpp"

namespace vitals::test {

using namespace std::chrono_literals;
using Poco::JSON::Object;

// ---------------------------------------------------------------- configuration

/// agent.toml on port 0 with the shipped and test plugins and `dir`/conf.d.
/// `extra` is appended verbatim: top-level keys first, then any [http] table. State is kept
/// in `dir`/state unless `extra` sets state_dir. `extra` starts on line 5 (errors' line numbers
/// in tests count on it).
inline std::filesystem::path write_agent_toml(
    const TempDir &dir, const std::string &extra = "", const std::string &listen = "127.0.0.1:0",
    std::vector<std::string> plugin_dirs = {VITALS_SHIPPED_PLUGIN_DIR, VITALS_TEST_PLUGIN_DIR}) {
    std::filesystem::create_directories(dir.path() / "conf.d");
    std::string dirs;
    for (const auto &plugin_dir : plugin_dirs)
        dirs += (dirs.empty() ? "\"" : ", \"") + plugin_dir + "\"";
    // Each agent keeps its state in its own directory (relative paths are agent.toml's),
    // never in the build's default one that other tests share.
    const std::string state_dir =
        extra.find("state_dir") == std::string::npos ? "state_dir = \"state\"\n" : "";
    return dir.write("agent.toml", "listen = \"" + listen + "\"\n" + "plugin_dirs = [" + dirs +
                                       "]\n" + "conf_d = \"" + (dir.path() / "conf.d").string() +
                                       "\"\n" + state_dir + extra);
}

/// A running vitalsd with its own temporary agent.toml and conf.d/checks.toml.
class Agent {
public:
    explicit Agent(const std::string &checks, const std::string &agent_extra = "",
                   std::vector<std::string> args = {}, std::vector<std::string> plugin_dirs = {}) {
        const auto config = plugin_dirs.empty() ? write_agent_toml(dir_, agent_extra)
                                                : write_agent_toml(dir_, agent_extra, "127.0.0.1:0",
                                                                   std::move(plugin_dirs));
        dir_.write("conf.d/checks.toml", checks);
        args.insert(args.begin(), {"--config", config.string()});
        process_.emplace(dir_.path(), std::move(args));
        port_ = process_->wait_for_port(15s);
    }

    std::uint16_t port() const { return port_; }
    AgentProcess &process() { return *process_; }
    std::string log() const { return process_->log(); }
    /// The agent's temporary directory: agent.toml and conf.d/ live here.
    const TempDir &dir() const { return dir_; }

private:
    TempDir dir_;
    std::optional<AgentProcess> process_;
    std::uint16_t port_ = 0;
};

// ---------------------------------------------------------------- JSON and HTTP

/// The value of a sample in a Prometheus exposition, named with its labels as written
/// (`name{label="x"}`), or -1 if there is none.
inline double sample_value(const std::string &body, const std::string &name) {
    const auto at = body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + name.size() + 2));
}

inline Object::Ptr parse(const std::string &body) {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Object::Ptr>();
}

inline std::string text(const Object::Ptr &json, const std::string &key) {
    return json->getValue<std::string>(key);
}

inline std::uint64_t consecutive(const Object::Ptr &check) {
    return check->getValue<std::uint64_t>("consecutive");
}

inline std::optional<double> metric(const Object::Ptr &check, const std::string &name) {
    const auto metrics = check->getArray("metrics");
    for (std::size_t i = 0; i < metrics->size(); ++i) {
        const auto item = metrics->getObject(static_cast<unsigned>(i));
        if (text(item, "name") == name) return item->getValue<double>("value");
    }
    return std::nullopt;
}

/// Polls /health/checks/<name> until `done` holds for its JSON; FAILs after `limit`.
/// Checks start after a random splay of up to a second, so poll rather than sleep.
inline Object::Ptr wait_until(std::uint16_t port, const std::string &name,
                              const std::function<bool(const Object::Ptr &)> &done,
                              std::chrono::milliseconds limit = 5s) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    std::string last;
    while (true) {
        const auto reply = http_get(port, "/health/checks/" + name);
        last = std::to_string(reply.status) + " " + reply.body;
        if (reply.status == 200 || reply.status == 503) {
            auto json = parse(reply.body);
            if (done(json)) return json;
        }
        if (std::chrono::steady_clock::now() >= give_up) break;
        std::this_thread::sleep_for(50ms);
    }
    FAIL("check '" << name << "' did not get there in time; last answer: " << last);
    return nullptr;
}

inline Object::Ptr wait_until_not_pending(std::uint16_t port, const std::string &name,
                                          std::chrono::milliseconds limit = 5s) {
    return wait_until(
        port, name, [](const Object::Ptr &json) { return !json->getValue<bool>("pending"); },
        limit);
}

} // namespace vitals::test
