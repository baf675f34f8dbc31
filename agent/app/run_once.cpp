// SPDX-License-Identifier: MIT
#include "app/run_once.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <future>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <sysexits.h>

#include "app/check_builder.hpp"
#include "app/perfdata_text.hpp"
#include "app/run_once_json.hpp"
#include "checks/param_values.hpp"
#include "config/config_reader.hpp"
#include "core/command_line.hpp"
#include "core/log.hpp"
#include "core/names.hpp"
#include "loader/plugin_file_name.hpp"

namespace vitals {
namespace {

/// Enough to watch a counter for a long while; a typo of a few digits more is refused.
constexpr unsigned max_repeat = 1'000'000;

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

/// Adds `spec`'s declared default to `params` as the TOML value it stands for, as if the
/// check had written it; false when there is none (or it is the plugin's bug, which
/// create() reports).
bool insert_default(toml::table &params, const vitals_param_spec &spec) {
    if (!spec.default_value) return false;
    const auto converted = param_from_text(spec.default_value, spec.type);
    const auto *value = std::get_if<ParamValue>(&converted);
    if (!value) return false;
    std::visit(
        [&](const auto &v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Duration>) {
                params.insert(spec.key, std::string{spec.default_value}); // as conf.d spells it
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                toml::array items;
                for (const auto &item : v)
                    items.push_back(item);
                params.insert(spec.key, std::move(items));
            } else {
                params.insert(spec.key, v);
            }
        },
        *value);
    return true;
}

void print_params(std::FILE *out, const EffectiveParams &params, const PluginLibrary &plugin) {
    for (const auto &[key, node] : params.values) {
        const vitals_param_spec *spec = plugin.find_param(key.str());
        const bool defaulted = std::find(params.defaulted.begin(), params.defaulted.end(),
                                         key.str()) != params.defaulted.end();
        fmt::print(out, "param     {} = {}{}\n", key.str(),
                   spec && spec->secret ? std::string{"(secret)"} : show_value(node),
                   defaulted ? " (default)" : "");
    }
}

void print_result(std::FILE *out, const CheckResult &result) {
    fmt::print(out, "status    {}\n", to_string(result.status));
    fmt::print(out, "message   {}\n", result.message);
    for (const auto &metric : result.metrics)
        fmt::print(out, "metric    {}\n", perfdata_text(metric));
    fmt::print(out, "duration  {}\n", format_duration(result.duration));
}

int exit_code(Status status) {
    return static_cast<int>(status); // ok 0, warning 1, error 2, as Nagios plugins exit
}

/// One run on a thread of its own, as in the agent, so that a run past its timeout is
/// reported at the timeout rather than whenever (if ever) the plugin returns: nullopt
/// then, and the thread is left to the plugin.
std::optional<CheckResult> run_within(Check &check, Duration timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::packaged_task<CheckResult()> task{[&] { return check.run(deadline); }};
    auto outcome = task.get_future();
    std::thread runner{std::move(task)};
    if (outcome.wait_until(deadline) == std::future_status::timeout) {
        runner.detach();
        return std::nullopt;
    }
    runner.join();
    return outcome.get();
}

CheckResult timed_out(Duration timeout) {
    CheckResult result;
    result.status = Status::error;
    result.message = "timed out after " + format_duration(timeout);
    result.duration = timeout;
    return result;
}

/// Prints one run's result as the options ask.
class ResultPrinter {
public:
    ResultPrinter(const RunOnceOptions &options, const CheckDefinition &definition,
                  const PluginLibrary &plugin, const EffectiveParams &params, std::FILE *out)
        : options_(options), definition_(definition), plugin_(plugin), params_(params), out_(out) {}

    void print(unsigned run, const CheckResult &result) const {
        if (options_.json) {
            std::fputs(run_report_json({definition_.name, plugin_.name(), run, &params_.values,
                                        params_.defaulted, &result})
                           .c_str(),
                       out_);
        } else {
            if (options_.repeat > 1) fmt::print(out_, "run       {} of {}\n", run, options_.repeat);
            print_result(out_, result);
        }
        std::fflush(out_);
    }

private:
    const RunOnceOptions &options_;
    const CheckDefinition &definition_;
    const PluginLibrary &plugin_;
    const EffectiveParams &params_;
    std::FILE *out_;
};

} // namespace

