// Fuzzes the configuration path vitalsd and --check-config take: agent.toml and conf.d
// drop-ins through the TOML reader, every check's params through the real shipped
// plugins, then endpoint and dependency validation. SPDX-License-Identifier: MIT
//
// Input: agent.toml's text, then each drop-in after a line "%% <file name>". Input that
// starts with "%% " has no agent.toml (the built-in defaults stand).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "app/load_configuration.hpp"
#include "config/config_reader.hpp"
#include "core/log.hpp"
#include "core/names.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace vitals;

constexpr std::string_view separator = "%% ";
const std::filesystem::path fuzz_dir = "/nonexistent/vitals-fuzz";

struct Input {
    std::optional<ConfigText> agent;
    std::vector<ConfigText> drop_ins;
};

Input split(std::string_view text) {
    Input input;
    std::vector<std::string_view> names{"agent.toml"};
    std::vector<std::string> texts(1);
    while (!text.empty()) {
        const auto newline = text.find('\n');
        const std::string_view line = text.substr(0, newline);
        if (line.starts_with(separator)) {
            names.push_back(line.substr(separator.size()));
            texts.emplace_back();
        } else {
            texts.back().append(line).append(newline == std::string_view::npos ? "" : "\n");
        }
        if (newline == std::string_view::npos) break;
        text.remove_prefix(newline + 1);
    }
    const bool has_agent = texts.size() == 1 || !texts.front().empty();
    if (has_agent) input.agent = ConfigText{fuzz_dir / "agent.toml", std::move(texts.front())};
    for (std::size_t i = 1; i < texts.size(); ++i) {
        // Names unique, so that an error's file tells which text it is about.
        std::string name{names[i]};
        name.erase(std::remove(name.begin(), name.end(), '/'), name.end());
        name = std::to_string(i) + "-" + name;
        input.drop_ins.push_back({fuzz_dir / "conf.d" / name, std::move(texts[i])});
    }
    return input;
}

std::size_t line_count(std::string_view text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

/// FUZZ_CHECK that also prints the error it is about.
#define CHECK_ERROR(condition, error)                                                              \
    do {                                                                                           \
        if (!(condition)) std::fprintf(stderr, "error: %s\n", (error).to_string().c_str());        \
        FUZZ_CHECK(condition);                                                                     \
    } while (false)

/// Every error says where (file, line) and, unless the file is not TOML at all, which key.
void check_errors(const Input &input, const ConfigErrors &errors) {
    std::vector<const ConfigText *> files;
    if (input.agent) files.push_back(&*input.agent);
    for (const auto &drop_in : input.drop_ins)
        files.push_back(&drop_in);
    for (const auto &error : errors) {
        CHECK_ERROR(!error.message.empty(), error);
        CHECK_ERROR(!error.where.file.empty(), error);
        const auto file = std::find_if(files.begin(), files.end(), [&](const ConfigText *text) {
            return text->file.string() == error.where.file;
        });
        if (file == files.end()) continue; // a file it names, such as a token file
        CHECK_ERROR(error.where.line >= 1, error);
        CHECK_ERROR(static_cast<std::size_t>(error.where.line) <= line_count((*file)->text), error);
        if (error.key.empty()) {
            // Only a file that is not TOML has errors about no key.
            bool parses = true;
            try {
                (void)toml::parse((*file)->text);
            } catch (const toml::parse_error &) {
                parses = false;
            }
            CHECK_ERROR(!parses, error);
        }
    }
}

/// A configuration found usable holds only checks vitalsd can schedule.
void check_usable(const LoadedConfiguration &loaded) {
    std::set<std::string> names;
    std::size_t enabled = 0;
    for (const auto &check : loaded.config.checks) {
        FUZZ_CHECK(is_valid_name(check.name));
        FUZZ_CHECK(names.insert(check.name).second);
        FUZZ_CHECK(check.interval >= std::chrono::milliseconds{10});
        FUZZ_CHECK(check.timeout >= std::chrono::milliseconds{1});
        FUZZ_CHECK(check.failure_threshold >= 1 && check.success_threshold >= 1);
        enabled += check.enabled;
    }
    for (const auto &check : loaded.config.checks)
        for (const auto &dependency : check.depends_on)
            FUZZ_CHECK(names.count(dependency) == 1);
    FUZZ_CHECK(loaded.checks.size() == enabled);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    set_log_level(LogLevel::error); // a refused plugin parameter is not news here
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
    static const PluginCatalog plugins = PluginCatalog::lazy({VITALS_FUZZ_PLUGIN_DIR});
    const Input input = split({reinterpret_cast<const char *>(data), size});

    AgentSettings defaults;
    defaults.conf_d = fuzz_dir / "conf.d";
    auto read = read_configuration(input.agent, input.drop_ins, defaults);
    // Worker processes would be this fuzzer started again: plugins run in-process here.
    read.config.agent.isolation.plugins.clear();
    for (auto &check : read.config.checks) {
        check.isolation = Isolation::in_process;
        check.isolation_set = true;
    }
    const LoadedConfiguration loaded = validate_configuration(std::move(read), plugins);
    check_errors(input, loaded.errors);
    if (loaded.errors.empty()) check_usable(loaded);
    return 0;
}
