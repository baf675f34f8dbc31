// Config: agent.toml + conf.d → Configuration, every error located. SPDX-License-Identifier: MIT
//
// Each bad fixture under fixtures/config holds one mistake; its test asserts
// the file, line, column and key path a user would be pointed to. Plugin
// directories cannot be written into a fixture (they live in the build tree),
// so they come in through the defaults, which agent.toml keeps when it omits
// plugin_dirs.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/load_configuration.hpp"
#include "config/config_error.hpp"
#include "config/config_reader.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace vitals;

const fs::path fixtures = fs::path{VITALS_FIXTURES_DIR} / "config";

/// Defaults with every plugin a fixture uses and no conf_d, so a fixture that
/// forgot conf_d fails loudly instead of reading some other directory.
AgentSettings test_defaults() {
    AgentSettings defaults;
    defaults.plugin_dirs = {VITALS_SHIPPED_PLUGIN_DIR, VITALS_TEST_PLUGIN_DIR};
    return defaults;
}

/// The agent.toml of fixtures/config/checks/<name>.
fs::path check_case(std::string_view name) {
    return fixtures / "checks" / name / "agent.toml";
}

/// A conf.d file of fixtures/config/checks/<name>.
fs::path check_case_file(std::string_view name, std::string_view file = "10-checks.toml") {
    return fixtures / "checks" / name / "conf.d" / file;
}

/// fixtures/config/agent/<name>.toml
fs::path agent_case(std::string_view name) {
    return fixtures / "agent" / (std::string{name} + ".toml");
}

ConfigReadResult read(const fs::path &agent_file, const AgentSettings &defaults = test_defaults()) {
    return read_configuration(agent_file, defaults);
}

LoadedConfiguration load(const fs::path &agent_file,
                         const AgentSettings &defaults = test_defaults()) {
    return load_configuration(agent_file, defaults);
}

std::string describe(const ConfigErrors &errors) {
    std::string text;
    for (const auto &error : errors)
        text += "\n  " + error.to_string();
    return text;
}

/// The one error there must be.
const ConfigError &only_error(const ConfigErrors &errors) {
    INFO("errors:", describe(errors));
    REQUIRE(errors.size() == 1);
    return errors.front();
}

/// The error for `key`, which must be the only one for that key.
const ConfigError &error_for(const ConfigErrors &errors, std::string_view key) {
    INFO("errors:", describe(errors));
    INFO("key: ", std::string{key});
    REQUIRE(std::count_if(errors.begin(), errors.end(),
                          [&](const ConfigError &e) { return e.key == key; }) == 1);
    return *std::find_if(errors.begin(), errors.end(),
                         [&](const ConfigError &e) { return e.key == key; });
}

bool same_file(const std::string &reported, const fs::path &expected) {
    return fs::path{reported}.lexically_normal() == expected.lexically_normal();
}

/// Where and what: the file, line and column (0 = do not check) and key path.
void check_location(const ConfigError &error, const fs::path &file, int line, int column,
                    std::string_view key) {
    INFO("error: ", error.to_string());
    CHECK(same_file(error.where.file, file));
    CHECK(error.where.line == line);
    if (column != 0) CHECK(error.where.column == column);
    CHECK(error.key == key);
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

const CheckDefinition *find_check(const Configuration &config, std::string_view name) {
    const auto it = std::find_if(config.checks.begin(), config.checks.end(),
                                 [&](const CheckDefinition &c) { return c.name == name; });
    return it == config.checks.end() ? nullptr : &*it;
}

std::vector<std::string> check_names(const Configuration &config) {
    std::vector<std::string> names;
    for (const auto &check : config.checks)
        names.push_back(check.name);
    return names;
}

/// Changes the working directory for one scope.
class WorkingDirectory {
public:
    explicit WorkingDirectory(const fs::path &dir) : previous_(fs::current_path()) {
        fs::current_path(dir);
    }
    ~WorkingDirectory() { fs::current_path(previous_); }
    WorkingDirectory(const WorkingDirectory &) = delete;
    WorkingDirectory &operator=(const WorkingDirectory &) = delete;

private:
    fs::path previous_;
};

} // namespace

// ---------------------------------------------------------------------------
// Valid configurations

