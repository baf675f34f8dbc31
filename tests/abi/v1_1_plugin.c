/* A plugin built against the frozen ABI 1.1 header. SPDX-License-Identifier: MIT
 *
 * Compiled with tests/abi/v1.1 as its only Vitals include path, like v1_0_plugin.c for
 * 1.0: whatever sdk/include/vitals/plugin.h becomes, this is a plugin an author built
 * against 1.1, and every later 1.x agent must keep loading and running it, beside 1.0
 * ones. It uses each 1.1 addition once, each behind VITALS_HOST_HAS, and says in its
 * message which it could use, so a test can tell a member that moved.
 */
#define _POSIX_C_SOURCE 200809L

#include <vitals/plugin.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if VITALS_ABI_MAJOR != 1 || VITALS_ABI_MINOR != 1
#error "this plugin must be built against the frozen 1.1 header"
#endif

struct abi11_check {
    int64_t port;
    char mode[16];
};

static const char *const abi11_modes[] = {"fast", "thorough", NULL};

static const vitals_param_spec abi11_params[] = {
    {.key = "port",
     .type = VITALS_PARAM_INT,
     .default_value = "80",
     .description = "a port",
     .min = 1,
     .max = 65535,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {.key = "mode",
     .type = VITALS_PARAM_STRING,
     .default_value = "fast",
     .description = "how",
     .choices = abi11_modes},
    {.key = NULL},
};

static int32_t abi11_init(const vitals_host_api *host, vitals_context *ctx, const char *path) {
    (void)path;
    host->log(ctx, VITALS_LOG_INFO, "abi_v1_1 init");
    return 0;
}

static void abi11_deinit(const vitals_host_api *host, vitals_context *ctx) {
    host->log(ctx, VITALS_LOG_INFO, "abi_v1_1 deinit");
}

static void *abi11_create(const vitals_host_api *host, vitals_context *ctx) {
    struct abi11_check *check = calloc(1, sizeof *check);
    const char *mode = NULL;
    if (check == NULL) return NULL;
    if (host->param_int(ctx, "port", &check->port) != 0 ||
        host->param_string(ctx, "mode", &mode) != 0) {
        free(check);
        return NULL;
    }
    snprintf(check->mode, sizeof check->mode, "%s", mode);
    return check;
}

static void abi11_run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    const struct abi11_check *check = instance;
    char message[256];
    const char *name = "?";
    int cancel_ready = -1;
    int kept = -1;
    if (VITALS_HOST_HAS(host, run_info)) name = host->run_info(ctx)->check_name;
    if (VITALS_HOST_HAS(host, cancel_fd)) {
        /* Not readable yet: the run has just begun. */
        struct pollfd cancel = {.fd = host->cancel_fd(ctx), .events = POLLIN};
        cancel_ready = cancel.fd >= 0 ? poll(&cancel, 1, 0) : -2;
    }
    if (VITALS_HOST_HAS(host, add_metric_ex)) {
        const vitals_label labels[] = {{"mode", check->mode}};
        const vitals_metric metric = {.struct_size = sizeof metric,
                                      .kind = VITALS_METRIC_COUNTER,
                                      .name = "probes",
                                      .value = (double)check->port,
                                      .labels = labels,
                                      .label_count = 1,
                                      .has = VITALS_METRIC_HAS_WARN,
                                      .warn = 1000};
        kept = host->add_metric_ex(ctx, &metric) == 0;
    } else {
        host->add_metric(ctx, "probes", (double)check->port, "");
    }
    snprintf(message, sizeof message, "name=%s port=%lld mode=%s cancel_ready=%d kept=%d", name,
             (long long)check->port, check->mode, cancel_ready, kept);
    host->set_result(ctx, VITALS_STATUS_OK, message);
}

static void abi11_destroy_ex(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    host->log(ctx, VITALS_LOG_INFO, "abi_v1_1 destroyed");
    free(instance);
}

/* What a 1.0 agent calls; a 1.1 agent calls destroy_ex instead. */
static void abi11_destroy(void *instance) {
    free(instance);
}

static const vitals_plugin abi11_plugin = {
    VITALS_PLUGIN_HEADER,     .name = "abi_v1_1",
    .version = "1.1.0",       .description = "a plugin built against the frozen ABI 1.1 header",
    .params = abi11_params,   .param_spec_size = sizeof(vitals_param_spec),
    .create = abi11_create,   .run = abi11_run,
    .destroy = abi11_destroy, .init = abi11_init,
    .deinit = abi11_deinit,   .destroy_ex = abi11_destroy_ex,
};

VITALS_PLUGIN_EXPORT const vitals_plugin *vitals_plugin_entry(void) {
    return &abi11_plugin;
}
