// Fault plugin: the C ABI written by hand in C++, without the SDK's wrapper, so a C++
// exception leaves run() (or create() or destroy(), as `throw_in` says) straight through
// the extern "C" functions into the agent. The ABI forbids it; g++ builds it, with unwind
// tables, and it happens. SPDX-License-Identifier: MIT
#include <stdexcept>
#include <string>

#include <vitals/plugin.h>

namespace {

const vitals_param_spec params[] = {
    {"throw_in", VITALS_PARAM_STRING, 0, "run", "create, run or destroy", 0}, {}};

struct Instance {
    std::string throw_in;
};

} // namespace

extern "C" {

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    const char *throw_in = nullptr;
    if (host->param_string(ctx, "throw_in", &throw_in) != 0) return nullptr;
    if (std::string{throw_in} == "create") throw std::runtime_error("fault_throw_raw: in create");
    return new Instance{throw_in};
}

static void run(void *instance, const vitals_host_api *, vitals_context *) {
    if (static_cast<Instance *>(instance)->throw_in == "run")
        throw std::runtime_error("fault_throw_raw: in run");
}

static void destroy(void *instance) {
    const bool in_destroy = static_cast<Instance *>(instance)->throw_in == "destroy";
    delete static_cast<Instance *>(instance);
    if (in_destroy) throw std::logic_error("fault_throw_raw: in destroy");
}

static const vitals_plugin descriptor = {VITALS_PLUGIN_HEADER,
                                         "fault_throw_raw",
                                         "1.0.0",
                                         "lets exceptions through the C ABI",
                                         params,
                                         sizeof(vitals_param_spec),
                                         create,
                                         run,
                                         destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}

} // extern "C"
