// The exec plugin end to end: real Nagios plugins and shell scripts run by the real vitalsd,
// results read from its HTTP output. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "support/agent_fixture.hpp"

namespace {

namespace fs = std::filesystem;
using namespace vitals::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

bool contains(const std::string &haystack, const std::string &needle) {
    return haystack.find(needle) != std::string::npos;
}

/// A TOML basic string: "..." with quotes and backslashes escaped.
std::string quoted(const std::string &text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + "\"";
}

/// ["a", "b"] as TOML.
std::string toml_list(const std::vector<std::string> &items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i ? ", " : "") + quoted(items[i]);
    return out + "]";
}

/// One exec check. `extra_params` is appended inside params' braces, e.g. ", shell = true".
std::string exec_check(const std::string &name, const std::vector<std::string> &command,
                       const std::string &extra_params = "", const std::string &interval = "1s",
                       const std::string &timeout = "") {
    return "[check." + name + "]\nplugin = \"exec\"\ninterval = \"" + interval + "\"\n" +
           (timeout.empty() ? "" : "timeout = \"" + timeout + "\"\n") +
           "params = { command = " + toml_list(command) + extra_params + " }\n\n";
}

/// A script file in `dir`, executable.
fs::path script(const TempDir &dir, const std::string &name, const std::string &body) {
    const auto path = dir.write(name, "#!/bin/sh\n" + body);
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    return path;
}

std::string nagios(const std::string &plugin) {
    return std::string{NAGIOS_PLUGIN_DIR} + "/" + plugin;
}

/// The unit of a metric in a check's JSON, or nullopt when the metric is absent.
std::optional<std::string> metric_unit(const Object::Ptr &check, const std::string &name) {
    const auto metrics = check->getArray("metrics");
    for (std::size_t i = 0; i < metrics->size(); ++i) {
        const auto item = metrics->getObject(static_cast<unsigned>(i));
        if (text(item, "name") == name) return text(item, "unit");
    }
    return std::nullopt;
}

std::string read_text(const fs::path &file) {
    std::ifstream in{file, std::ios::binary};
    std::stringstream all;
    all << in.rdbuf();
    return all.str();
}

/// PIDs of live processes whose command line mentions `needle` (zombies have none).
std::vector<int> processes_mentioning(const std::string &needle) {
    std::vector<int> found;
    std::error_code ignored;
    for (const auto &entry : fs::directory_iterator{"/proc", ignored}) {
        const std::string pid = entry.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string cmdline = read_text(entry.path() / "cmdline");
        for (char &c : cmdline)
            if (c == '\0') c = ' ';
        if (contains(cmdline, needle)) found.push_back(std::stoi(pid));
    }
    return found;
}

/// Kills, by PID, whatever still runs from `dir` when a test ends, so that a failing test
/// leaves no sleeping script behind.
class Sweeper {
public:
    explicit Sweeper(const TempDir &dir) : dir_(dir.path().string()) {}
    Sweeper(const Sweeper &) = delete;
    Sweeper &operator=(const Sweeper &) = delete;
    ~Sweeper() {
        for (const int pid : processes_mentioning(dir_))
            ::kill(pid, SIGKILL);
    }

private:
    std::string dir_;
};

/// Children of `parent`, as "pid state" (Z for zombies).
std::vector<std::string> children_of(int parent) {
    std::vector<std::string> found;
    std::error_code ignored;
    for (const auto &entry : fs::directory_iterator{"/proc", ignored}) {
        const std::string pid = entry.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string stat = read_text(entry.path() / "stat");
        const auto close = stat.rfind(')'); // the command name may hold spaces and ')'
        if (close == std::string::npos) continue;
        std::istringstream fields{stat.substr(close + 1)};
        std::string state;
        int ppid = 0;
        fields >> state >> ppid;
        if (ppid == parent) found.push_back(pid + " " + state);
    }
    return found;
}

