/* Test plugin built against ABI 1.1 that declares ranges and choices for its parameters,
 * with designated initialisers as a plugin author would write them. Its run reports the
 * values it was given, so a test sees what the host let through.
 * SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>

#include <vitals/plugin.h>

static const char *const modes[] = {"fast", "thorough", NULL};
static const char *const colours[] = {"red", "green", "blue", NULL};

static const vitals_param_spec params[] = {
    {.key = "port",
     .type = VITALS_PARAM_INT,
     .default_value = "80",
     .description = "a TCP port",
     .min = 1,
     .max = 65535,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {.key = "count",
     .type = VITALS_PARAM_INT,
     .default_value = "3",
     .description = "how many, at least one",
     .min = 1,
     .limits = VITALS_LIMIT_MIN},
    {.key = "ratio",
     .type = VITALS_PARAM_FLOAT,
     .description = "a share, at most one half",
     .max = 0.5,
     .limits = VITALS_LIMIT_MAX},
    {.key = "wait",
     .type = VITALS_PARAM_DURATION,
     .default_value = "1s",
     .description = "how long to wait, 100ms to 1m",
     .min = 0.1,
     .max = 60,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {.key = "mode",
     .type = VITALS_PARAM_STRING,
     .default_value = "fast",
     .description = "how to go about it",
     .choices = modes},
    {.key = "colours",
     .type = VITALS_PARAM_STRING_LIST,
     .default_value = "red, blue",
     .description = "which colours | any of them",
     .choices = colours},
    {.key = "password",
     .type = VITALS_PARAM_STRING,
     .description = "one of two words, never shown",
     .secret = 1,
     .choices = modes},
    {.key = NULL},
};

typedef struct instance {
    int64_t port;
    int64_t count;
    int64_t wait_ns;
    const char *mode; /* one of modes[] */
    size_t colour_count;
} instance;

static void *create(const vitals_host_api *host, vitals_context *ctx) {
    instance *self = calloc(1, sizeof *self);
    const char *mode = NULL;
    const char *const *items = NULL;
    if (!self) return NULL;
    if (host->param_int(ctx, "port", &self->port) != 0 ||
        host->param_int(ctx, "count", &self->count) != 0 ||
        host->param_duration_ns(ctx, "wait", &self->wait_ns) != 0 ||
        host->param_string(ctx, "mode", &mode) != 0 ||
        host->param_string_list(ctx, "colours", &items, &self->colour_count) != 0) {
        free(self);
        return NULL;
    }
    /* The host checked the choices: the text is one of ours, kept without copying it. */
    self->mode = mode[0] == 'f' ? modes[0] : modes[1];
    return self;
}

static void run(void *opaque, const vitals_host_api *host, vitals_context *ctx) {
    const instance *self = opaque;
    char message[200];
    snprintf(message, sizeof message, "port %lld, count %lld, wait %lld ms, mode %s, %zu colours",
             (long long)self->port, (long long)self->count, (long long)(self->wait_ns / 1000000),
             self->mode, self->colour_count);
    host->set_result(ctx, VITALS_STATUS_OK, message);
}

static void destroy(void *opaque) {
    free(opaque);
}

static const vitals_plugin descriptor = {
    VITALS_PLUGIN_HEADER, .name = "limited",
    .version = "1.1.0",   .description = "declares ranges and choices",
    .params = params,     .param_spec_size = sizeof(vitals_param_spec),
    .create = create,     .run = run,
    .destroy = destroy};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
