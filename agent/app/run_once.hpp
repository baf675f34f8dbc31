// `vitalsd run --plugin PATH`: one check, run once, in the foreground. SPDX-License-Identifier: MIT
#pragma once

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <toml++/toml.h>

#include "core/duration.hpp"
#include "loader/plugin_library.hpp"

namespace vitals {

/// A plugin author's debugging loop: build, `vitalsd run --plugin ./x.so --param k=v`,
/// read the result, repeat. Parameter validation and errors are the agent's own.
struct RunOnceOptions {
    std::filesystem::path plugin;
    /// `--param key=value` pairs in the order given (values as typed).
    std::vector<std::pair<std::string, std::string>> params;
    std::optional<std::string> name; ///< the check's name; default: the plugin's
    Duration timeout = std::chrono::seconds{5};
    std::string log_level = "info";
    bool json = false;   ///< each run's result as a line of JSON (app/run_once_json.hpp)
    unsigned repeat = 1; ///< runs of the one instance, one after the other
    bool show_help = false;
};

/// Parses the arguments after `run`; on bad usage returns the message to print.
std::variant<RunOnceOptions, std::string>
parse_run_once_options(const std::vector<std::string> &args);

std::string run_once_usage();

/// The check's params from `key=value` pairs. Each value is read as a TOML value, so
/// 85, 2.5, true and ["a", "b"] keep their types, and is otherwise a string. Where the
/// plugin declares a key as a string, the text stays text (`port=5432` → "5432"); where
/// it declares a list, a bare `a,b` is the list ["a", "b"], as in declared defaults.
toml::table params_from_arguments(const std::vector<std::pair<std::string, std::string>> &params,
                                  const PluginLibrary *plugin);

/// The parameters a check gets from `given`: those given, then each declared default the
/// check leaves out (named in `defaulted`), in the table's order. Secret values read
/// "(secret)". What create() sees, for `vitalsd run` to show.
struct EffectiveParams {
    toml::table values;
    std::vector<std::string> defaulted;
};
EffectiveParams effective_params(const toml::table &given, const PluginLibrary &plugin);

/// Loads the plugin, creates the check through create_check (the agent's validation),
/// runs it `repeat` times with the timeout and prints each result to `out` (as text, or
/// as JSON lines), problems to `err`. Returns 0, 1 or 2 for the worst of the runs' ok,
/// warning or error, or EX_CONFIG (<sysexits.h>) when the plugin or its parameters were
/// refused. A run still going at the timeout is reported as an error and the process exits
/// at once: a plugin thread that never returns cannot be joined.
int run_once(const RunOnceOptions &options, std::FILE *out, std::FILE *err);

/// The whole `vitalsd run ...` command: parse `args` (those after "run"), then run_once.
int run_once_command(const std::vector<std::string> &args);

} // namespace vitals