/// Polls `done` until it holds or `limit` passes; returns whether it held.
template <class Predicate> bool eventually(Predicate done, std::chrono::milliseconds limit = 10s) {
    const auto give_up = Clock::now() + limit;
    while (!done()) {
        if (Clock::now() >= give_up) return false;
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

Object::Ptr first_result(Agent &agent, const std::string &name) {
    return wait_until_not_pending(agent.port(), name, 15s);
}

/// A listening socket on a free loopback port, closed when it goes out of scope.
Poco::Net::ServerSocket listener() {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress{"127.0.0.1", 0}, false, false);
    socket.listen(16);
    return socket;
}

/// A port nothing listens on: bound to learn a free one, then closed.
std::uint16_t closed_port() {
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress{"127.0.0.1", 0}, false, false);
    const auto port = socket.address().port();
    socket.close();
    return port;
}

} // namespace

// ---------------------------------------------------------------- real Nagios plugins

TEST_CASE("exec: check_dummy 0/1/2/3 is ok/warning/error/error with UNKNOWN said") {
    Agent agent{exec_check("dummy_ok", {"check_dummy", "0", "all good"}) +
                exec_check("dummy_warning", {"check_dummy", "1", "getting full"}) +
                exec_check("dummy_critical", {"check_dummy", "2", "on fire"}) +
                exec_check("dummy_unknown", {nagios("check_dummy"), "3", "no idea"})};

    const auto ok = first_result(agent, "dummy_ok");
    CHECK(text(ok, "status") == "ok");
    CHECK(text(ok, "message") == "OK: all good");
    CHECK(http_get(agent.port(), "/health/checks/dummy_ok").status == 200);

    const auto warning = first_result(agent, "dummy_warning");
    CHECK(text(warning, "status") == "warning");
    CHECK(text(warning, "message") == "WARNING: getting full");
    CHECK(http_get(agent.port(), "/health/checks/dummy_warning").status == 200);

    const auto critical = first_result(agent, "dummy_critical");
    CHECK(text(critical, "status") == "error");
    CHECK(text(critical, "message") == "CRITICAL: on fire");
    CHECK(http_get(agent.port(), "/health/checks/dummy_critical").status == 503);

    const auto unknown = first_result(agent, "dummy_unknown");
    CHECK(text(unknown, "status") == "error");
    CHECK(text(unknown, "message") == "UNKNOWN: no idea");
    CHECK(http_get(agent.port(), "/health/checks/dummy_unknown").status == 503);
}

TEST_CASE("exec: check_disk's perfdata becomes a metric in bytes") {
    Agent agent{exec_check("nagios_disk", {"check_disk", "-w", "10%", "-c", "5%", "-p", "/"})};
    const auto disk = first_result(agent, "nagios_disk");
    INFO(text(disk, "message"));
    CHECK(text(disk, "status") != "pending");
    CHECK(text(disk, "message").rfind("DISK ", 0) == 0);
    CHECK(contains(text(disk, "message"), "/"));
    // check_disk labels the mount point "/" and reports it in bytes: "/=18078498816B;...".
    const auto used = metric(disk, "root");
    REQUIRE(used.has_value());
    CHECK(*used > 0);
    CHECK(metric_unit(disk, "root") == "bytes");
}

TEST_CASE("exec: check_tcp is ok on a port that listens and an error on a closed one") {
    auto open = listener();
    const auto open_port = std::to_string(open.address().port());
    const auto closed = std::to_string(closed_port());
    Agent agent{exec_check("tcp_open", {"check_tcp", "-H", "127.0.0.1", "-p", open_port}) +
                exec_check("tcp_closed", {"check_tcp", "-H", "127.0.0.1", "-p", closed})};

    const auto good = first_result(agent, "tcp_open");
    INFO(text(good, "message"));
    CHECK(text(good, "status") == "ok");
    CHECK(contains(text(good, "message"), "TCP OK"));
    CHECK(contains(text(good, "message"), open_port));
    const auto time = metric(good, "time");
    REQUIRE(time.has_value());
    CHECK(*time >= 0);
    CHECK(metric_unit(good, "time") == "seconds");

    const auto bad = first_result(agent, "tcp_closed");
    CHECK(text(bad, "status") == "error");
    CHECK(contains(text(bad, "message"), "Connection refused"));
    CHECK(contains(text(bad, "message"), closed));
    CHECK(http_get(agent.port(), "/health").status == 503);
}

// ---------------------------------------------------------------- the protocol