TEST_CASE("config: a valid agent.toml sets every agent setting") {
    const fs::path agent_file = fixtures / "good" / "agent.toml";
    AgentSettings defaults = test_defaults();
    defaults.plugin_dirs = {"/from/the/defaults"};
    const auto result = read(agent_file, defaults);
    INFO("errors:", describe(result.errors));
    REQUIRE(result.errors.empty());

    const AgentSettings &agent = result.config.agent;
    CHECK(same_file(agent.source_file, agent_file));
    CHECK(agent.listen.host == "::1");
    CHECK(agent.listen.port == 9200);
    CHECK(agent.conf_d == fixtures / "good" / "conf.d");
    CHECK(agent.workers == 2);
    CHECK(agent.log_level == "debug");
    CHECK(agent.http.max_connections == 500);
    CHECK(agent.http.keep_alive_timeout == 5s);
    CHECK(agent.http.max_keep_alive_requests == 50);
    CHECK(agent.http.request_timeout == 1500ms);
    CHECK(agent.http.max_header_size == 4096);
    CHECK(agent.http.max_headers == 50);
    CHECK(agent.http.max_body_size == 16384);
    CHECK(agent.http.rate_limit == 10);
    CHECK(agent.http.rate_burst == 20);
    CHECK(agent.http.rate_limit_loopback);
    // agent.toml does not set plugin_dirs: the default stands.
    CHECK(agent.plugin_dirs == std::vector<fs::path>{"/from/the/defaults"});
}

TEST_CASE("config: a valid conf.d yields every check with every key") {
    const auto result = read(fixtures / "good" / "agent.toml");
    INFO("errors:", describe(result.errors));
    REQUIRE(result.errors.empty());
    REQUIRE(result.config.checks.size() == 4); // old_disk included, disabled
    const fs::path system_file = fixtures / "good" / "conf.d" / "10-system.toml";
    const fs::path network_file = fixtures / "good" / "conf.d" / "20-network.toml";

    const CheckDefinition *disk = find_check(result.config, "root_disk");
    REQUIRE(disk != nullptr);
    CHECK(disk->plugin == "disk");
    CHECK(disk->description == "Space used on the root file system");
    CHECK(disk->interval == 15s);
    CHECK(disk->timeout == 3s);
    CHECK(disk->groups == std::vector<std::string>{"live", "ready"});
    REQUIRE(disk->params);
    CHECK(disk->params->size() == 3);
    CHECK((*disk->params)["path"].value<std::string>() == "/");
    CHECK((*disk->params)["warning"].value<std::int64_t>() == 85);
    CHECK((*disk->params)["error"].value<std::int64_t>() == 95);
    CHECK(same_file(disk->where.file, system_file));
    CHECK(disk->where.line == 2);
    CHECK(same_file(disk->plugin_where.file, system_file));
    CHECK(disk->plugin_where.line == 3);
    CHECK(disk->plugin_where.column == 10);

    // Only `plugin` and params: the documented defaults fill in the rest.
    const CheckDefinition *uptime = find_check(result.config, "uptime");
    REQUIRE(uptime != nullptr);
    CHECK(uptime->plugin == "uptime");
    CHECK(uptime->description.empty());
    CHECK(uptime->interval == 1min);
    CHECK(uptime->timeout == 10s);
    CHECK(uptime->groups.empty());
    CHECK((*uptime->params)["min_uptime"].value<std::string>() == "10m");

    // A [check.x.params] sub-table, in the second file; the timeout is
    // capped at an interval shorter than the default timeout.
    const CheckDefinition *port = find_check(result.config, "local_port");
    REQUIRE(port != nullptr);
    CHECK(port->plugin == "tcp");
    CHECK(port->interval == 500ms);
    CHECK(port->timeout == 500ms);
    CHECK(port->groups == std::vector<std::string>{"ready"});
    CHECK((*port->params)["host"].value<std::string>() == "127.0.0.1");
    CHECK((*port->params)["port"].value<std::int64_t>() == 9188);
    CHECK(same_file(port->where.file, network_file));
    CHECK(port->where.line == 3);
}

TEST_CASE("config: a check with enabled = false is read but marked disabled") {
    const auto result = read(fixtures / "good" / "agent.toml");
    INFO("errors:", describe(result.errors));
    REQUIRE(result.errors.empty());
    REQUIRE(find_check(result.config, "old_disk") != nullptr);
    CHECK_FALSE(find_check(result.config, "old_disk")->enabled);
    // enabled = true (local_port) and no `enabled` at all (uptime) both enable a check.
    CHECK(find_check(result.config, "local_port")->enabled);
    CHECK(find_check(result.config, "uptime")->enabled);
}

