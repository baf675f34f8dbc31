// http.so keeps TLS in a module of its own (http.d/https.so), loaded by the first https
// URL: http:// checks must not pay for libssl and Poco NetSSL, and a missing module must
// cost only the https checks. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "network_support.hpp"
#include "support/proc_maps.hpp"
#include "support/sanitizer_build.hpp"

namespace {

using namespace vitals::test;
using namespace vitals::test::network;
namespace fs = std::filesystem;

const fs::path shipped_http = fs::path{VITALS_SHIPPED_PLUGIN_DIR} / "http.so";
const fs::path shipped_module = fs::path{VITALS_SHIPPED_PLUGIN_DIR} / "http.d" / "https.so";

/// What TLS brings into a process: the module, Poco NetSSL with what it needs, and OpenSSL.
constexpr std::array tls_libraries{"https.so",         "libssl.so",        "libcrypto.so",
                                   "libPocoNetSSL.so", "libPocoCrypto.so", "libPocoUtil.so",
                                   "libPocoXML.so",    "libexpat.so"};

/// The TLS libraries among `files` (paths), by file name.
std::set<std::string> tls_mapped(const std::set<std::string> &files) {
    std::set<std::string> found;
    for (const auto &file : files) {
        const std::string name = fs::path{file}.filename().string();
        for (const char *library : tls_libraries)
            if (name.starts_with(library)) found.insert(name);
    }
    return found;
}

/// One check run by plugin_host: its result and what the process had mapped afterwards.
struct HostRun {
    std::string status;
    std::string message;
    std::set<std::string> mapped;
};

std::string url_param(const std::string &url, const std::string &extra = "") {
    return "url = \"" + url + "\"" + (extra.empty() ? "" : ", " + extra);
}

std::string quoted(const std::string &text) {
    std::string out = "'";
    for (const char c : text)
        out += c == '\'' ? std::string{"'\\''"} : std::string{c};
    return out + "'";
}

/// What one plugin_host process that loads `plugin` prints for `checks` (see plugin_host.cpp).
std::string plain_host_output(const fs::path &plugin,
                              const std::vector<std::vector<std::string>> &checks,
                              bool parallel = false) {
    std::string command = quoted(VITALS_PLUGIN_HOST) + " " + quoted(plugin.string()) +
                          (parallel ? " --parallel" : "");
    for (const auto &params : checks) {
        command += " --check";
        for (const auto &param : params)
            command += " " + quoted(param);
    }
    FILE *pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string output;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), buffer.size(), pipe))
        output += buffer.data();
    const int status = ::pclose(pipe);
    INFO(command << "\n" << output);
    REQUIRE(status == 0);
    return output;
}

/// Runs each check once, in this order, in one plugin_host process that loads `plugin`.
std::vector<HostRun> run_in_plain_host(const fs::path &plugin,
                                       const std::vector<std::vector<std::string>> &checks) {
    const std::string output = plain_host_output(plugin, checks);
    std::vector<HostRun> runs;
    std::istringstream lines{output};
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("result ")) {
            const auto space = line.find(' ', 7);
            runs.push_back({line.substr(7, space - 7), line.substr(space + 1), {}});
        } else if (line.starts_with("mapped ") && !runs.empty()) {
            runs.back().mapped.insert(line.substr(7));
        }
    }
    REQUIRE(runs.size() == checks.size());
    return runs;
}

/// A plugin directory holding a copy of the shipped http.so and nothing else.
fs::path lone_http_plugin_dir(const TempDir &dir) {
    const auto plugins = dir.path() / "plugins";
    fs::create_directories(plugins);
    fs::copy_file(shipped_http, plugins / "http.so");
    return plugins;
}

} // namespace

TEST_CASE("http: an http:// check maps no TLS library, and the first https one loads the module") {
    TempDir dir;
    const auto cert = make_cert(dir, "server", 30);
    TestServer plain;
    TestServer tls{cert};
    // One process that knows nothing of TLS itself, so whatever it maps is http.so's doing.
    const auto runs = run_in_plain_host(
        shipped_http, {{"url=" + plain.url("/body")},
                       {"url=" + tls.url("/body"), "ca_file=" + cert.cert.string()},
                       {"url=" + plain.url("/body")}});

    INFO(runs[0].message);
    CHECK(runs[0].status == "ok");
    CHECK(runs[0].message.starts_with("GET " + plain.url("/body") + ": 200 OK in "));
    CHECK(tls_mapped(runs[0].mapped).empty());
    CHECK(runs[0].mapped.count(shipped_http.string()) == 1); // the maps are this process's

    INFO(runs[1].message);
    CHECK(runs[1].status == "ok");
    CHECK(runs[1].message.starts_with("GET " + tls.url("/body") + ": 200 OK in "));
    CHECK(runs[1].mapped.count(shipped_module.string()) == 1);
    CHECK(maps(runs[1].mapped, "libPocoNetSSL.so"));
    CHECK(maps(runs[1].mapped, "libssl.so"));

    // http:// goes on working beside the loaded module.
    CHECK(runs[2].status == "ok");
}

TEST_CASE("http: runs hung on a silent server share one deadline thread instead of one each") {
    SilentServer silent;
    constexpr std::size_t runs = 8;
    const std::vector<std::vector<std::string>> checks(
        runs, {"url=http://127.0.0.1:" + std::to_string(silent.port()) + "/"});
    const std::string output = plain_host_output(shipped_http, checks, true);
    INFO(output);
    std::size_t timed_out = 0;
    std::optional<std::size_t> threads;
    std::istringstream lines{output};
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("result error ") && line.find("timed out") != std::string::npos)
            ++timed_out;
        if (line.starts_with("threads ")) threads = std::stoul(line.substr(8));
    }
    CHECK(timed_out == runs); // all of them waited for the deadline, in parallel
    REQUIRE(threads.has_value());
    // The host's main thread, one thread per run, and the plugin's one deadline thread.
    CHECK(*threads <= 1 + runs + 1 + sanitizer_threads);
}