TEST_CASE("exec: perfdata after the first line and quoted labels become metrics with units") {
    TempDir dir;
    const auto plugin = script(dir, "perf.sh", R"(cat <<'EOF'
OK: first line | a=1s 'Round Trip'=2ms;1;2;0;10 junk=12furlongs
long text line
more text | b=2% c=3KB
d=4c e=U 'it''s'=5MB f=6
EOF
)");
    Agent agent{exec_check("perf", {plugin.string()})};
    const auto check = first_result(agent, "perf");
    CHECK(text(check, "status") == "ok");
    CHECK(text(check, "message") == "OK: first line");
    CHECK(metric(check, "a") == 1.0);
    CHECK(metric_unit(check, "a") == "seconds");
    CHECK(metric(check, "round_trip") == 2.0);
    CHECK(metric_unit(check, "round_trip") == "milliseconds");
    CHECK(metric(check, "b") == 2.0);
    CHECK(metric_unit(check, "b") == "percent");
    CHECK(metric_unit(check, "c") == "kilobytes");
    CHECK(metric(check, "d") == 4.0);
    CHECK(metric_unit(check, "d") == "counter");
    CHECK(metric_unit(check, "it_s") == "megabytes");
    CHECK(metric(check, "f") == 6.0);
    CHECK(metric_unit(check, "f") == "");
    CHECK_FALSE(metric(check, "junk").has_value());
    CHECK_FALSE(metric(check, "e").has_value());
    CHECK(check->getArray("metrics")->size() == 7);
    // Thresholds, min and max, and the counter UOM, as the host's 1.1 add_metric_ex takes them.
    const auto metrics = check->getArray("metrics");
    for (std::size_t i = 0; i < metrics->size(); ++i) {
        const auto item = metrics->getObject(static_cast<unsigned>(i));
        CAPTURE(text(item, "name"));
        if (text(item, "name") == "round_trip") {
            CHECK(item->getValue<double>("warn") == 1);
            CHECK(item->getValue<double>("crit") == 2);
            CHECK(item->getValue<double>("min") == 0);
            CHECK(item->getValue<double>("max") == 10);
        } else {
            CHECK_FALSE(item->has("warn"));
        }
        CHECK(text(item, "kind") == (text(item, "name") == "d" ? "counter" : "gauge"));
    }
}

TEST_CASE("exec: other exit codes, signals, stderr, no output and missing programs") {
    TempDir dir;
    const auto no_shebang = dir.write("no_shebang", "echo hi\n");
    fs::permissions(no_shebang, fs::perms::owner_all);
    const auto not_executable = dir.write("not_executable.sh", "#!/bin/sh\necho hi\n");
    Agent agent{exec_check("exit7", {"/bin/sh", "-c", "echo 'OK: looks fine'; exit 7"}) +
                exec_check("segv", {"/bin/sh", "-c", "echo 'about to crash'; kill -SEGV $$"}) +
                exec_check("stderr_only", {"/bin/sh", "-c", "echo 'disk on fire' >&2; exit 2"}) +
                exec_check("silent", {"/bin/true"}) +
                exec_check("silent_unknown", {"/bin/sh", "-c", "exit 3"}) +
                exec_check("missing", {"check_does_not_exist"}) +
                exec_check("missing_absolute", {dir.path().string() + "/nope"}) +
                exec_check("no_exec_bit", {not_executable.string()}) +
                exec_check("no_shebang", {no_shebang.string()})};

    const auto exit7 = first_result(agent, "exit7");
    CHECK(text(exit7, "status") == "error");
    CHECK(text(exit7, "message") ==
          "/bin/sh exited with status 7 (not a Nagios plugin state): OK: looks fine");

    const auto segv = first_result(agent, "segv");
    CHECK(text(segv, "status") == "error");
    CHECK(text(segv, "message") == "/bin/sh was killed by SIGSEGV: about to crash");

    const auto stderr_only = first_result(agent, "stderr_only");
    CHECK(text(stderr_only, "status") == "error");
    CHECK(text(stderr_only, "message") == "disk on fire");

    const auto silent = first_result(agent, "silent");
    CHECK(text(silent, "status") == "ok");
    CHECK(text(silent, "message") == "/bin/true returned OK with no output");

    const auto silent_unknown = first_result(agent, "silent_unknown");
    CHECK(text(silent_unknown, "status") == "error");
    CHECK(text(silent_unknown, "message") == "UNKNOWN: /bin/sh gave no output");

    const auto missing = first_result(agent, "missing");
    CHECK(text(missing, "status") == "error");
    CHECK(text(missing, "message") == "cannot run check_does_not_exist: not found in "
                                      "/usr/lib/nagios/plugins or PATH");

    const auto missing_absolute = first_result(agent, "missing_absolute");
    CHECK(text(missing_absolute, "status") == "error");
    CHECK(contains(text(missing_absolute, "message"), "no such file or directory"));

    const auto no_exec_bit = first_result(agent, "no_exec_bit");
    CHECK(text(no_exec_bit, "status") == "error");
    if (geteuid() != 0) // root may execute anything with any x bit; this file has none
        CHECK(contains(text(no_exec_bit, "message"), "permission denied"));
    CHECK(contains(text(no_exec_bit, "message"), "cannot run " + not_executable.string()));

    const auto no_shebang_result = first_result(agent, "no_shebang");
    CHECK(text(no_shebang_result, "status") == "error");
    CHECK(contains(text(no_shebang_result, "message"), "exec format error"));

    // The agent is fine and keeps running them.
    CHECK(consecutive(wait_until(agent.port(), "exit7", [](const Object::Ptr &json) {
              return consecutive(json) >= 2;
          })) >= 2);
}

