// SPDX-License-Identifier: MIT
#include "app/run_once.hpp"

#include <algorithm>
#include <cstdlib>
#include <future>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <sysexits.h>

#include "app/check_builder.hpp"
#include "checks/param_values.hpp"
#include "config/config_reader.hpp"
#include "core/command_line.hpp"
#include "core/log.hpp"
#include "core/names.hpp"
#include "loader/plugin_file_name.hpp"

namespace vitals {
namespace {

/// `value` read as the right-hand side of `v = value`, or nullopt when it is not one
/// TOML value (then the caller takes it as text).
std::optional<toml::table> parse_toml_value(const std::string &value) {
    try {
        auto document = toml::parse("v = " + value, std::string_view{"--param"});
        if (document.size() == 1 && document.contains("v")) return document;
    } catch (const toml::parse_error &) {
    }
    return std::nullopt;
}

void insert_text(toml::table &params, const std::string &key, const std::string &text,
                 const vitals_param_spec *spec) {
    if (spec && spec->type == VITALS_PARAM_STRING_LIST) {
        const auto items = param_from_text(text, VITALS_PARAM_STRING_LIST);
        toml::array array;
        for (const auto &item : std::get<std::vector<std::string>>(std::get<ParamValue>(items)))
            array.push_back(item);
        params.insert_or_assign(key, std::move(array));
        return;
    }
    params.insert_or_assign(key, text);
}

/// "check.<name>.params.port" → "params.port": the check's name adds nothing here.
std::string short_key(const std::string &key, const std::string &check) {
    const std::string prefix = "check." + check + ".";
    return key.starts_with(prefix) ? key.substr(prefix.size()) : key;
}

std::string show_value(const toml::node &node) {
    std::ostringstream text;
    node.visit([&](const auto &value) { text << value; });
    return text.str();
}

void print_params(std::FILE *out, const toml::table &params, const PluginLibrary &plugin) {
    for (const auto &[key, node] : params) {
        const vitals_param_spec *spec = plugin.find_param(key.str());
        fmt::print(out, "param     {} = {}\n", key.str(),
                   spec && spec->secret ? std::string{"(secret)"} : show_value(node));
    }
}

void print_result(std::FILE *out, const CheckResult &result) {
    fmt::print(out, "status    {}\n", to_string(result.status));
    fmt::print(out, "message   {}\n", result.message);
    for (const auto &metric : result.metrics)
        fmt::print(out, "metric    {} = {}{}{}\n", metric.name, metric.value,
                   metric.unit.empty() ? "" : " ", metric.unit);
    fmt::print(out, "duration  {}\n", format_duration(result.duration));
}

int exit_code(Status status) {
    return static_cast<int>(status); // ok 0, warning 1, error 2, as Nagios plugins exit
}

} // namespace

std::string run_once_usage() {
    return R"(Usage: vitalsd run --plugin PATH [--param KEY=VALUE ...] [OPTIONS]

Loads one plugin, creates one check from the parameters given, runs it once and
prints its status, message, metrics and duration. Parameters are validated exactly
as for conf.d. For plugin authors: build, run, read, repeat.

Options:
  --plugin PATH        the plugin's .so file
  --param KEY=VALUE    one parameter (repeatable). VALUE is read as a TOML value, so
                       85, 2.5, true and '["a", "b"]' keep their types; anything else,
                       or any value of a parameter declared as a string, is text;
                       a list parameter also takes a,b,c
  --name NAME          the check's name in messages (default: the plugin's name)
  --timeout DURATION   how long the run may take (default 5s)
  --log-level LEVEL    debug, info, warning or error (default info); the plugin's
                       log lines go to stderr
  --help               print this help and exit

Exit status: 0 ok, 1 warning, 2 error (as Nagios plugins), 64 bad usage,
78 the plugin or its parameters were refused (every problem is printed).
)";
}

std::variant<RunOnceOptions, std::string>
parse_run_once_options(const std::vector<std::string> &args) {
    static constexpr OptionSpec specs[] = {{"--help", {}, "-h"},        {"--plugin", "a PATH"},
                                           {"--param", "KEY=VALUE"},    {"--name", "a NAME"},
                                           {"--timeout", "a DURATION"}, {"--log-level", "a LEVEL"}};
    auto split = split_command_line(args, specs, "vitalsd run --help");
    if (auto *problem = std::get_if<std::string>(&split)) return std::move(*problem);
    const auto &line = std::get<CommandLine>(split);
    if (!line.operands.empty())
        return fmt::format("unknown option \"{}\" (see vitalsd run --help)", line.operands.front());

    RunOnceOptions options;
    bool have_plugin = false;
    for (const auto &[name, value] : line.options) {
        if (name == "--help") {
            options.show_help = true;
        } else if (name == "--plugin") {
            if (value.empty()) return "--plugin needs a PATH";
            options.plugin = value;
            have_plugin = true;
        } else if (name == "--param") {
            const auto eq = value.find('=');
            if (eq == std::string::npos || eq == 0)
                return fmt::format("--param needs KEY=VALUE, got \"{}\"", value);
            std::string key = value.substr(0, eq);
            const bool repeated = std::any_of(options.params.begin(), options.params.end(),
                                              [&](const auto &p) { return p.first == key; });
            if (repeated) return fmt::format("--param {} is given twice", key);
            options.params.emplace_back(std::move(key), value.substr(eq + 1));
        } else if (name == "--name") {
            if (!is_valid_name(value))
                return fmt::format("--name: \"{}\" is not a check name (letters, digits, _ - .)",
                                   value);
            options.name = value;
        } else if (name == "--timeout") {
            const auto timeout = parse_duration(value);
            if (!timeout || timeout->count() <= 0)
                return fmt::format("--timeout: \"{}\" is not {}", value, duration_syntax_hint);
            options.timeout = *timeout;
        } else if (name == "--log-level") {
            if (!log_level_from_string(value))
                return "--log-level: expected debug, info, warning or error";
            options.log_level = value;
        }
    }
    if (!have_plugin && !options.show_help) return "--plugin PATH is required";
    return options;
}