EffectiveParams effective_params(const toml::table &given, const PluginLibrary &plugin) {
    EffectiveParams params{given, {}};
    for (const auto &spec : plugin.params())
        if (!params.values.contains(spec.key) && insert_default(params.values, spec))
            params.defaulted.emplace_back(spec.key);
    for (const auto &spec : plugin.params())
        if (spec.secret && params.values.contains(spec.key))
            params.values.insert_or_assign(spec.key, "(secret)");
    return params;
}

std::string run_once_usage() {
    return R"usage(Usage: vitalsd run --plugin PATH [--param KEY=VALUE ...] [OPTIONS]

Loads one plugin, creates one check from the parameters given, runs it once (or
--repeat times) and prints its status, message, metrics (as Nagios performance
data) and duration. Parameters are validated exactly as for conf.d. For plugin
authors: build, run, read, repeat.

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
  --repeat N           run the one check N times, one run after the other (default
                       1), e.g. to see counters move
  --json               print each run's result as one line of JSON instead: check,
                       plugin, run, params, defaulted, status, message, metrics,
                       duration_seconds
  --help               print this help and exit

The parameters are printed first, each declared default the check leaves out marked
"(default)"; secrets read "(secret)".

Exit status: 0 ok, 1 warning, 2 error (as Nagios plugins; with --repeat, the worst
run's), 64 bad usage, 78 the plugin or its parameters were refused (every problem is
printed).
)usage";
}

std::variant<RunOnceOptions, std::string>
parse_run_once_options(const std::vector<std::string> &args) {
    static constexpr OptionSpec specs[] = {{"--help", {}, "-h"},        {"--plugin", "a PATH"},
                                           {"--param", "KEY=VALUE"},    {"--name", "a NAME"},
                                           {"--timeout", "a DURATION"}, {"--log-level", "a LEVEL"},
                                           {"--repeat", "a NUMBER"},    {"--json"}};
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
        } else if (name == "--repeat") {
            unsigned repeat = 0;
            const auto [end, ec] =
                std::from_chars(value.data(), value.data() + value.size(), repeat);
            if (ec != std::errc{} || end != value.data() + value.size() || repeat < 1 ||
                repeat > max_repeat)
                return fmt::format("--repeat: expected a number from 1 to {}, got \"{}\"",
                                   max_repeat, value);
            options.repeat = repeat;
        } else if (name == "--json") {
            options.json = true;
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

    const EffectiveParams shown = effective_params(*definition.params, *plugin);
    if (!options.json) {
        fmt::print(out, "check     {} (plugin {} {}, {})\n", definition.name, plugin->name(),
                   plugin->descriptor().version ? plugin->descriptor().version : "?",
                   plugin->file().string());
        print_params(out, shown, *plugin);
        std::fflush(out);
    }

    ConfigErrors errors;
    std::unique_ptr<Check> check = create_check(definition, plugin, errors);
    if (!check) {
        for (const auto &error : errors)
            fmt::print(err, "vitalsd run: {}: {}\n", short_key(error.key, definition.name),
                       error.message);
        fmt::print(err, "vitalsd run: {} problem(s); the check was not run\n", errors.size());
        return EX_CONFIG;
    }

    const ResultPrinter printer{options, definition, *plugin, shown, out};
    Status overall = Status::ok;
    for (unsigned run = 1; run <= options.repeat; ++run) {
        const auto result = run_within(*check, options.timeout);
        if (!result) {
            printer.print(run, timed_out(options.timeout));
            std::fflush(err);
            // The plugin still holds that thread: nothing can end it, join it or safely run
            // destructors under it.
            std::_Exit(exit_code(Status::error));
        }
        printer.print(run, *result);
        overall = worst(overall, result->status);
    }
    check.reset(); // destroy() runs before the process exits, as in the agent
    return exit_code(overall);
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