// ---------------------------------------------------------------- timeouts and processes

TEST_CASE("exec: a hanging script and its children are killed at the timeout, none left") {
    TempDir dir;
    // A sleep under a name of this test's own, so that the processes can be found by it.
    const auto sleeper = dir.path() / "sleeper";
    fs::create_symlink("/bin/sleep", sleeper);
    const Sweeper sweeper{dir};
    const auto hang =
        script(dir, "hang.sh", sleeper.string() + " 60 &\n" + sleeper.string() + " 61\n");
    // Ignoring SIGTERM, in the script and the children it starts: only SIGKILL works.
    const auto stubborn =
        script(dir, "stubborn.sh",
               "trap '' TERM\n" + sleeper.string() + " 62 &\n" + sleeper.string() + " 63\n");
    // Closing its output first: the end of the pipes must not be taken for the end of it.
    const auto closer =
        script(dir, "closer.sh", "exec >/dev/null 2>&1\n" + sleeper.string() + " 64\n");
    const auto started = Clock::now();
    Agent agent{exec_check("hang", {hang.string()}, "", "1h", "2s") +
                exec_check("stubborn", {stubborn.string()}, "", "1h", "2s") +
                exec_check("closer", {closer.string()}, "", "1h", "2s")};
    // The scan works: it sees the scripts and their sleeps while they run.
    REQUIRE(eventually([&] { return processes_mentioning(dir.path().string()).size() >= 2; }));

    for (const char *name : {"hang", "stubborn", "closer"}) {
        CAPTURE(name);
        const auto check = first_result(agent, name);
        const std::string message = text(check, "message");
        CHECK(text(check, "status") == "error");
        // The plugin's own timeout, before the host's "timed out after 2s" would land.
        CHECK(contains(message, "timed out after 1."));
        CHECK(contains(message, "killed it and its process group"));
        CHECK(contains(message, dir.path().string()));
        CHECK(check->getValue<double>("duration_seconds") < 2.0);
    }
    CHECK(Clock::now() - started < 10s);

    // Every process of both scripts is gone, and the agent left no zombie child.
    const auto agent_pid = agent.process().pid();
    CHECK(eventually([&] { return processes_mentioning(dir.path().string()).empty(); }));
    CHECK(eventually([&] { return children_of(agent_pid).empty(); }));
    INFO("left behind: ", processes_mentioning(dir.path().string()).size());
    INFO("agent children: ", children_of(agent_pid).size());
    CHECK(http_get(agent.port(), "/health/checks/hang").status == 503);
}

