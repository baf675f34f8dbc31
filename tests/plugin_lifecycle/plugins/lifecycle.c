/* A plugin built against the ABI 1.1 header that uses its lifecycle: init() and deinit()
 * counted and logged, destroy_ex() logging, run_info() reported, and a run that waits on
 * cancel_fd(). The tests read what it logs and reports through the real vitalsd.
 *
 * The same source builds several plugins (LIFECYCLE_NAME):
 *   LIFECYCLE_REFUSE_INIT  init() logs why and returns 7: the plugin is refused;
 *   LIFECYCLE_NO_DESTROY   destroy is NULL, destroy_ex alone releases instances;
 *   LIFECYCLE_HANG_INIT    init() does not return for a minute.
 * SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L

#include <vitals/plugin.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if VITALS_ABI_MAJOR != 1 || VITALS_ABI_MINOR < 1
#error "this plugin tests ABI 1.1"
#endif

#ifndef LIFECYCLE_NAME
#define LIFECYCLE_NAME "lifecycle"
#endif

/* In these tests the host's init(), deinit(), create() and destroy() calls of one library
 * never overlap (startup, a reload and the shutdown make them one after the other), so plain
 * counters are enough here; a real plugin's shared state must be thread-safe. */
static int inits;
static int deinits;
static int live_instances;

enum mode { MODE_REPORT, MODE_CANCEL };

struct lifecycle {
    enum mode mode;
    char statuses[16]; /* one of 'o', 'w', 'e' per run, in turn */
    size_t runs;
};

static const vitals_param_spec params[] = {
    {"mode", VITALS_PARAM_STRING, 0, "report",
     "report: run_info in the message; cancel: wait "
     "for cancel_fd",
     0, 0, 0, NULL, 0},
    {"statuses", VITALS_PARAM_STRING, 0, "o", "the status of each run in turn: o, w or e", 0, 0, 0,
     NULL, 0},
    {NULL, 0, 0, NULL, NULL, 0, 0, 0, NULL, 0},
};

static void say(const vitals_host_api *host, vitals_context *ctx, int32_t level, const char *format,
                ...) __attribute__((format(printf, 4, 5)));

static void say(const vitals_host_api *host, vitals_context *ctx, int32_t level, const char *format,
                ...) {
    char line[512];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    host->log(ctx, level, line);
}

/* "check=NAME interval_ms=... timeout_ms=... attempt=A previous=P", or "no run_info" on a
 * host whose table ends before run_info (a 1.0 agent's). */
static void describe_run(const vitals_host_api *host, vitals_context *ctx, char *out, size_t size) {
    if (!VITALS_HOST_HAS(host, run_info) || host->run_info == NULL) {
        snprintf(out, size, "no run_info");
        return;
    }
    const vitals_run_info *info = host->run_info(ctx);
    snprintf(out, size,
             "check=%s interval_ms=%" PRId64 " timeout_ms=%" PRId64 " attempt=%" PRIu32
             " previous=%" PRId32,
             info->check_name, info->interval_ns / 1000000, info->timeout_ns / 1000000,
             info->attempt, info->previous_status);
}

static int32_t lifecycle_init(const vitals_host_api *host, vitals_context *ctx,
                              const char *plugin_path) {
    ++inits;
#if defined(LIFECYCLE_HANG_INIT)
    (void)plugin_path;
    say(host, ctx, VITALS_LOG_WARNING, "init hangs");
    sleep(60); /* long past any create() limit, yet not forever */
    return 0;
#elif defined(LIFECYCLE_REFUSE_INIT)
    (void)plugin_path;
    say(host, ctx, VITALS_LOG_ERROR, "no licence file at /nonexistent/licence");
    return 7;
#else
    say(host, ctx, VITALS_LOG_INFO, "init #%d pid=%ld path=%s", inits, (long)getpid(), plugin_path);
    return 0;
#endif
}

static void lifecycle_deinit(const vitals_host_api *host, vitals_context *ctx) {
    ++deinits;
    say(host, ctx, VITALS_LOG_INFO, "deinit #%d pid=%ld live_instances=%d", deinits, (long)getpid(),
        live_instances);
}