TEST_CASE("config: a disabled check's plugin parameters are still validated") {
    vitals::test::TempDir dir;
    dir.write("conf.d/parked.toml", "[check.parked]\nplugin = \"disk\"\nenabled = false\n"
                                    "params = { paht = \"/\" }\n");
    AgentSettings defaults;
    defaults.conf_d = dir.path() / "conf.d";
    defaults.plugin_dirs = {VITALS_SHIPPED_PLUGIN_DIR};
    const auto loaded = load_configuration(std::nullopt, defaults);
    const ConfigError &error = only_error(loaded.errors);
    CHECK(error.key == "check.parked.params.paht");
    CHECK(error.where.line == 4);
}

TEST_CASE("config: the valid fixture builds a check per enabled definition") {
    const auto loaded = load(fixtures / "good" / "agent.toml");
    INFO("errors:", describe(loaded.errors));
    REQUIRE(loaded.errors.empty());
    CHECK(loaded.config.checks.size() == 4); // old_disk is disabled: read, validated, not built
    CHECK(loaded.checks.size() == 3);
}

TEST_CASE("config: the repository's own conf.d loads without errors") {
    AgentSettings defaults;
    defaults.conf_d = VITALS_REPO_CONF_D;
    defaults.plugin_dirs = {VITALS_SHIPPED_PLUGIN_DIR};
    const auto loaded = load_configuration(std::nullopt, defaults);
    INFO("errors:", describe(loaded.errors));
    CHECK(loaded.errors.empty());
    CHECK_FALSE(loaded.config.checks.empty());
    const auto enabled = std::count_if(loaded.config.checks.begin(), loaded.config.checks.end(),
                                       [](const CheckDefinition &check) { return check.enabled; });
    CHECK(loaded.checks.size() == static_cast<std::size_t>(enabled));
    // No agent.toml: the defaults stand untouched.
    CHECK(loaded.config.agent.source_file.empty());
    CHECK(loaded.config.agent.listen.port == 9188);
}