TEST_CASE("exec: what a command leaves running in its process group is killed when it exits") {
    TempDir dir;
    const auto sleeper = dir.path() / "sleeper";
    fs::create_symlink("/bin/sleep", sleeper);
    const Sweeper sweeper{dir};
    // The background sleep also holds stdout open: without the group kill, reading would
    // wait for it until the timeout.
    const auto leaver =
        script(dir, "leaver.sh", sleeper.string() + " 60 &\necho 'OK: left a child behind'\n");
    Agent agent{exec_check("leaver", {leaver.string()}, "", "1h", "5s")};
    const auto check = first_result(agent, "leaver");
    CHECK(text(check, "status") == "ok");
    CHECK(text(check, "message") == "OK: left a child behind");
    CHECK(check->getValue<double>("duration_seconds") < 2.0);
    CHECK(eventually([&] { return processes_mentioning(dir.path().string()).empty(); }));
    CHECK(eventually([&] { return children_of(agent.process().pid()).empty(); }));
}

TEST_CASE("exec: stopping the agent leaves no command running") {
    TempDir dir;
    const auto sleeper = dir.path() / "sleeper";
    fs::create_symlink("/bin/sleep", sleeper);
    const Sweeper sweeper{dir};
    const auto stubborn = script(dir, "stubborn.sh", "trap '' TERM\n" + sleeper.string() + " 65\n");
    // Whether the agent lets the run reach its timeout on the way out (the exec plugin then
    // kills the group) or abandons it first (the plugin's exit handler kills every group
    // still running), the command does not outlive the agent.
    Agent agent{exec_check("long", {stubborn.string()}, "", "1h", "8s")};
    REQUIRE(eventually([&] { return processes_mentioning(dir.path().string()).size() >= 2; }));
    agent.process().signal(SIGTERM);
    CHECK(agent.process().wait_for_exit(20s) == 0);
    CHECK(eventually([&] { return processes_mentioning(dir.path().string()).empty(); }, 5s));
}

TEST_CASE("exec: 10 MB of output is capped and drained, and the message and perfdata survive") {
    TempDir dir;
    const auto chatty = script(dir, "chatty.sh", R"(echo 'OK: chatty | lines=1c'
yes 'filler line that goes on and on' | head -c 10000000
echo 'chatty on stderr too' >&2
yes 'stderr filler' | head -c 10000000 >&2
)");
    Agent agent{exec_check("chatty", {chatty.string()}, "", "1s", "10s") +
                exec_check("tiny_cap", {chatty.string()}, ", max_output = 20", "1s", "10s")};
    const auto check = first_result(agent, "chatty");
    CHECK(text(check, "status") == "ok");
    CHECK(text(check, "message") == "OK: chatty");
    CHECK(metric(check, "lines") == 1.0);
    CHECK(check->getValue<double>("duration_seconds") < 5.0);
    // The cut first line still gives the message, but a value cut in half is not trusted.
    const auto tiny = first_result(agent, "tiny_cap");
    CHECK(text(tiny, "status") == "ok");
    CHECK(text(tiny, "message") == "OK: chatty");
    CHECK(tiny->getArray("metrics")->size() == 0);
    // It runs again and again, and the agent answers all the while.
    wait_until(
        agent.port(), "chatty", [](const Object::Ptr &json) { return consecutive(json) >= 3; },
        20s);
    CHECK(http_get(agent.port(), "/health").status == 200);
    CHECK(contains(agent.log(), "wrote more than max_output (64 KiB)"));
}

// ---------------------------------------------------------------- the child's surroundings

TEST_CASE("exec: the command gets a controlled environment, not the agent's") {
    // vitalsd inherits this; the command must not.
    ::setenv("VITALS_EXEC_LEAK", "leaked-from-the-agent", 1);
    TempDir dir;
    const auto show_env =
        script(dir, "env.sh",
               "echo \"HOME=[$HOME] LEAK=[$VITALS_EXEC_LEAK] PATH=[$PATH] "
               "LANG=[$LANG] MINE=[$MINE] TOKEN=[${TOKEN:+set}] PWD=[$(pwd)]\"\n");
    Agent agent{
        exec_check("env_default", {show_env.string()}) +
            exec_check("env_given", {show_env.string()},
                       R"(, env = ["MINE=hello world", "TOKEN=s3cr3t-t0ken", "PATH=/bin"])"
                       R"(, working_dir = "/tmp")") +
            exec_check("env_bad_dir", {show_env.string()}, R"(, working_dir = "/no/such/dir")"),
        "",
        {"--log-level", "debug"}};
    ::unsetenv("VITALS_EXEC_LEAK");

    const auto defaults = first_result(agent, "env_default");
    CHECK(text(defaults, "status") == "ok");
    CHECK(text(defaults, "message") ==
          "HOME=[] LEAK=[] PATH=[/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin] "
          "LANG=[C] MINE=[] TOKEN=[] PWD=[/]");

    // env is secret: each value the command repeats is redacted, which also proves it arrived.
    const auto given = first_result(agent, "env_given");
    CHECK(text(given, "message") ==
          "HOME=[] LEAK=[] PATH=[<redacted>] LANG=[C] MINE=[<redacted>] TOKEN=[set] PWD=[/tmp]");

    const auto bad_dir = first_result(agent, "env_bad_dir");
    CHECK(text(bad_dir, "status") == "error");
    CHECK(text(bad_dir, "message") == "cannot run " + show_env.string() +
                                          ": working_dir /no/such/dir: no such file or directory");

    // Secret values never reach the log, even at debug level.
    CHECK_FALSE(contains(agent.log(), "s3cr3t-t0ken"));
}

