/* A plugin built against the 1.1 header that checks VITALS_HOST_HAS before every 1.1 call,
 * so it runs on a 1.0 agent too: what <vitals/testing.hpp>'s own tests load, on a 1.1 and
 * on a 1.0-sized host table. Plain C99, as a plugin author in C would write it.
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L

#include <vitals/plugin.h>

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What run() does, chosen by the `mode` parameter. */
enum mode { MODE_REPORT, MODE_WAIT, MODE_SPIN, MODE_UNCHECKED, MODE_SILENT, MODE_MISPLACED };
static const char *const mode_names[] = {"report", "wait",      "spin", "unchecked",
                                         "silent", "misplaced", NULL};

static const vitals_param_spec host_aware_params[] = {
    {.key = "mode",
     .type = VITALS_PARAM_STRING,
     .default_value = "report",
     .description = "What run() does",
     .choices = mode_names},
    {.key = "count",
     .type = VITALS_PARAM_INT,
     .default_value = "1",
     .description = "The value of the requests metric",
     .min = 1,
     .max = 10,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {.key = NULL},
};

struct host_aware {
    enum mode mode;
    int64_t count;
};

static int32_t host_aware_init(const vitals_host_api *host, vitals_context *ctx,
                               const char *plugin_path) {
    char line[512];
    snprintf(line, sizeof line, "init %s", plugin_path);
    host->log(ctx, VITALS_LOG_INFO, line);
    return 0;
}

static void host_aware_deinit(const vitals_host_api *host, vitals_context *ctx) {
    host->log(ctx, VITALS_LOG_INFO, "deinit");
}

static void *host_aware_create(const vitals_host_api *host, vitals_context *ctx) {
    const char *mode = NULL;
    int64_t count = 0;
    /* Both read before giving up, so that every problem is reported. */
    const int failed =
        host->param_string(ctx, "mode", &mode) | host->param_int(ctx, "count", &count);
    if (failed) return NULL;
    struct host_aware *check = malloc(sizeof *check);
    if (!check) {
        host->param_error(ctx, NULL, "out of memory");
        return NULL;
    }
    check->mode = MODE_REPORT;
    for (int i = 0; mode_names[i]; ++i)
        if (strcmp(mode, mode_names[i]) == 0) check->mode = (enum mode)i;
    check->count = count;
    if (VITALS_HOST_HAS(host, run_info)) {
        char line[256];
        snprintf(line, sizeof line, "creating %s", host->run_info(ctx)->check_name);
        host->log(ctx, VITALS_LOG_DEBUG, line);
    }
    return check;
}

static void report(const struct host_aware *check, const vitals_host_api *host,
                   vitals_context *ctx) {
    if (!VITALS_HOST_HAS(host, add_metric_ex)) {
        host->add_metric(ctx, "requests", (double)check->count, "count");
        host->set_result(ctx, VITALS_STATUS_OK, "1.0 host");
        return;
    }
    const vitals_label labels[] = {{"method", "GET"}};
    vitals_metric metric = {0};
    metric.struct_size = sizeof metric;
    metric.kind = VITALS_METRIC_COUNTER;
    metric.name = "requests";
    metric.value = (double)check->count;
    metric.unit = "count";
    metric.labels = labels;
    metric.label_count = 1;
    metric.has = VITALS_METRIC_HAS_WARN | VITALS_METRIC_HAS_CRIT;
    metric.warn = 5;
    metric.crit = 8;
    const int32_t kept = host->add_metric_ex(ctx, &metric);
    const vitals_run_info *info = host->run_info(ctx);
    char message[256];
    snprintf(message, sizeof message,
             "1.1 host, check %s, attempt %" PRIu32 ", previous %" PRId32 ", metric %s",
             info->check_name, info->attempt, info->previous_status,
             kept == 0 ? "kept" : "dropped");
    host->set_result(ctx, VITALS_STATUS_OK, message);
}

/* Waits for the host's cancel descriptor, or on a 1.0 host for time_left to run out. */
static void wait_for_timeout(const vitals_host_api *host, vitals_context *ctx) {
    const int fd = VITALS_HOST_HAS(host, cancel_fd) ? host->cancel_fd(ctx) : -1;
    if (fd < 0) {
        while (host->time_left_ns(ctx) > 0) {
        }
        host->set_result(ctx, VITALS_STATUS_ERROR, "out of time");
        return;
    }
    struct pollfd cancel = {.fd = fd, .events = POLLIN};
    const int ready = poll(&cancel, 1, 10000);
    host->set_result(ctx, VITALS_STATUS_ERROR, ready == 1 ? "cancelled" : "poll gave up");
}

static void host_aware_run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    const struct host_aware *check = instance;
    char message[128];
    switch (check->mode) {
    case MODE_REPORT:
        report(check, host, ctx);
        break;
    case MODE_WAIT:
        wait_for_timeout(host, ctx);
        break;
    case MODE_SPIN: {
        int64_t reads = 0;
        while (host->time_left_ns(ctx) > 0)
            ++reads;
        snprintf(message, sizeof message, "gave up after %" PRId64 " reads", reads);
        host->set_result(ctx, VITALS_STATUS_ERROR, message);
        break;
    }
    case MODE_UNCHECKED: {
        /* Deliberately wrong: calls a 1.1 function without VITALS_HOST_HAS. */
        vitals_metric metric = {0};
        metric.struct_size = sizeof metric;
        metric.name = "unchecked";
        host->add_metric_ex(ctx, &metric);
        host->set_result(ctx, VITALS_STATUS_OK, "called add_metric_ex unchecked");
        break;
    }
    case MODE_SILENT:
        break;
    case MODE_MISPLACED:
        /* Deliberately wrong: parameters are for create() only. */
        host->param_has(ctx, "count");
        host->set_result(ctx, VITALS_STATUS_OK, "read a parameter in run()");
        break;
    }
}

static void host_aware_destroy(void *instance) {
    free(instance);
}

static void host_aware_destroy_ex(void *instance, const vitals_host_api *host,
                                  vitals_context *ctx) {
    char line[128];
    const vitals_run_info *info = host->run_info(ctx); /* destroy_ex implies a 1.1 host */
    snprintf(line, sizeof line, "destroying, previous %" PRId32 ", attempt %" PRIu32,
             info->previous_status, info->attempt);
    host->log(ctx, VITALS_LOG_DEBUG, line);
    free(instance);
}

static const vitals_plugin host_aware_plugin = {
    VITALS_PLUGIN_HEADER,
    .name = "host_aware",
    .version = "1.1.0",
    .description = "Checks VITALS_HOST_HAS before each 1.1 call",
    .params = host_aware_params,
    .param_spec_size = (uint32_t)sizeof(vitals_param_spec),
    .create = host_aware_create,
    .run = host_aware_run,
    .destroy = host_aware_destroy,
    .init = host_aware_init,
    .deinit = host_aware_deinit,
    .destroy_ex = host_aware_destroy_ex,
};

const vitals_plugin *vitals_plugin_entry(void) {
    return &host_aware_plugin;
}