static void *lifecycle_create(const vitals_host_api *host, vitals_context *ctx) {
    if (inits == deinits) {
        host->param_error(ctx, NULL, "create() before init()");
        return NULL;
    }
    const char *mode = NULL;
    const char *statuses = NULL;
    if (host->param_string(ctx, "mode", &mode) || host->param_string(ctx, "statuses", &statuses))
        return NULL;
    struct lifecycle *instance = calloc(1, sizeof *instance);
    if (instance == NULL) return NULL;
    instance->mode = strcmp(mode, "cancel") == 0 ? MODE_CANCEL : MODE_REPORT;
    snprintf(instance->statuses, sizeof instance->statuses, "%s", *statuses ? statuses : "o");
    char info[256];
    describe_run(host, ctx, info, sizeof info);
    say(host, ctx, VITALS_LOG_DEBUG, "create: %s pid=%ld", info, (long)getpid());
    ++live_instances;
    return instance;
}

static int64_t elapsed_ms(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* Waits for the host's cancellation, as a plugin waiting on its own sockets would. */
static void wait_for_cancel(const vitals_host_api *host, vitals_context *ctx) {
    if (!VITALS_HOST_HAS(host, cancel_fd) || host->cancel_fd == NULL) {
        host->set_result(ctx, VITALS_STATUS_ERROR, "no cancel_fd");
        return;
    }
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const int fd = host->cancel_fd(ctx);
    if (fd < 0 || host->cancel_fd(ctx) != fd) {
        host->set_result(ctx, VITALS_STATUS_ERROR, "cancel_fd not one descriptor");
        return;
    }
    struct pollfd wait = {fd, POLLIN, 0};
    int ready;
    do
        ready = poll(&wait, 1, 60000);
    while (ready < 0 && errno == EINTR);
    const int64_t waited = elapsed_ms(&start);
    say(host, ctx, VITALS_LOG_INFO, "cancel_fd fired after %" PRId64 " ms, time_left_ns<=0: %d",
        waited, host->time_left_ns(ctx) <= 0);
    host->set_result(ctx, VITALS_STATUS_OK, "returned when cancelled");
}

static void lifecycle_run(void *opaque, const vitals_host_api *host, vitals_context *ctx) {
    struct lifecycle *instance = opaque;
    if (instance->mode == MODE_CANCEL) {
        wait_for_cancel(host, ctx);
        return;
    }
    const char code = instance->statuses[instance->runs++ % strlen(instance->statuses)];
    const int32_t status = code == 'e'   ? VITALS_STATUS_ERROR
                           : code == 'w' ? VITALS_STATUS_WARNING
                                         : VITALS_STATUS_OK;
    char info[256];
    describe_run(host, ctx, info, sizeof info);
    say(host, ctx, VITALS_LOG_INFO, "run %zu: %s", instance->runs, info);
    host->set_result(ctx, status, info);
}

static void lifecycle_destroy_ex(void *opaque, const vitals_host_api *host, vitals_context *ctx) {
    char info[256];
    describe_run(host, ctx, info, sizeof info);
    say(host, ctx, VITALS_LOG_INFO, "destroy_ex: %s", info);
    --live_instances;
    free(opaque);
}

#ifndef LIFECYCLE_NO_DESTROY
/* Never called while destroy_ex is set: says so loudly if it is. */
static void lifecycle_destroy(void *opaque) {
    fprintf(stderr, "lifecycle: destroy() called although destroy_ex is set\n");
    --live_instances;
    free(opaque);
}
#define LIFECYCLE_DESTROY lifecycle_destroy
#else
#define LIFECYCLE_DESTROY NULL
#endif

static const vitals_plugin descriptor = {
    VITALS_PLUGIN_HEADER,
    LIFECYCLE_NAME,
    "1.1.0",
    "ABI 1.1 lifecycle test plugin",
    params,
    sizeof(vitals_param_spec),
    lifecycle_create,
    lifecycle_run,
    LIFECYCLE_DESTROY,
    lifecycle_init,
    lifecycle_deinit,
    lifecycle_destroy_ex,
};

const vitals_plugin *vitals_plugin_entry(void) {
    return &descriptor;
}