TEST_CASE("exec: env values and secret-looking variables never show, wherever they are repeated") {
    const std::string env_secret = "ExecEnvSecret22";
    const std::string neutral_secret = "plain-name-but-secret";
    const std::string command_secret = "CmdLineTok3n99";
    TempDir secrets;
    const auto token_file = secrets.write_secret("token", "nested-t0ken\n");
    Agent agent{
        // The value alone, not "DB_PASS=...", is what a command prints.
        exec_check("env_echo", {"echo \"pass=$DB_PASS conn=$CONN\"; exit 2"},
                   R"(, shell = true, env = ["DB_PASS=)" + env_secret + R"(", "CONN=)" +
                       neutral_secret + R"("])") +
            // A secret-looking assignment in a parameter that is not secret: the command line.
            exec_check(
                "command_echo",
                {"API_TOKEN=" + command_secret + " sh -c 'echo \"token $API_TOKEN\"'; exit 2"},
                ", shell = true"),
        R"(
[[endpoint]]
path = "/api/health/<token>/"
style = "nested"
token_file = ")" +
            token_file.string() + "\"\n",
        {"--log-level", "debug"}};

    CHECK(text(first_result(agent, "env_echo"), "message") == "pass=<redacted> conn=<redacted>");
    CHECK(text(first_result(agent, "command_echo"), "message") == "token <redacted>");
    for (const std::string route :
         {"/health", "/", "/health/checks/env_echo?history", "/health/checks/command_echo?history",
          "/metrics", "/api/health/nested-t0ken/?format=json"}) {
        const auto reply = http_get(agent.port(), route);
        CAPTURE(route);
        CHECK(reply.status != 404);
        for (const auto &secret : {env_secret, neutral_secret, command_secret})
            CHECK_FALSE_MESSAGE(contains(reply.body, secret), secret);
    }
    for (const auto &secret : {env_secret, neutral_secret, command_secret})
        CHECK_FALSE_MESSAGE(contains(agent.log(), secret), secret);
}

TEST_CASE("exec: a command's ESC sequences and invalid UTF-8 reach the log only cleaned") {
    TempDir dir;
    // The perfdata item is not label=value, so the plugin logs it (at debug) as it skips it.
    const auto painter = script(dir, "painter.sh", "printf 'OK | \\033[31mred\\377\\n'\n");
    Agent agent{exec_check("painter", {painter.string()}), "", {"--log-level", "debug"}};
    CHECK(text(first_result(agent, "painter"), "status") == "ok");
    REQUIRE(eventually([&] { return contains(agent.log(), "is not label=value"); }));
    const std::string log = agent.log();
    CHECK(contains(log, "'[31mred\xEF\xBF\xBD' is not label=value"));
    CHECK_FALSE(contains(log, "\x1b"));
    CHECK_FALSE(contains(log, "\xff"));
}

