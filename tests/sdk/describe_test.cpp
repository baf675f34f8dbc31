// `vitalsd describe --plugin`: a plugin's parameter table as Markdown and JSON, and the
// pages of docs/plugins that must hold it. SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "cli/plugin_description.hpp"
#include "sdk/sdk_fixture.hpp"
#include "support/agent_process.hpp"

namespace {

using namespace vitals;
using namespace vitals::test;

const std::string limited = std::string{VITALS_TEST_PLUGIN_DIR} + "/limited.so";
const std::string abi_plugin = std::string{VITALS_ABI_PLUGIN_DIR} + "/abi_v1_0.so";

CommandResult describe(std::vector<std::string> args) {
    TempDir dir;
    args.insert(args.begin(), "describe");
    return run_vitalsd(dir.path(), std::move(args));
}

Poco::JSON::Object::Ptr parse_object(const std::string &text) {
    INFO(text);
    Poco::JSON::Parser parser;
    const auto parsed = parser.parse(text);
    REQUIRE(parsed.type() == typeid(Poco::JSON::Object::Ptr));
    return parsed.extract<Poco::JSON::Object::Ptr>();
}

/// The object for parameter `key` in describe's JSON.
Poco::JSON::Object::Ptr param(const Poco::JSON::Object::Ptr &plugin, const std::string &key) {
    const auto params = plugin->getArray("params");
    REQUIRE(params);
    for (std::size_t i = 0; i < params->size(); ++i)
        if (params->getObject(i)->getValue<std::string>("key") == key) return params->getObject(i);
    FAIL("no parameter ", key);
    return {};
}

/// The lines from the begin marker to the end marker, both included; empty without them.
std::string marked_table(const std::string &text) {
    const auto begin = text.find(parameters_begin_marker);
    const auto end = text.find(parameters_end_marker);
    if (begin == std::string::npos || end == std::string::npos || end < begin) return {};
    return text.substr(begin, end + parameters_end_marker.size() + 1 - begin);
}

std::string read_text(const std::filesystem::path &file) {
    std::ifstream in{file};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> shipped_plugin_files() {
    std::vector<std::string> files;
    std::stringstream list{VITALS_SHIPPED_PLUGINS};
    for (std::string file; std::getline(list, file, ':');)
        files.push_back(file);
    return files;
}

} // namespace

TEST_CASE("describe: a 1.1 plugin's table as Markdown, ranges, choices and secrets included") {
    const auto result = describe({"--plugin", limited});
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(result.output.starts_with("# `limited` 1.1.0\n\ndeclares ranges and choices\n\n"
                                    "Plugin ABI 1.1, from `" +
                                    limited + "`.\n\n## Parameters\n\n"));
    CHECK(
        contains(result.output,
                 std::string{parameters_begin_marker} +
                     "\n| key | type | required | default | range or choices | secret | "
                     "description |\n|---|---|---|---|---|---|---|\n"
                     "| `port` | integer | no | `80` | from 1 to 65535 | no | a TCP port |\n"
                     "| `count` | integer | no | `3` | at least 1 | no | how many, at least one |\n"
                     "| `ratio` | number | no | — | at most 0.5 | no | a share, at most one half "
                     "|\n"));
    CHECK(contains(result.output, "| `wait` | duration | no | `1s` | from 100ms to 1m | no |"));
    CHECK(contains(result.output, "| `mode` | string | no | `fast` | one of `fast`, `thorough` |"));
    // A '|' in a description would end its cell.
    CHECK(contains(result.output, "| `colours` | list of strings | no | `red, blue` | each one of "
                                  "`red`, `green`, `blue` | no | which colours \\| any of them |"));
    CHECK(contains(result.output, "| `password` | string | no | — | one of `fast`, `thorough` | "
                                  "yes | one of two words, never shown |\n" +
                                      std::string{parameters_end_marker} + "\n"));
}

TEST_CASE("describe: --json is one object a program can read") {
    const auto result = describe({"--plugin", limited, "--json"});
    CHECK(result.exit_code == 0);
    const auto plugin = parse_object(result.output);
    CHECK(plugin->getValue<std::string>("name") == "limited");
    CHECK(plugin->getValue<std::string>("version") == "1.1.0");
    CHECK(plugin->getValue<std::string>("description") == "declares ranges and choices");
    CHECK(plugin->getValue<std::string>("abi") == "1.1");
    CHECK(plugin->getValue<std::string>("file") == limited);
    CHECK(plugin->getArray("params")->size() == 7);

    const auto port = param(plugin, "port");
    CHECK(port->getValue<std::string>("type") == "int");
    CHECK(port->getValue<bool>("required") == false);
    CHECK(port->getValue<std::string>("default") == "80");
    CHECK(port->getValue<double>("min") == 1);
    CHECK(port->getValue<double>("max") == 65535);
    CHECK(port->isNull("choices"));
    CHECK(port->getValue<bool>("secret") == false);
    CHECK(port->getValue<std::string>("description") == "a TCP port");

    const auto count = param(plugin, "count");
    CHECK(count->getValue<double>("min") == 1);
    CHECK(count->isNull("max"));
    const auto wait = param(plugin, "wait");
    CHECK(wait->getValue<std::string>("type") == "duration");
    CHECK(wait->getValue<double>("min") == doctest::Approx(0.1)); // seconds
    CHECK(wait->getValue<double>("max") == 60);
    const auto colours = param(plugin, "colours");
    CHECK(colours->getValue<std::string>("type") == "string_list");
    REQUIRE(colours->getArray("choices"));
    CHECK(colours->getArray("choices")->size() == 3);
    CHECK(colours->getArray("choices")->getElement<std::string>(2) == "blue");
    CHECK(param(plugin, "ratio")->isNull("default"));
    CHECK(param(plugin, "password")->getValue<bool>("secret") == true);
}

TEST_CASE("describe: a shipped plugin, as Markdown and as JSON") {
    const std::string tcp = std::string{VITALS_SHIPPED_PLUGIN_DIR} + "/tcp.so";
    const auto markdown = describe({"--plugin", tcp});
    INFO(markdown.output);
    CHECK(markdown.exit_code == 0);
    CHECK(markdown.output.starts_with("# `tcp` "));
    CHECK(contains(markdown.output, "| `host` | string | yes | — | — | no | "));
    CHECK(contains(markdown.output, "| `port` | integer | yes | — | from 1 to 65535 | no | "));

    const auto json = describe({"--plugin", tcp, "--json"});
    const auto plugin = parse_object(json.output);
    CHECK(plugin->getValue<std::string>("name") == "tcp");
    CHECK(plugin->getValue<std::string>("abi") == "1.1");
    CHECK(param(plugin, "host")->getValue<bool>("required") == true);
    CHECK(param(plugin, "port")->getValue<double>("max") == 65535);
    CHECK(param(plugin, "tls")->getValue<std::string>("type") == "bool");
    CHECK(param(plugin, "tls")->getValue<std::string>("default") == "false");
}

TEST_CASE("describe: a 1.0 plugin has no limits, and what is no plugin is refused") {
    const auto frozen = describe({"--plugin", abi_plugin, "--json"});
    CHECK(frozen.exit_code == 0);
    const auto plugin = parse_object(frozen.output);
    CHECK(plugin->getValue<std::string>("abi") == "1.0");
    const auto params = plugin->getArray("params");
    REQUIRE(params);
    REQUIRE(params->size() > 0);
    for (std::size_t i = 0; i < params->size(); ++i) {
        CHECK(params->getObject(i)->isNull("min"));
        CHECK(params->getObject(i)->isNull("max"));
        CHECK(params->getObject(i)->isNull("choices"));
    }
    CHECK(contains(describe({"--plugin", abi_plugin}).output, "Plugin ABI 1.0, "));

    const auto refused =
        describe({"--plugin", std::string{VITALS_BAD_PLUGIN_DIR} + "/default_out_of_range.so"});
    CHECK(refused.exit_code == 78);
    CHECK(contains(refused.output, "vitalsd describe: "));
    CHECK(contains(refused.output, "has a default \"0\" outside its own limits"));

    CHECK(describe({}).exit_code == 64);
    CHECK(contains(describe({}).output, "--plugin PATH is required"));
    CHECK(describe({"--plugin", limited, "--frobnicate"}).exit_code == 64);
    const auto help = describe({"--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.output, "--json"));
}

TEST_CASE("describe: every shipped plugin's page holds the table describe prints") {
    // Regenerate the pages with: cmake --build build --target plugin_docs
    const auto files = shipped_plugin_files();
    REQUIRE(files.size() >= 20);
    for (const auto &file : files) {
        const std::string name = std::filesystem::path{file}.stem();
        CAPTURE(name);
        const auto described = describe({"--plugin", file});
        REQUIRE(described.exit_code == 0);
        const std::string table = marked_table(described.output);
        REQUIRE_FALSE(table.empty());
        const auto page = std::filesystem::path{VITALS_DOCS_DIR} / "plugins" / (name + ".md");
        REQUIRE(std::filesystem::exists(page));
        const std::string in_page = marked_table(read_text(page));
        INFO("docs/plugins/", name, ".md differs from `vitalsd describe`; expected:\n", table);
        CHECK(in_page == table);
    }
}
