/* Fault plugin: calls exit() in run() (status 3 unless `code` says; quick_exit() with
 * `quick`), as a library "handling" an error might. SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>

#include <vitals/plugin.h>

static const vitals_param_spec params[] = {
    {"code", VITALS_PARAM_INT, 0, "3", "the status run() passes to exit()", 0},
    {"quick", VITALS_PARAM_BOOL, 0, "false", "quick_exit() rather than exit()", 0},
    {0}};

typedef struct {
    int code;
    int quick;
} instance_t;

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    int64_t code = 0;
    int quick = 0;
    if (host->param_int(ctx, "code", &code) != 0 || host->param_bool(ctx, "quick", &quick) != 0)
        return NULL;
    instance_t *instance = malloc(sizeof *instance);
    if (instance) *instance = (instance_t){(int)code, quick};
    return instance;
}

static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    (void)host;
    (void)ctx;
    const instance_t *self = instance;
    if (self->quick) quick_exit(self->code);
    exit(self->code);
}

static void destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {VITALS_PLUGIN_HEADER,
                                         "fault_exit",
                                         "1.0.0",
                                         "exits the process",
                                         params,
                                         sizeof(vitals_param_spec),
                                         create,
                                         run,
                                         destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
