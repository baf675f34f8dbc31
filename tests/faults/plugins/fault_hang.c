/* Fault plugin: run() does not return, sleeping or (busy = true) spinning on the CPU; with
 * `for` set it returns after that long (a late result). SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <vitals/plugin.h>

static const vitals_param_spec params[] = {
    {"for", VITALS_PARAM_DURATION, 0, "0s", "how long run() takes; 0s: for ever", 0},
    {"busy", VITALS_PARAM_BOOL, 0, "false", "spin on the CPU instead of sleeping", 0},
    {0}};

typedef struct hang {
    int64_t for_ns;
    int busy;
} hang;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    hang *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    if (host->param_duration_ns(ctx, "for", &self->for_ns) != 0 ||
        host->param_bool(ctx, "busy", &self->busy) != 0) {
        free(self);
        return NULL;
    }
    return self;
}

static void run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    const hang *self = instance;
    const int64_t until = self->for_ns > 0 ? now_ns() + self->for_ns : INT64_MAX;
    volatile uint64_t spins = 0;
    while (now_ns() < until) {
        if (self->busy) {
            ++spins;
        } else {
            const struct timespec tick = {0, 10000000};
            nanosleep(&tick, NULL);
        }
    }
    host->set_result(ctx, VITALS_STATUS_OK, "returned at last");
}

static void destroy(void *instance) {
    free(instance);
}

static const vitals_plugin descriptor = {VITALS_PLUGIN_HEADER,
                                         "fault_hang",
                                         "1.0.0",
                                         "never returns from run()",
                                         params,
                                         sizeof(vitals_param_spec),
                                         create,
                                         run,
                                         destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
