// Vitals "noop" checker for bench/: reports ok and does nothing else, so a
// run costs only the agent's own work (scheduling, recording). Not shipped.
// SPDX-License-Identifier: MIT
#include <vitals/plugin.h>

#include <stddef.h>

static const vitals_param_spec noop_params[] = {
    {.key = NULL},
};

// No state: any non-null pointer is a valid instance.
static char noop_instance;

static void *noop_create(const vitals_host_api *host, vitals_context *ctx) {
    (void)host;
    (void)ctx;
    return &noop_instance;
}

static void noop_run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    (void)instance;
    host->set_result(ctx, VITALS_STATUS_OK, "ok");
}

static void noop_destroy(void *instance) {
    (void)instance;
}

static const vitals_plugin noop_plugin = {
    VITALS_PLUGIN_HEADER,    .name = "noop",
    .version = "0.1.0",      .description = "Does nothing and reports ok (scheduler benchmarks)",
    .params = noop_params,   .param_spec_size = (uint32_t)sizeof(vitals_param_spec),
    .create = noop_create,   .run = noop_run,
    .destroy = noop_destroy,
};

const vitals_plugin *vitals_plugin_entry(void) {
    return &noop_plugin;
}
