// vitalsd(8) in step with the real vitalsd's --help, command by command, both ways.
// SPDX-License-Identifier: MIT
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/agent_process.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace vitals::test;
using Options = std::set<std::string>;

std::string read_text(const std::filesystem::path &file) {
    std::ifstream in{file};
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::vector<std::string> lines_of(const std::string &text) {
    std::vector<std::string> lines;
    std::istringstream in{text};
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

/// Every long option ("--name") in `text`.
Options long_options(const std::string &text) {
    static const std::regex option{"--[a-z][a-z-]*"};
    Options found;
    for (std::sregex_iterator it{text.begin(), text.end(), option}, end; it != end; ++it)
        found.insert(it->str());
    return found;
}

/// `vitalsd [COMMAND] --help`, which must succeed.
std::string help_of(const std::string &command) {
    TempDir dir;
    std::vector<std::string> args{"--help"};
    if (!command.empty()) args.insert(args.begin(), command);
    const auto result = run_vitalsd(dir.path(), args);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    return result.output;
}

/// The commands `vitalsd --help` lists in its usage ("       vitalsd run --plugin ...").
std::vector<std::string> commands_in(const std::string &main_help) {
    static const std::regex usage{R"(^\s+vitalsd ([a-z]+) )"};
    std::vector<std::string> commands;
    for (const auto &line : lines_of(main_help))
        if (std::smatch match; std::regex_search(line, match, usage)) commands.push_back(match[1]);
    return commands;
}

/// The options a --help names for `command` ("" for the agent itself): every long option
/// in it, except on lines about another command ("(see vitalsd run --help)").
Options help_options(const std::string &help, const std::string &command,
                     const std::vector<std::string> &commands) {
    std::string own;
    for (const auto &line : lines_of(help)) {
        bool about_another = false;
        for (const auto &other : commands)
            about_another |= other != command && line.find("vitalsd " + other) != std::string::npos;
        if (!about_another) own += line + "\n";
    }
    return long_options(own);
}

/// The options of each section of the page, read from the tags of its .TP and .TQ
/// entries: "" is OPTIONS (the agent itself), "run" is `.SS vitalsd run`, and so on.
std::map<std::string, Options> man_options(const std::string &page) {
    std::map<std::string, Options> sections;
    std::optional<std::string> section;
    bool next_is_tag = false;
    for (auto line : lines_of(page)) {
        line = std::regex_replace(line, std::regex{R"(\\-)"}, "-"); // roff's \- is a minus
        if (line.starts_with(".SH ")) {
            section = line == ".SH OPTIONS" ? std::optional<std::string>{""} : std::nullopt;
        } else if (line.starts_with(".SS vitalsd ")) {
            section = line.substr(std::string{".SS vitalsd "}.size());
            sections[*section]; // a command section with no option is still a section
        } else if (line == ".TP" || line == ".TQ") {
            next_is_tag = true;
            continue;
        } else if (next_is_tag && section) {
            const auto tagged = long_options(line);
            sections[*section].insert(tagged.begin(), tagged.end());
        }
        next_is_tag = false;
    }
    return sections;
}

std::string joined(const Options &options) {
    std::string text;
    for (const auto &option : options)
        text += (text.empty() ? "" : " ") + option;
    return text.empty() ? "(none)" : text;
}

} // namespace

TEST_CASE("man page: each command's options in vitalsd(8) are those its --help names") {
    const auto sections = man_options(read_text(VITALS_MAN_PAGE_SOURCE));
    const std::string main_help = help_of("");
    const auto commands = commands_in(main_help);
    REQUIRE(commands.size() >= 5); // run, push, notify, silence, maintenance at least

    // Both ways: a section for every command, and a command for every section.
    std::set<std::string> documented;
    for (const auto &[section, options] : sections)
        if (!section.empty()) documented.insert(section);
    CHECK(documented == std::set<std::string>{commands.begin(), commands.end()});

    std::vector<std::string> all{""};
    all.insert(all.end(), commands.begin(), commands.end());
    for (const auto &command : all) {
        const std::string name = command.empty() ? "vitalsd" : "vitalsd " + command;
        const auto in_help =
            help_options(command.empty() ? main_help : help_of(command), command, commands);
        const auto section = sections.find(command);
        const Options in_page = section == sections.end() ? Options{} : section->second;
        INFO(name << " --help names: " << joined(in_help));
        INFO("vitalsd(8) on " << name << " has: " << joined(in_page));
        CHECK(!in_help.empty());
        CHECK(in_help == in_page);
    }
}

TEST_CASE("man page: the built page carries the version and gzip's -9n form") {
    const auto page = read_text(VITALS_MAN_PAGE_BUILT);
    // Dated as the release's changelog entry, as ISO 8601.
    CHECK(std::regex_search(
        page, std::regex{R"(\.TH VITALSD 8 "20[0-9]{2}-(0[1-9]|1[0-2])-[0-3][0-9]")"}));
    CHECK(page.find("\"vitals " VITALS_PROJECT_VERSION "\"") != std::string::npos);
    CHECK(page.find('@') == std::string::npos); // every @VAR@ filled in
    // What man and lintian read: the compressed page, with no name or time in its header.
    const auto compressed = read_text(std::string{VITALS_MAN_PAGE_BUILT} + ".gz");
    REQUIRE(compressed.size() > 10);
    CHECK(static_cast<unsigned char>(compressed[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(compressed[1]) == 0x8b);
    CHECK((compressed[3] & 0x08) == 0);                     // FNAME: no file name stored (-n)
    CHECK(compressed.substr(4, 4) == std::string(4, '\0')); // MTIME 0 (-n)
    CHECK(static_cast<unsigned char>(compressed[8]) == 2);  // XFL 2: maximum compression (-9)
}