toml::table params_from_arguments(const std::vector<std::pair<std::string, std::string>> &params,
                                  const PluginLibrary *plugin) {
    toml::table table;
    for (const auto &[key, text] : params) {
        const vitals_param_spec *spec = plugin ? plugin->find_param(key) : nullptr;
        auto parsed = parse_toml_value(text);
        toml::node *value = parsed ? parsed->get("v") : nullptr;
        const bool keep_text = spec && spec->type == VITALS_PARAM_STRING;
        const bool bare_list =
            spec && spec->type == VITALS_PARAM_STRING_LIST && !(value && value->is_array());
        if (!value || (keep_text && !value->is_string()) || bare_list) {
            insert_text(table, key, text, spec);
            continue;
        }
        // An init-capture, not [&]: clang before 16 cannot capture a structured binding.
        value->visit(
            [&table, &name = key](auto &node) { table.insert_or_assign(name, std::move(node)); });
    }
    return table;
}

int run_once(const RunOnceOptions &options, std::FILE *out, std::FILE *err) {
    std::shared_ptr<const PluginLibrary> plugin;
    try {
        // Absolute: dlopen() would search the library path for a bare "x.so".
        plugin = PluginLibrary::open(std::filesystem::absolute(options.plugin));
        // As the agent would refuse it: a run that passes here must load there too.
        require_name_of_file(*plugin);
    } catch (const PluginLoadError &e) {
        fmt::print(err, "vitalsd run: {}\n", e.what());
        return EX_CONFIG;
    }

    CheckDefinition definition;
    definition.name = options.name.value_or(plugin->name());
    definition.plugin = plugin->name();
    definition.interval = options.timeout;
    definition.timeout = options.timeout;
    definition.params =
        std::make_shared<const toml::table>(params_from_arguments(options.params, plugin.get()));
    definition.where = {"command line"};

    fmt::print(out, "check     {} (plugin {} {}, {})\n", definition.name, plugin->name(),
               plugin->descriptor().version ? plugin->descriptor().version : "?",
               plugin->file().string());
    print_params(out, *definition.params, *plugin);
    std::fflush(out);

    ConfigErrors errors;
    std::unique_ptr<Check> check = create_check(definition, plugin, errors);
    if (!check) {
        for (const auto &error : errors)
            fmt::print(err, "vitalsd run: {}: {}\n", short_key(error.key, definition.name),
                       error.message);
        fmt::print(err, "vitalsd run: {} problem(s); the check was not run\n", errors.size());
        return EX_CONFIG;
    }

    // On a thread of its own, as in the agent, so a run past its timeout is reported at
    // the timeout rather than whenever (if ever) the plugin returns.
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    std::packaged_task<CheckResult()> task{[&] { return check->run(deadline); }};
    auto outcome = task.get_future();
    std::thread runner{std::move(task)};
    if (outcome.wait_until(deadline) == std::future_status::timeout) {
        CheckResult result;
        result.status = Status::error;
        result.message = "timed out after " + format_duration(options.timeout);
        result.duration = options.timeout;
        print_result(out, result);
        std::fflush(out);
        std::fflush(err);
        // The plugin still holds that thread: nothing can end it, join it or safely run
        // destructors under it.
        std::_Exit(exit_code(result.status));
    }
    runner.join();
    const CheckResult result = outcome.get();
    print_result(out, result);
    check.reset(); // destroy() runs before the process exits, as in the agent
    return exit_code(result.status);
}

int run_once_command(const std::vector<std::string> &args) {
    const auto parsed = parse_run_once_options(args);
    if (const auto *problem = std::get_if<std::string>(&parsed)) {
        std::fprintf(stderr, "vitalsd run: %s\n", problem->c_str());
        return EX_USAGE;
    }
    const auto &options = std::get<RunOnceOptions>(parsed);
    if (options.show_help) {
        std::fputs(run_once_usage().c_str(), stdout);
        return 0;
    }
    set_log_level(*log_level_from_string(options.log_level));
    try {
        return run_once(options, stdout, stderr);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "vitalsd run: %s\n", e.what());
        return EX_CONFIG;
    }
}

} // namespace vitals
