/* A plugin built against the frozen ABI 1.0 header. SPDX-License-Identifier: MIT
 *
 * Compiled with tests/abi/v1.0 as its only Vitals include path, never with the SDK
 * target: whatever sdk/include/vitals/plugin.h becomes, this is what a plugin an author
 * built against 1.0 looks like, and every 1.x agent must keep loading and running it.
 * It calls every 1.0 host function and reports what it saw, so a test can tell a field
 * that moved from one that merely kept its name.
 */
#define _POSIX_C_SOURCE 200809L

#include <vitals/plugin.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if VITALS_ABI_MAJOR != 1 || VITALS_ABI_MINOR != 0
#error "this plugin must be built against the frozen 1.0 header"
#endif

struct abi_check {
    char text[64];
    int64_t count;
    double ratio;
    int flag;
    int64_t wait_ns;
    char items[128];
    int has_token;
    int64_t status;
};

static const vitals_param_spec abi_params[] = {
    {"text", VITALS_PARAM_STRING, 0, "hello", "a string", 0},
    {"count", VITALS_PARAM_INT, 0, "3", "an integer", 0},
    {"ratio", VITALS_PARAM_FLOAT, 0, "0.5", "a float", 0},
    {"flag", VITALS_PARAM_BOOL, 0, "true", "a boolean", 0},
    {"wait", VITALS_PARAM_DURATION, 0, "250ms", "a duration", 0},
    {"items", VITALS_PARAM_STRING_LIST, 0, "a,b", "a list", 0},
    {"token", VITALS_PARAM_STRING, 0, NULL, "a secret", 1},
    {"status", VITALS_PARAM_INT, 0, "0", "the status to report: 0, 1 or 2", 0},
    {NULL, 0, 0, NULL, NULL, 0},
};

static void *abi_create(const vitals_host_api *host, vitals_context *ctx) {
    /* A 1.x host's table starts with every 1.0 member. */
    if (host->abi_major != 1 || host->struct_size < sizeof(vitals_host_api)) {
        host->param_error(ctx, NULL, "host table smaller than ABI 1.0's");
        return NULL;
    }
    struct abi_check *check = calloc(1, sizeof *check);
    if (check == NULL) return NULL;
    const char *text = NULL;
    const char *const *items = NULL;
    size_t item_count = 0;
    int failed = 0;
    failed |= host->param_string(ctx, "text", &text);
    failed |= host->param_int(ctx, "count", &check->count);
    failed |= host->param_float(ctx, "ratio", &check->ratio);
    failed |= host->param_bool(ctx, "flag", &check->flag);
    failed |= host->param_duration_ns(ctx, "wait", &check->wait_ns);
    failed |= host->param_string_list(ctx, "items", &items, &item_count);
    failed |= host->param_int(ctx, "status", &check->status);
    check->has_token = host->param_has(ctx, "token");
    if (!failed && (check->status < 0 || check->status > 2)) {
        host->param_error(ctx, "status", "must be 0, 1 or 2");
        failed = 1;
    }
    if (failed) {
        free(check);
        return NULL;
    }
    snprintf(check->text, sizeof check->text, "%s", text);
    for (size_t i = 0; i < item_count; ++i) {
        const size_t used = strlen(check->items);
        snprintf(check->items + used, sizeof check->items - used, "%s%s", i ? "," : "", items[i]);
    }
    host->log(ctx, VITALS_LOG_DEBUG, "abi_v1_0 created");
    return check;
}

static void abi_run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    const struct abi_check *check = instance;
    const int64_t left = host->time_left_ns(ctx);
    char message[512];
    snprintf(message, sizeof message,
             "text=%s count=%" PRId64 " ratio=%g flag=%d wait_ms=%" PRId64
             " items=%s token=%d time_left=%s",
             check->text, check->count, check->ratio, check->flag, check->wait_ns / 1000000,
             check->items, check->has_token, left > 0 ? "yes" : "no");
    host->add_metric(ctx, "count", (double)check->count, "count");
    host->add_metric(ctx, "ratio", check->ratio * 100, "percent");
    host->log(ctx, VITALS_LOG_INFO, message);
    host->set_result(ctx, (int32_t)check->status, message);
}

static void abi_destroy(void *instance) {
    free(instance);
}

static const vitals_plugin abi_plugin = {
    VITALS_PLUGIN_HEADER,
    "abi_v1_0",
    "1.0.0",
    "built against the frozen ABI 1.0 header",
    abi_params,
    (uint32_t)sizeof(vitals_param_spec),
    abi_create,
    abi_run,
    abi_destroy,
};

const vitals_plugin *vitals_plugin_entry(void) {
    return &abi_plugin;
}
