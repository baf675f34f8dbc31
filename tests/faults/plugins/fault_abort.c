/* Fault plugin: abort() in run(), as a failed assert() would. SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include <vitals/plugin.h>

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    (void)host;
    (void)ctx;
    return malloc(1);
}

static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    (void)instance;
    (void)host;
    (void)ctx;
    abort();
}

static void destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {
    VITALS_PLUGIN_HEADER,      "fault_abort", "1.0.0", "aborts", NULL,
    sizeof(vitals_param_spec), create,        run,     destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