TEST_CASE("exec: without shell, semicolons, $() and backticks are plain text, with shell = true sh "
          "-c runs them") {
    TempDir dir;
    const auto marker = dir.path() / "marker";
    const std::string touch = "touch " + marker.string();
    const std::string literal_text = "OK; " + touch + "; $(" + touch + ") `" + touch + "`";
    Agent agent{exec_check("literal", {"/bin/echo", literal_text}) +
                exec_check("literal_args", {"/bin/echo", "a", ";", "echo", "b"}) +
                exec_check("no_shell_bare_name", {"echo $((6*7))"})};
    const auto literal = first_result(agent, "literal");
    CHECK(text(literal, "status") == "ok");
    CHECK(text(literal, "message") == literal_text);
    CHECK(text(first_result(agent, "literal_args"), "message") == "a ; echo b");
    // The whole string is one program name, and no program has that name.
    const auto bare = first_result(agent, "no_shell_bare_name");
    CHECK(text(bare, "status") == "error");
    CHECK(contains(text(bare, "message"), "not found"));
    wait_until(agent.port(), "literal",
               [](const Object::Ptr &json) { return consecutive(json) >= 2; });
    CHECK_FALSE(fs::exists(marker));

    Agent shell{exec_check("shell", {"echo \"answer $((6*7))\" && " + touch + "; exit 1"},
                           ", shell = true") +
                exec_check("shell_path",
                           {"check_dummy 0 'in PATH?' 2>/dev/null || echo 'OK: sh -c looks in "
                            "PATH only'"},
                           ", shell = true")};
    const auto interpreted = first_result(shell, "shell");
    CHECK(text(interpreted, "status") == "warning");
    CHECK(text(interpreted, "message") == "answer 42");
    CHECK(fs::exists(marker));
    CHECK(text(first_result(shell, "shell_path"), "message") == "OK: sh -c looks in PATH only");
}

TEST_CASE("exec: the command starts with default signal handling and only fds 0, 1 and 2") {
    // grep reads its own signal state; ls lists its own descriptors (3 is the directory it
    // reads). Both inherit everything from sh, which inherits from the agent.
    const std::string probe =
        R"sh(echo "$(grep -E '^Sig(Blk|Ign)' /proc/self/status | tr '\n\t' '  ')fds:)sh"
        R"sh($(ls -l /proc/self/fd | tail -n +2 | awk '{printf " %s->%s", $9, $11}')")sh";
    // A descriptor without O_CLOEXEC, inherited by vitalsd like any a service manager or a
    // library might leave it: the child must not get it.
    const int leak = ::open("/dev/null", O_RDONLY);
    REQUIRE(leak > 2);
    Agent agent{exec_check("probe", {probe}, ", shell = true")};
    ::close(leak);
    const auto check = first_result(agent, "probe");
    const std::string message = text(check, "message");
    INFO(message);
    CHECK(text(check, "status") == "ok");
    // The agent blocks SIGTERM/SIGINT/SIGHUP and ignores SIGPIPE; none of it may carry over.
    CHECK(contains(message, "SigBlk: 0000000000000000 "));
    const auto ignored_at = message.find("SigIgn: ");
    REQUIRE(ignored_at != std::string::npos);
    const auto ignored = std::stoull(message.substr(ignored_at + 8, 16), nullptr, 16);
    // Signals 1-31 (bit n-1 for signal n). 32 and 33 are glibc's internal ones, which its
    // posix_spawn sets to SIG_IGN on purpose; the new program's glibc takes them over.
    CHECK((ignored & 0x7fffffffULL) == 0);
    // stdin is /dev/null, stdout and stderr pipes; no socket or other descriptor of the agent.
    static const std::regex fds{R"(fds: 0->/dev/null 1->pipe:\[\d+\] 2->pipe:\[\d+\] )"
                                R"(3->/proc/\d+/fd$)"};
    CHECK(std::regex_search(message, fds));
    CHECK_FALSE(contains(message, "socket:"));
}

TEST_CASE("exec: checks run in parallel threads each get their own output") {
    std::string checks;
    constexpr int count = 8;
    for (int i = 0; i < count; ++i) {
        const auto n = std::to_string(i);
        checks += exec_check(
            "job" + n,
            {"/bin/sh", "-c", "sleep 0.05; echo 'OK: job " + n + "|n=" + n + "'; echo noise >&2"},
            "", "200ms", "5s");
    }
    Agent agent{checks, "workers = 4\n"};
    for (int i = 0; i < count; ++i) {
        const auto name = "job" + std::to_string(i);
        CAPTURE(name);
        const auto check = wait_until(
            agent.port(), name, [](const Object::Ptr &json) { return consecutive(json) >= 5; },
            30s);
        CHECK(text(check, "status") == "ok");
        CHECK(text(check, "message") == "OK: job " + std::to_string(i));
        CHECK(metric(check, "n") == static_cast<double>(i));
    }
    // Each run is reaped: zombies of the agent come and go between exit and waitpid, but
    // never pile up (nothing reaped would leave ~40 per second here).
    CHECK(eventually([&] {
        const auto children = children_of(agent.process().pid());
        return std::none_of(children.begin(), children.end(),
                            [](const std::string &child) { return child.ends_with(" Z"); });
    }));
}

