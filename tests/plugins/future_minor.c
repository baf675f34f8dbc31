/* Test plugin built against a hypothetical ABI 1.7 header: its descriptor is
 * larger than this host's and has extra trailing members the host does not
 * know. The host must load it and use the members it knows.
 * SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <vitals/plugin.h>

typedef struct future_plugin {
    vitals_plugin v1_0;
    void (*added_in_1_7)(void);
    const char *another_new_field;
} future_plugin;

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    (void)host;
    (void)ctx;
    return malloc(1);
}
static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    (void)instance;
    host->set_result(ctx, VITALS_STATUS_OK, "from the future");
}
static void destroy(void *instance) {
    free(instance);
}

static const future_plugin descriptor = {{VITALS_ABI_MAJOR, 7, sizeof(future_plugin),
                                          "future_minor", "1.7.0", "larger descriptor", NULL, 0,
                                          create, run, destroy},
                                         NULL,
                                         "unknown to the host"};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor.v1_0;
}
