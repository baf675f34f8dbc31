// The smallest host for one plugin: nothing of the agent, so that the threads this process
// has while the plugin runs are the plugin's own doing (the http tests count them).
// SPDX-License-Identifier: MIT
//
//   plugin_host PLUGIN.so --check KEY=VALUE... [--check KEY=VALUE...]...
//
// Loads PLUGIN.so, creates every check, runs them all at once, each on a thread of its own
// with 2 s to go (the runs are meant to hang), and prints for each
//   result <ok|warning|error> <message>
// then
//   threads <n>            (the most threads this process had while the runs went on)
// Parameters are KEY=VALUE, list items separated by commas; the rest come from the plugin's
// table. Exit status: 0 when every check ran, 2 for bad parameters or usage, 3 if the plugin
// cannot be loaded.
#include <vitals/plugin.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using Clock = std::chrono::steady_clock;

/// One check's parameters and, once it has run, its result.
struct vitals_context {
    const vitals_param_spec *specs = nullptr;
    std::map<std::string, std::string> given;
    std::vector<std::string> list_storage; ///< backs the last string list handed out
    std::vector<const char *> list_pointers;
    std::string string_storage; ///< backs the last string handed out
    Clock::time_point deadline{};
    int32_t status = -1;
    std::string message;
    bool rejected = false;
};

namespace {

/// How long each run may take.
constexpr auto run_budget = std::chrono::seconds{2};

const vitals_param_spec *spec_of(vitals_context *ctx, const char *key) {
    for (const auto *spec = ctx->specs; spec && spec->key; ++spec)
        if (std::strcmp(spec->key, key) == 0) return spec;
    return nullptr;
}

/// The value as text: given, else the table's default; false when there is neither.
bool text_of(vitals_context *ctx, const char *key, std::string &out) {
    if (const auto it = ctx->given.find(key); it != ctx->given.end()) {
        out = it->second;
        return true;
    }
    const auto *spec = spec_of(ctx, key);
    if (!spec || !spec->default_value) return false;
    out = spec->default_value;
    return true;
}

void reject(vitals_context *ctx, const char *key, const std::string &message) {
    ctx->rejected = true;
    std::cout << "param-error " << (key ? key : "(check)") << ": " << message << "\n";
}

void host_log(vitals_context *, int32_t, const char *message) {
    std::cerr << "log: " << message << "\n";
}

int host_param_has(vitals_context *ctx, const char *key) {
    std::string ignored;
    return text_of(ctx, key, ignored) ? 1 : 0;
}

int host_param_string(vitals_context *ctx, const char *key, const char **out) {
    if (!text_of(ctx, key, ctx->string_storage)) {
        reject(ctx, key, "missing");
        return 1;
    }
    *out = ctx->string_storage.c_str();
    return 0;
}

int host_param_int(vitals_context *ctx, const char *key, int64_t *out) {
    std::string text;
    if (!text_of(ctx, key, text)) {
        reject(ctx, key, "missing");
        return 1;
    }
    *out = std::strtoll(text.c_str(), nullptr, 10);
    return 0;
}

int host_param_float(vitals_context *ctx, const char *key, double *out) {
    std::string text;
    if (!text_of(ctx, key, text)) {
        reject(ctx, key, "missing");
        return 1;
    }
    *out = std::strtod(text.c_str(), nullptr);
    return 0;
}

int host_param_bool(vitals_context *ctx, const char *key, int *out) {
    std::string text;
    if (!text_of(ctx, key, text)) {
        reject(ctx, key, "missing");
        return 1;
    }
    *out = text == "true" ? 1 : 0;
    return 0;
}

/// Durations in whole milliseconds ("500ms") or seconds ("2s") only: enough for the tests.
int host_param_duration_ns(vitals_context *ctx, const char *key, int64_t *out) {
    std::string text;
    if (!text_of(ctx, key, text)) {
        reject(ctx, key, "missing");
        return 1;
    }
    const int64_t number = std::strtoll(text.c_str(), nullptr, 10);
    *out = text.ends_with("ms") ? number * 1'000'000 : number * 1'000'000'000;
    return 0;
}

int host_param_string_list(vitals_context *ctx, const char *key, const char *const **items,
                           size_t *count) {
    std::string text;
    if (!text_of(ctx, key, text)) {
        reject(ctx, key, "missing");
        return 1;
    }
    ctx->list_storage.clear();
    std::stringstream stream{text};
    for (std::string item; std::getline(stream, item, ',');)
        ctx->list_storage.push_back(item);
    ctx->list_pointers.clear();
    for (const auto &item : ctx->list_storage)
        ctx->list_pointers.push_back(item.c_str());
    *items = ctx->list_pointers.data();
    *count = ctx->list_pointers.size();
    return 0;
}

void host_param_error(vitals_context *ctx, const char *key, const char *message) {
    reject(ctx, key, message);
}

int64_t host_time_left_ns(vitals_context *ctx) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(ctx->deadline - Clock::now())
        .count();
}

