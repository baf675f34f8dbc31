/* Test plugin built twice from this source, as versioned_v1.so and versioned_v2.so
 * (VERSIONED_GENERATION 1 and 2), both named "versioned": which build a check runs shows
 * in its message, so a test that replaces the file can tell old code from new. It can
 * also sleep in run() (a run in flight across a reload or a shutdown) and write to a
 * marker file as each run ends and in destroy() (proof of what the agent let happen).
 * SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vitals/plugin.h>

#ifndef VERSIONED_GENERATION
#error "build with VERSIONED_GENERATION=1 or 2"
#endif
#define VERSIONED_STRING_(x) #x
#define VERSIONED_STRING(x) VERSIONED_STRING_(x)
#define GENERATION VERSIONED_STRING(VERSIONED_GENERATION)

static const vitals_param_spec params[] = {
    {"sleep", VITALS_PARAM_DURATION, 0, "0s", "how long each run takes", 0},
    {"marker", VITALS_PARAM_STRING, 0, NULL,
     "if set, each run's end and destroy() append a line to this file", 0},
    {0}};

typedef struct instance {
    int64_t sleep_ns;
    char *marker; /* NULL: none */
} instance;

static void append(const char *file, const char *line) {
    if (!file) return;
    FILE *marker = fopen(file, "a");
    if (!marker) return;
    fputs(line, marker);
    fclose(marker);
}

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    instance *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    const char *marker = NULL;
    if (host->param_duration_ns(ctx, "sleep", &self->sleep_ns) != 0 ||
        (host->param_has(ctx, "marker") && host->param_string(ctx, "marker", &marker) != 0)) {
        free(self);
        return NULL;
    }
    if (marker) self->marker = strdup(marker);
    return self;
}

static void run(void *opaque, const vitals_host_api *host, vitals_context *ctx) {
    const instance *self = opaque;
    const struct timespec pause = {(time_t)(self->sleep_ns / 1000000000),
                                   (long)(self->sleep_ns % 1000000000)};
    nanosleep(&pause, NULL);
    append(self->marker, "ran generation " GENERATION "\n");
    host->set_result(ctx, VITALS_STATUS_OK, "generation " GENERATION);
}

static void destroy(void *opaque) {
    instance *self = opaque;
    append(self->marker, "destroyed generation " GENERATION "\n");
    free(self->marker);
    free(self);
}

static const vitals_plugin descriptor = {VITALS_PLUGIN_HEADER,
                                         "versioned",
                                         GENERATION ".0.0",
                                         "reports which build of it runs",
                                         params,
                                         sizeof(vitals_param_spec),
                                         create,
                                         run,
                                         destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