TEST_CASE("http: vitalsd loads the https module at the first https URL, a redirect's included") {
    TempDir dir;
    const auto cert = make_cert(dir, "server", 30);
    TestServer plain;
    TestServer tls{cert};
    const std::string ca_file = "ca_file = \"" + cert.cert.string() + "\"";
    const std::string to_tls = plain.url("/redirect-to?url=" + tls.url("/body"));

    SUBCASE("http:// checks, and a disabled https one, which is still created, load nothing") {
        Agent agent{check_toml("plain", "http", url_param(plain.url("/body"))) +
                    "[check.later]\nplugin = \"http\"\nenabled = false\nparams = { url = \"" +
                    tls.url("/body") + "\", " + ca_file + " }\n"};
        wait_until(
            agent.port(), "plain", [](const auto &json) { return consecutive(json) >= 2; }, 15s);
        const auto files = mapped_files(agent.process().pid());
        CHECK(files.count(shipped_http.string()) == 1);
        // Neither the module nor anything TLS: the agent itself loads its own TLS only
        // for [tls], and opens only the plugins its checks name.
        CHECK(tls_mapped(files).empty());
    }

    SUBCASE("an http:// URL that redirects to https:// loads it and is judged over TLS") {
        Agent agent{check_toml("upgraded", "http",
                               url_param(to_tls, "follow_redirects = true, " + ca_file))};
        const auto check = first_result(agent, "upgraded");
        INFO(message_of(check));
        CHECK(text(check, "status") == "ok");
        CHECK(contains(message_of(check), ": 200 OK in "));
        // The target came in the check's query (?url=...), so it is shown masked: every query
        // value the check was given is kept out of its messages.
        CHECK(contains(message_of(check), "after 1 redirect to ***"));
        CHECK(tls.hits("/body") >= 1);
        const auto files = mapped_files(agent.process().pid());
        CHECK(files.count(shipped_module.string()) == 1);
        CHECK(maps(files, "libPocoNetSSL.so"));
    }
}

TEST_CASE("http: without its https module, https checks are errors naming it, http:// works") {
    TempDir dir;
    const auto cert = make_cert(dir, "server", 30);
    TestServer plain;
    TestServer tls{cert};
    const auto plugins = lone_http_plugin_dir(dir);
    const std::string module = (plugins / "http.d" / "https.so").string();
    Agent agent{
        check_toml("secure", "http",
                   url_param(tls.url("/body"), "ca_file = \"" + cert.cert.string() + "\"")) +
            check_toml("upgraded", "http",
                       url_param(plain.url("/redirect-to?url=" + tls.url("/body")),
                                 "follow_redirects = true")) +
            check_toml("plain", "http", url_param(plain.url("/body"))),
        "",
        {},
        {plugins.string()}};

    // Twice: a failed load is tried again on the next run, and the agent is still there.
    const auto secure = wait_until(
        agent.port(), "secure", [](const auto &json) { return consecutive(json) >= 2; }, 15s);
    INFO(message_of(secure));
    CHECK(text(secure, "status") == "error");
    CHECK(message_of(secure).starts_with("GET " + tls.url("/body") +
                                         ": cannot load the https module " + module + ": "));
    CHECK(contains(message_of(secure), module + ": cannot open shared object file"));

    const auto upgraded = first_result(agent, "upgraded");
    INFO(message_of(upgraded));
    CHECK(text(upgraded, "status") == "error");
    CHECK(contains(message_of(upgraded), ": cannot load the https module " + module + ": "));

    const auto plain_check = first_result(agent, "plain");
    CHECK(text(plain_check, "status") == "ok");
    CHECK_FALSE(maps(mapped_files(agent.process().pid()), "https.so"));
}

TEST_CASE("http: an https module that is not one is refused with dlerror's words") {
    TempDir dir;
    TestServer tls{make_cert(dir, "server", 30)};
    const auto plugins = lone_http_plugin_dir(dir);
    const auto module = plugins / "http.d" / "https.so";
    fs::create_directories(module.parent_path());

    SUBCASE("not a shared library at all") {
        std::ofstream{module} << "This is a text file with a .so name.\n";
        const auto runs = run_in_plain_host(plugins / "http.so", {{"url=" + tls.url("/")}});
        INFO(runs[0].message);
        CHECK(runs[0].status == "error");
        CHECK(runs[0].message.starts_with(
            "GET " + tls.url("/") + ": cannot load the https module " + module.string() + ": "));
        CHECK_FALSE(contains(runs[0].message, module.string() + ": " + module.string()));
    }
    SUBCASE("a library without the module's entry (another plugin)") {
        fs::copy_file(fs::path{VITALS_SHIPPED_PLUGIN_DIR} / "tcp.so", module);
        const auto runs = run_in_plain_host(plugins / "http.so", {{"url=" + tls.url("/")}});
        INFO(runs[0].message);
        CHECK(runs[0].status == "error");
        CHECK(runs[0].message.starts_with("GET " + tls.url("/") + ": the https module " +
                                          module.string() + " is not one: "));
        CHECK(contains(runs[0].message, "vitals_http_https_module"));
    }
}
