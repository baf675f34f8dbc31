/* Fault plugin: create() sleeps (2 s by default), breaking the rule that it must not block.
 * It logs "sleeping in create()" first, so a test can tell when the agent is waiting on it.
 * SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <vitals/plugin.h>

static const vitals_param_spec params[] = {
    {"sleep", VITALS_PARAM_DURATION, 0, "2s", "how long create() sleeps", 0}, {0}};

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    int64_t ns = 0;
    if (host->param_duration_ns(ctx, "sleep", &ns) != 0) return NULL;
    host->log(ctx, VITALS_LOG_INFO, "sleeping in create()");
    const struct timespec pause = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    nanosleep(&pause, NULL);
    return malloc(1);
}

static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    (void)instance;
    host->set_result(ctx, VITALS_STATUS_OK, "created at last");
}

static void destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {VITALS_PLUGIN_HEADER,
                                         "fault_slow_create",
                                         "1.0.0",
                                         "sleeps in create()",
                                         params,
                                         sizeof(vitals_param_spec),
                                         create,
                                         run,
                                         destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