// ---------------------------------------------------------------- configuration

TEST_CASE("exec: bad parameters are configuration errors naming the key, never a secret") {
    TempDir dir;
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/checks.toml",
              exec_check("empty_command", {}) + exec_check("relative", {"bin/check_x"}) +
                  exec_check("empty_program", {""}) +
                  exec_check("shell_two", {"echo", "hi"}, ", shell = true") +
                  exec_check("shell_blank", {"  "}, ", shell = true") +
                  exec_check("env_no_equals", {"check_dummy"}, R"(, env = ["hunter2-token"])") +
                  exec_check("env_bad_name", {"check_dummy"}, R"(, env = ["BAD NAME=hunter2"])") +
                  exec_check("env_twice", {"check_dummy"}, R"(, env = ["A=1", "A=hunter2"])") +
                  exec_check("env_not_list", {"check_dummy"}, R"(, env = "A=hunter2")") +
                  exec_check("max_output_zero", {"check_dummy"}, ", max_output = 0") +
                  exec_check("working_dir_relative", {"check_dummy"}, R"(, working_dir = "tmp")") +
                  exec_check("plugin_dir_relative", {"check_dummy"},
                             R"(, nagios_plugin_dir = "plugins")") +
                  exec_check("unknown_key", {"check_dummy"}, ", bogus = 1") +
                  "[check.no_command]\nplugin = \"exec\"\n\n");
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    const std::string &out = result.output;
    INFO(out);
    CHECK(result.exit_code == 78);
    CHECK(contains(out, "check.empty_command.params.command: must name a program"));
    CHECK(contains(out, "check.relative.params.command: the program must be an absolute path or "
                        "a bare name"));
    CHECK(contains(out, "check.empty_program.params.command: the program (first item) must not "
                        "be empty"));
    CHECK(contains(out, "check.shell_two.params.command: with shell = true, must be a single "
                        "string"));
    CHECK(contains(out, "check.shell_blank.params.command: must not be empty"));
    CHECK(contains(out, "check.env_no_equals.params.env: entry 1 is not NAME=value"));
    CHECK(contains(out, "check.env_bad_name.params.env: entry 1: the name must be"));
    CHECK(contains(out, "check.env_twice.params.env: entry 2 sets A a second time"));
    CHECK(contains(out, "check.env_not_list.params.env: expected an array of strings"));
    CHECK(contains(out, "check.max_output_zero.params.max_output: must be from 1 to"));
    CHECK(contains(out, "check.working_dir_relative.params.working_dir: must be an absolute"));
    CHECK(contains(out, "check.plugin_dir_relative.params.nagios_plugin_dir: must be an absolute"));
    CHECK(contains(out, "check.unknown_key.params.bogus"));
    CHECK(contains(out, "check.no_command.params.command: missing required parameter"));
    CHECK(contains(out, "14 configuration error(s)"));
    CHECK_FALSE(contains(out, "hunter2"));
}

TEST_CASE("exec: the repository's conf.d drop-in is valid and runs check_procs") {
    TempDir dir;
    const auto config = write_agent_toml(dir);
    dir.write("conf.d/50-exec.toml", read_text(VITALS_EXEC_DROP_IN));
    const auto result = run_vitalsd(dir.path(), {"--config", config.string(), "--check-config"});
    INFO(result.output);
    CHECK(result.exit_code == 0);

    AgentProcess process{dir.path(), {"--config", config.string()}};
    const auto port = process.wait_for_port(15s);
    const auto check = wait_until_not_pending(port, "zombie_processes", 15s);
    INFO(text(check, "message"));
    CHECK(text(check, "message").rfind("PROCS ", 0) == 0);
    CHECK(metric(check, "procs").has_value());
}