void host_set_result(vitals_context *ctx, int32_t status, const char *message) {
    ctx->status = status;
    ctx->message = message ? message : "";
}

void host_add_metric(vitals_context *, const char *, double, const char *) {}

constexpr vitals_host_api host_api{
    VITALS_ABI_MAJOR,   VITALS_ABI_MINOR,        sizeof(vitals_host_api), &host_log,
    &host_param_has,    &host_param_string,      &host_param_int,         &host_param_float,
    &host_param_bool,   &host_param_duration_ns, &host_param_string_list, &host_param_error,
    &host_time_left_ns, &host_set_result,        &host_add_metric};

const char *status_name(int32_t status) {
    switch (status) {
    case VITALS_STATUS_OK:
        return "ok";
    case VITALS_STATUS_WARNING:
        return "warning";
    case VITALS_STATUS_ERROR:
        return "error";
    default:
        return "none";
    }
}

/// The number of threads this process has now.
std::size_t thread_count() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto &task : std::filesystem::directory_iterator{"/proc/self/task"})
        ++count;
    return count;
}

/// Creates every check, runs them all at once and reports the most threads seen meanwhile;
/// false when parameters were refused.
bool run_in_parallel(const vitals_plugin &plugin,
                     const std::vector<std::map<std::string, std::string>> &checks) {
    std::vector<vitals_context> contexts(checks.size());
    std::vector<void *> instances;
    for (std::size_t i = 0; i < checks.size(); ++i) {
        contexts[i].specs = plugin.params;
        contexts[i].given = checks[i];
        void *instance = plugin.create(&host_api, &contexts[i]);
        if (instance) instances.push_back(instance);
        if (!instance || contexts[i].rejected) {
            for (void *made : instances)
                plugin.destroy(made);
            return false;
        }
    }
    std::atomic<std::size_t> running{checks.size()};
    std::vector<std::thread> runners;
    for (std::size_t i = 0; i < checks.size(); ++i) {
        contexts[i].deadline = Clock::now() + run_budget;
        runners.emplace_back([&, i] {
            plugin.run(instances[i], &host_api, &contexts[i]);
            --running;
        });
    }
    std::size_t most = thread_count();
    while (running > 0) {
        most = std::max(most, thread_count());
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    for (auto &runner : runners)
        runner.join();
    for (std::size_t i = 0; i < checks.size(); ++i) {
        plugin.destroy(instances[i]);
        std::cout << "result " << status_name(contexts[i].status) << " " << contexts[i].message
                  << "\n";
    }
    std::cout << "threads " << most << std::endl;
    return true;
}

} // namespace

int main(int argc, char **argv) {
    constexpr int first_check = 2;
    if (argc <= first_check || std::strcmp(argv[first_check], "--check") != 0) {
        std::cerr << "usage: plugin_host PLUGIN.so --check KEY=VALUE... [--check ...]...\n";
        return 2;
    }
    std::vector<std::map<std::string, std::string>> checks;
    for (int i = first_check; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--check") {
            checks.emplace_back();
            continue;
        }
        const auto equals = arg.find('=');
        if (equals == std::string::npos) {
            std::cerr << "not KEY=VALUE: " << arg << "\n";
            return 2;
        }
        checks.back()[arg.substr(0, equals)] = arg.substr(equals + 1);
    }
    void *library = ::dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        std::cerr << "cannot load " << argv[1] << ": " << ::dlerror() << "\n";
        return 3;
    }
    const auto entry =
        reinterpret_cast<vitals_plugin_entry_fn>(::dlsym(library, VITALS_PLUGIN_ENTRY_SYMBOL));
    if (!entry) {
        std::cerr << argv[1] << " has no " VITALS_PLUGIN_ENTRY_SYMBOL "\n";
        return 3;
    }
    // The plugin stays loaded, as in the agent, until the process ends.
    return run_in_parallel(*entry(), checks) ? 0 : 2;
}