TEST_CASE("config: conf.d files are read in name order") {
    const test::TempDir dir;
    // Written in reverse so that directory order is unlikely to be name order.
    for (char letter = 'l'; letter >= 'a'; --letter) {
        const std::string name{letter};
        dir.write("conf.d/" + std::to_string(letter - 'a' + 10) + "-" + name + ".toml",
                  "[check." + name + "]\nplugin = \"disk\"\n");
    }
    AgentSettings defaults = test_defaults();
    defaults.conf_d = dir.path() / "conf.d";
    const auto result = read_configuration(std::nullopt, defaults);
    INFO("errors:", describe(result.errors));
    REQUIRE(result.errors.empty());
    CHECK(check_names(result.config) ==
          std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"});
}

TEST_CASE("config: dot-files, non-.toml files and directories in conf.d are ignored") {
    const test::TempDir dir;
    const std::string broken = "this is [ not TOML\n";
    dir.write("conf.d/10-real.toml", "[check.real]\nplugin = \"disk\"\n");
    dir.write("conf.d/.20-hidden.toml", broken);   // a dot-file
    dir.write("conf.d/.10-real.toml.swp", broken); // an editor's swap file
    dir.write("conf.d/.#10-real.toml", broken);    // an Emacs lock file
    dir.write("conf.d/30-backup.toml~", broken);   // a backup
    dir.write("conf.d/40-notes.txt", broken);      // not .toml
    dir.write("conf.d/README", broken);            // no extension
    dir.write("conf.d/50-dir.toml/60-inner.toml", "[check.inner]\nplugin = \"disk\"\n");
    AgentSettings defaults = test_defaults();
    defaults.conf_d = dir.path() / "conf.d";
    const auto result = read_configuration(std::nullopt, defaults);
    INFO("errors:", describe(result.errors));
    CHECK(result.errors.empty());
    CHECK(check_names(result.config) == std::vector<std::string>{"real"});
    // Not read, but not in silence: a directory named like a drop-in is a warning.
    const ConfigError &skipped = only_error(result.skipped);
    CHECK(same_file(skipped.where.file, dir.path() / "conf.d" / "50-dir.toml"));
    CHECK(skipped.message == "not read: a directory, not a file");
}

TEST_CASE("config: relative conf_d and plugin_dirs resolve against agent.toml's directory") {
    const fs::path base = fixtures / "relative_paths";
    const std::vector<fs::path> expected_plugin_dirs{base / "plugins", base / "more-plugins",
                                                     "/opt/vitals/plugins"};
    AgentSettings defaults = test_defaults();
    defaults.plugin_dirs = {"/from/the/defaults"};

    SUBCASE("agent.toml named by an absolute path") {
        const auto result = read(base / "agent.toml", defaults);
        INFO("errors:", describe(result.errors));
        REQUIRE(result.errors.empty());
        CHECK(result.config.agent.conf_d == base / "checks");
        CHECK(result.config.agent.plugin_dirs == expected_plugin_dirs);
        CHECK(check_names(result.config) == std::vector<std::string>{"only"});
    }
    SUBCASE("agent.toml named relative to a different working directory") {
        const WorkingDirectory cwd{fixtures};
        const auto result = read("relative_paths/agent.toml", defaults);
        INFO("errors:", describe(result.errors));
        REQUIRE(result.errors.empty());
        CHECK(result.config.agent.conf_d == base / "checks");
        CHECK(result.config.agent.plugin_dirs == expected_plugin_dirs);
        CHECK(check_names(result.config) == std::vector<std::string>{"only"});
    }
}

// ---------------------------------------------------------------------------
// Error reporting

TEST_CASE("config: ConfigError::to_string() gives file:line:column: key: message") {
    const ConfigError full{{"conf.d/web.toml", 4, 12}, "check.web.interval", "expected a string"};
    CHECK(full.to_string() == "conf.d/web.toml:4:12: check.web.interval: expected a string");
    const ConfigError no_key{{"conf.d/web.toml", 7, 1}, "", "unterminated string"};
    CHECK(no_key.to_string() == "conf.d/web.toml:7:1: unterminated string");
    const ConfigError no_line{{"agent.toml"}, "conf_d", "does not exist"};
    CHECK(no_line.to_string() == "agent.toml: conf_d: does not exist");
    const ConfigError nowhere{{}, "conf_d", "does not exist"};
    CHECK(nowhere.to_string() == "<config>: conf_d: does not exist");

    // A real error, as --check-config prints it.
    const auto result = read(check_case("unknown_key"));
    const ConfigError &error = only_error(result.errors);
    CHECK(error.to_string() ==
          check_case_file("unknown_key").string() + ":4:1: check.web.intervall: " + error.message);

    // InvalidConfiguration carries the errors and prints them all.
    const InvalidConfiguration invalid{{full, no_key}};
    CHECK(invalid.errors().size() == 2);
    CHECK(std::string{invalid.what()} ==
          "2 configuration error(s)\n  " + full.to_string() + "\n  " + no_key.to_string());
}

TEST_CASE("config: TOML syntax error in a conf.d file is located") {
    const auto result = read(check_case("syntax_error"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, check_case_file("syntax_error"), 7, 16, "");
    CHECK(contains(error.message, "parsing string"));
    // One unparseable file loses all its checks, including the good one.
    CHECK(result.config.checks.empty());
}

TEST_CASE("config: TOML syntax error in agent.toml is located") {
    // As default_settings() does: conf.d beside agent.toml, which still gets read.
    AgentSettings defaults = test_defaults();
    defaults.conf_d = fixtures / "agent" / "conf.d";
    const auto result = read(agent_case("syntax_error"), defaults);
    const ConfigError &error = only_error(result.errors);
    check_location(error, agent_case("syntax_error"), 3, 10, "");
    CHECK(contains(error.message, "expected value"));
}

TEST_CASE("config: unknown key in a check table") {
    const auto result = read(check_case("unknown_key"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, check_case_file("unknown_key"), 4, 1, "check.web.intervall");
    CHECK(contains(error.message, "unknown key 'intervall'"));
    CHECK(contains(error.message, "interval,")); // the keys it could have meant
    CHECK(result.config.checks.empty());
}

TEST_CASE("config: unknown key at the top level of a conf.d file") {
    const auto result = read(check_case("unknown_top_level_key"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, check_case_file("unknown_top_level_key"), 2, 2, "checks");
    CHECK(contains(error.message, "unknown key 'checks' (expected one of: check)"));
}

TEST_CASE("config: unknown key in agent.toml") {
    const auto result = read(agent_case("unknown_key"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, agent_case("unknown_key"), 3, 1, "worker");
    CHECK(contains(error.message, "unknown key 'worker'"));
    CHECK(contains(error.message, "workers"));
}

TEST_CASE("config: unknown key in agent.toml's [http]") {
    const auto result = read(agent_case("http_unknown_key"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, agent_case("http_unknown_key"), 6, 1, "http.max_connection");
    CHECK(contains(error.message, "unknown key 'max_connection'"));
    CHECK(contains(error.message, "max_connections"));
    // The valid key beside it is still read.
    CHECK(result.config.agent.http.max_connections == 64);
}

TEST_CASE("config: a retired [http] key is an error that says what replaced it") {
    const auto result = read(agent_case("http_retired_threads"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, agent_case("http_retired_threads"), 6, 1, "http.threads");
    CHECK(contains(error.message, "'threads' is no longer a setting"));
    CHECK(contains(error.message, "thread of its own"));
    CHECK(result.config.agent.http.max_connections == 64);
}

TEST_CASE("config: interval that is not a string") {
    const auto result = read(check_case("interval_not_string"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, check_case_file("interval_not_string"), 4, 12, "check.web.interval");
    CHECK(contains(error.message, "expected a duration"));
    CHECK(contains(error.message, "got integer"));
}

TEST_CASE("config: groups that is not an array") {
    const auto result = read(check_case("groups_not_array"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, check_case_file("groups_not_array"), 4, 10, "check.web.groups");
    CHECK(contains(error.message, "expected an array of strings, got string"));
}

TEST_CASE("config: workers that is not an integer") {
    const auto result = read(agent_case("workers_wrong_type"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, agent_case("workers_wrong_type"), 3, 11, "workers");
    CHECK(contains(error.message, "expected an integer, got string"));
    CHECK(result.config.agent.workers == AgentSettings{}.workers);
}

TEST_CASE("config: duration string the parser rejects") {
    const auto result = read(check_case("bad_duration"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, check_case_file("bad_duration"), 4, 12, "check.web.interval");
    CHECK(contains(error.message, "\"10 parsecs\" is not a duration"));
}

TEST_CASE("config: interval below 10ms") {
    const auto result = read(check_case("interval_too_short"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, check_case_file("interval_too_short"), 4, 12, "check.busy.interval");
    CHECK(contains(error.message, "at least 10ms"));
    CHECK(result.config.checks.empty());
}

/// A setting that parses but is out of its bounds, and what the error must say.
struct OutOfBounds {
    std::string table; ///< "" for a top-level key
    std::string key;
    std::string value; ///< as written in TOML
    std::string message;
};

/// The setting alone in agent.toml (with a conf.d that exists), at line 3 or 4.
ConfigReadResult read_agent_setting(const test::TempDir &dir, const OutOfBounds &setting) {
    std::string text = "conf_d = \"conf.d\"\n\n";
    if (!setting.table.empty()) text += "[" + setting.table + "]\n";
    text += setting.key + " = " + setting.value + "\n";
    dir.write("conf.d/.keep", "");
    return read(dir.write("agent.toml", text));
}

TEST_CASE("config: every agent.toml number, duration and size has bounds, reported at its key") {
    // Each of these parsed before, and some left the agent unable to serve: a 0-byte
    // header limit answered every request, probes included, with 414.
    const std::vector<OutOfBounds> cases{
        {"", "workers", "0", "must be at least 1 (got 0)"},
        {"", "workers", "1025", "must be at most 1024 (got 1025)"},
        {"", "shutdown_delay", "\"1h\"", "must be at most 10m (got 1h)"},
        {"", "history", "1001", "must be at most 1000 (got 1001)"},
        {"http", "max_connections", "8", "must be at least 16 (got 8)"},
        {"http", "max_connections_per_client", "0", "must be at least 1 (got 0)"},
        {"http", "keep_alive_timeout", "\"0s\"", "must be at least 100ms (got 0s)"},
        {"http", "keep_alive_timeout", "\"2h\"", "must be at most 1h (got 2h)"},
        {"http", "request_timeout", "\"0s\"", "must be at least 1s (got 0s)"},
        {"http", "request_timeout", "\"1h\"", "must be at most 5m (got 1h)"},
        {"http", "max_header_size", "\"0\"", "must be at least 1KiB (got 0B)"},
        {"http", "max_header_size", "\"1MiB\"", "must be at most 64KiB (got 1MiB)"},
        {"http", "max_headers", "1", "must be at least 32 (got 1)"},
        {"http", "max_body_size", "\"100GiB\"", "must be at most 64KiB (got 100GiB)"},
        {"http", "max_body_size", "\"10B\"", "must be at least 1KiB (got 10B)"},
        {"http", "rate_burst", "0", "must be at least 1 (got 0)"},
        {"isolation", "memory_limit", "\"1MiB\"", "must be 0B (none) or at least 32MiB (got 1MiB)"},
        {"isolation", "memory_limit", "\"2TiB\"", "must be 0B (none) or at most 1TiB (got 2TiB)"},
        {"isolation", "cpu_time_limit", "\"500ms\"",
         "must be 0s (none) or at least 1s (got 500ms)"},
        {"isolation", "cpu_time_limit", "\"2d\"", "must be 0s (none) or at most 24h (got 48h)"},
        {"isolation", "respawn_backoff", "\"2h\"", "must be at most 1h (got 2h)"},
    };
    for (const auto &setting : cases) {
        const std::string key =
            setting.table.empty() ? setting.key : setting.table + "." + setting.key;
        CAPTURE(key);
        CAPTURE(setting.value);
        const test::TempDir dir;
        const auto result = read_agent_setting(dir, setting);
        const ConfigError &error = only_error(result.errors);
        check_location(error, dir.path() / "agent.toml", setting.table.empty() ? 3 : 4,
                       static_cast<int>(setting.key.size()) + 4, key);
        CHECK(error.message == setting.message);
    }
}

TEST_CASE("config: the bounds of agent.toml settings admit their ends and 0 where it means none") {
    const std::vector<OutOfBounds> admitted{
        {"", "workers", "1024", ""},
        {"http", "request_timeout", "\"1s\"", ""},
        {"http", "max_header_size", "\"1KiB\"", ""},
        {"http", "max_body_size", "\"64KiB\"", ""},
        {"isolation", "memory_limit", "\"0\"", ""},
        {"isolation", "cpu_time_limit", "\"0s\"", ""},
        {"isolation", "respawn_backoff", "\"0s\"", ""},
    };
    for (const auto &setting : admitted) {
        CAPTURE(setting.key);
        CAPTURE(setting.value);
        const test::TempDir dir;
        const auto result = read_agent_setting(dir, setting);
        INFO("errors:", describe(result.errors));
        CHECK(result.errors.empty());
    }
}

TEST_CASE("config: max_connections_per_client above max_connections") {
    const test::TempDir dir;
    dir.write("conf.d/.keep", "");
    const auto file = dir.write("agent.toml", "conf_d = \"conf.d\"\n[http]\nmax_connections = 64\n"
                                              "max_connections_per_client = 100\n");
    const auto result = read(file);
    const ConfigError &error = only_error(result.errors);
    check_location(error, file, 4, 30, "http.max_connections_per_client");
    CHECK(error.message == "must be at most max_connections (64, got 100)");
}

TEST_CASE("config: every check duration and its description have bounds, reported at the key") {
    const std::vector<OutOfBounds> cases{
        {"", "interval", "\"32d\"", "must be at most 744h (got 768h)"},
        {"", "timeout", "\"0s\"", "must be at least 1ms (got 0s)"},
        {"", "timeout", "\"2h\"", "must be at most 1h (got 2h)"},
        {"", "failure_threshold", "0", "must be at least 1 (got 0)"},
        {"", "success_threshold", "1001", "must be at most 1000 (got 1001)"},
        {"", "description", "\"" + std::string(1025, 'd') + "\"",
         "must be at most 1024 bytes long (got 1025)"},
        {"push", "ttl", "\"10ms\"", "must be at least 100ms (got 10ms)"},
        {"push", "ttl", "\"400d\"", "must be at most 8784h (got 9600h)"},
    };
    for (const auto &setting : cases) {
        CAPTURE(setting.key);
        const test::TempDir dir;
        const std::string plugin = setting.table.empty() ? "disk" : setting.table;
        const auto file =
            dir.write("conf.d/10-checks.toml", "[check.c]\nplugin = \"" + plugin + "\"\n" +
                                                   setting.key + " = " + setting.value + "\n");
        AgentSettings defaults = test_defaults();
        defaults.conf_d = dir.path() / "conf.d";
        const auto result = read_configuration(std::nullopt, defaults);
        const ConfigError &error = only_error(result.errors);
        check_location(error, file, 3, static_cast<int>(setting.key.size()) + 4,
                       "check.c." + setting.key);
        CHECK(error.message == setting.message);
        CHECK(result.config.checks.empty());
    }
}

TEST_CASE("config: duplicate check name across two files") {
    const auto result = read(check_case("duplicate_name"));
    const ConfigError &error = only_error(result.errors);
    // Reported at the second definition, naming where the first one is.
    check_location(error, check_case_file("duplicate_name", "20-second.toml"), 6, 1, "check.web");
    CHECK(contains(error.message, "duplicate check name 'web'"));
    CHECK(contains(error.message,
                   check_case_file("duplicate_name", "10-first.toml").string() + ":2"));
    // The first definition stands; the other check in the second file too.
    const CheckDefinition *web = find_check(result.config, "web");
    REQUIRE(web != nullptr);
    CHECK(web->plugin == "disk");
    CHECK(find_check(result.config, "other") != nullptr);
}

TEST_CASE("config: check without a plugin key") {
    const auto result = read(check_case("missing_plugin"));
    const ConfigError &error = only_error(result.errors);
    // Located at the check's table, the place to add the key.
    check_location(error, check_case_file("missing_plugin"), 2, 1, "check.web.plugin");
    CHECK(contains(error.message, "missing required key 'plugin'"));
}

TEST_CASE("config: invalid check name") {
    const auto result = read(check_case("invalid_name"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, check_case_file("invalid_name"), 2, 8, "check.bad name!");
    CHECK(contains(error.message, "check names use letters, digits"));
    CHECK(result.config.checks.empty());
}

TEST_CASE("config: conf_d directory that does not exist") {
    SUBCASE("named in agent.toml: located at the conf_d key") {
        const auto result = read(agent_case("conf_d_missing"));
        const ConfigError &error = only_error(result.errors);
        check_location(error, agent_case("conf_d_missing"), 2, 10, "conf_d");
        CHECK(contains(error.message, (fixtures / "agent" / "no-such-conf.d").string()));
        CHECK(contains(error.message, "does not exist"));
    }
    SUBCASE("from the defaults, without agent.toml") {
        AgentSettings defaults = test_defaults();
        defaults.conf_d = fixtures / "no-such-conf.d";
        const auto result = read_configuration(std::nullopt, defaults);
        const ConfigError &error = only_error(result.errors);
        CHECK(error.key == "conf_d");
        CHECK(contains(error.message, (fixtures / "no-such-conf.d").string()));
    }
}

TEST_CASE("config: listen that is not HOST:PORT") {
    const auto result = read(agent_case("listen_not_host_port"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, agent_case("listen_not_host_port"), 3, 10, "listen");
    CHECK(contains(error.message, "\"0.0.0.0\" is not HOST:PORT"));
    CHECK(result.config.agent.listen.port == ListenAddress{}.port);
}

TEST_CASE("config: log_level that is not a level") {
    const auto result = read(agent_case("log_level_bogus"));
    const ConfigError &error = only_error(result.errors);
    check_location(error, agent_case("log_level_bogus"), 3, 13, "log_level");
    CHECK(contains(error.message, "debug, info, warning, error"));
    CHECK(result.config.agent.log_level == "info");
}

TEST_CASE("config: several errors in one file are all reported") {
    const fs::path file = check_case_file("many_errors");
    const auto result = read(check_case("many_errors"));
    INFO("errors:", describe(result.errors));
    CHECK(result.errors.size() == 5);
    check_location(error_for(result.errors, "check.alpha.interval"), file, 4, 12,
                   "check.alpha.interval");
    check_location(error_for(result.errors, "check.alpha.timeout"), file, 5, 11,
                   "check.alpha.timeout");
    check_location(error_for(result.errors, "check.beta.plugin"), file, 7, 1, "check.beta.plugin");
    const ConfigError &groups = error_for(result.errors, "check.gamma.groups");
    check_location(groups, file, 12, 10, "check.gamma.groups");
    CHECK(contains(groups.message, "\"not ok\" is not a valid group name"));
    check_location(error_for(result.errors, "check.gamma.colour"), file, 13, 1,
                   "check.gamma.colour");
    // Only delta is free of reader errors; its parameter is the plugin's to judge.
    CHECK(check_names(result.config) == std::vector<std::string>{"delta"});

    SUBCASE("plugin errors join the reader's") {
        const auto loaded = load(check_case("many_errors"));
        INFO("errors:", describe(loaded.errors));
        CHECK(loaded.errors.size() == 6);
        check_location(error_for(loaded.errors, "check.delta.params.foo"), file, 17, 0,
                       "check.delta.params.foo");
        CHECK(loaded.checks.empty());
    }
}

// What the config fuzzer (tests/fuzz/config.cpp) relies on: the same reading and
// validation from memory, with errors naming the files the texts stand for.
TEST_CASE("config: texts in memory give the errors the files they stand for give") {
    const auto text_of = [](const fs::path &file) {
        std::ifstream in{file};
        return ConfigText{file, std::string{std::istreambuf_iterator<char>{in}, {}}};
    };
    for (const char *name : {"many_errors", "duplicate_name", "syntax_error", "tcp_missing_host"}) {
        CAPTURE(name);
        const fs::path agent_file = check_case(name);
        std::vector<ConfigText> drop_ins;
        for (const auto &entry : fs::directory_iterator{agent_file.parent_path() / "conf.d"})
            drop_ins.push_back(text_of(entry.path()));
        std::sort(drop_ins.begin(), drop_ins.end(),
                  [](const auto &a, const auto &b) { return a.file < b.file; });

        const auto from_files = load(agent_file);
        auto read = read_configuration(text_of(agent_file), drop_ins, test_defaults());
        const auto plugins = PluginCatalog::lazy(read.config.agent.plugin_dirs);
        const auto from_memory = validate_configuration(std::move(read), plugins);
        CHECK_FALSE(from_files.errors.empty());
        CHECK(describe(from_memory.errors) == describe(from_files.errors));
        CHECK(check_names(from_memory.config) == check_names(from_files.config));
    }
}

// ---------------------------------------------------------------------------
// Errors only the plugins can find (load_configuration)

TEST_CASE("config: unknown plugin") {
    AgentSettings defaults = test_defaults();
    defaults.plugin_dirs = {VITALS_SHIPPED_PLUGIN_DIR};
    const auto loaded = load(check_case("unknown_plugin"), defaults);
    const ConfigError &error = only_error(loaded.errors);
    check_location(error, check_case_file("unknown_plugin"), 4, 10, "check.web.plugin");
    // The list names the plugin files there (it grows with every shipped plugin).
    CHECK(contains(error.message, "unknown plugin 'dsk' (plugin files: "));
    CHECK(contains(error.message, "disk, "));
    CHECK(contains(error.message, ", uptime"));
    CHECK(loaded.checks.empty());
}

TEST_CASE("config: parameter the disk plugin does not declare") {
    const auto loaded = load(check_case("disk_unknown_param"));
    const ConfigError &error = only_error(loaded.errors);
    check_location(error, check_case_file("disk_unknown_param"), 7, 0, "check.root.params.foo");
    CHECK(contains(error.message, "unknown parameter 'foo' for plugin 'disk'"));
    CHECK(contains(error.message, "path, warning, error"));
    CHECK(loaded.checks.empty());
}

TEST_CASE("config: disk parameter of the wrong type") {
    const auto loaded = load(check_case("disk_param_wrong_type"));
    const ConfigError &error = only_error(loaded.errors);
    check_location(error, check_case_file("disk_param_wrong_type"), 6, 11,
                   "check.root.params.warning");
    CHECK(contains(error.message, "expected a number, got string"));
    CHECK(loaded.checks.empty());
}

TEST_CASE("config: tcp check without its required host") {
    const auto loaded = load(check_case("tcp_missing_host"));
    const ConfigError &error = only_error(loaded.errors);
    // Located at the check (the key is not there to point at), keyed by the missing parameter.
    check_location(error, check_case_file("tcp_missing_host"), 2, 1, "check.port.params.host");
    CHECK(contains(error.message, "missing required parameter 'host'"));
    CHECK(loaded.checks.empty());
}

TEST_CASE("config: value the plugin's own validation rejects") {
    SUBCASE("disk warning above 100%") {
        const auto loaded = load(check_case("disk_warning_out_of_range"));
        const ConfigError &error = only_error(loaded.errors);
        check_location(error, check_case_file("disk_warning_out_of_range"), 7, 11,
                       "check.root.params.warning");
        CHECK(contains(error.message, "must be a percentage from 0 to 100, got 150.0"));
        CHECK(loaded.checks.empty());
    }
    SUBCASE("tcp port above 65535") {
        const auto loaded = load(check_case("tcp_port_out_of_range"));
        const ConfigError &error = only_error(loaded.errors);
        check_location(error, check_case_file("tcp_port_out_of_range"), 7, 8,
                       "check.port.params.port");
        // Declared in the plugin's table (ABI 1.1): the agent checks it before create().
        CHECK(contains(error.message, "expected an integer from 1 to 65535, got 70000"));
        CHECK(loaded.checks.empty());
    }
}

TEST_CASE("config: the plugin's rejection text reaches the user (sleepy reject)") {
    const auto loaded = load(check_case("sleepy_reject"));
    const ConfigError &error = only_error(loaded.errors);
    check_location(error, check_case_file("sleepy_reject"), 6, 10, "check.sleeper.params.reject");
    CHECK(error.message == "nope");
    CHECK(loaded.checks.empty());
}
