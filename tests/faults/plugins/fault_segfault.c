/* Fault plugin: writes through a null pointer, in run() or (create = true) in create().
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include <vitals/plugin.h>

static const vitals_param_spec params[] = {
    {"in_create", VITALS_PARAM_BOOL, 0, "false", "crash in create() instead of run()", 0}, {0}};

static void crash(void) {
    /* volatile on both sides: the compiler must neither fold the store away nor prove it UB. */
    volatile int *volatile nowhere = NULL;
    *nowhere = 42;
}

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    int in_create = 0;
    if (host->param_bool(ctx, "in_create", &in_create) != 0) return NULL;
    if (in_create) crash();
    return malloc(1);
}

static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    (void)instance;
    (void)host;
    (void)ctx;
    crash();
}

static void destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {VITALS_PLUGIN_HEADER,
                                         "fault_segfault",
                                         "1.0.0",
                                         "crashes with SIGSEGV",
                                         params,
                                         sizeof(vitals_param_spec),
                                         create,
                                         run,
                                         destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
