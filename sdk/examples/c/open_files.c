/* "open_files": the system-wide file handle table. SPDX-License-Identifier: MIT
 *
 * A complete Vitals plugin in plain C99, built out of tree (see CMakeLists.txt next to
 * it). Copy this folder to start your own. When the kernel's file handle table fills
 * up, every process on the host starts failing open(), accept() and socket() with
 * ENFILE; this check warns well before that, from /proc/sys/fs/file-nr.
 *
 *   [check.file_handles]
 *   plugin = "open_files"
 *   params = { warning = 80, error = 90 }
 */

/* strerror_r() is POSIX, not ISO C; this must precede every include. */
#define _POSIX_C_SOURCE 200809L

#include <vitals/plugin.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One instance per check in conf.d that names this plugin. The host only holds it as a
 * void *, so its layout is the plugin's own business. */
struct open_files_check {
    double warning_percent;
    double error_percent;
};

/* Declared parameters: the host rejects unknown keys, wrong types, missing required keys
 * and (since ABI 1.1) values outside min..max with conf.d's file and line before create()
 * runs. Defaults are text, as a user would write them. Designated initializers leave
 * what a parameter does not use zero. A NULL key ends the table, which must stay valid
 * while the library is loaded: hence static. */
static const vitals_param_spec open_files_params[] = {
    {.key = "warning",
     .type = VITALS_PARAM_FLOAT,
     .default_value = "80",
     .description = "warn at this percentage of the handle limit",
     .min = 0,
     .max = 100,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {.key = "error",
     .type = VITALS_PARAM_FLOAT,
     .default_value = "90",
     .description = "fail at this percentage of the handle limit",
     .min = 0,
     .max = 100,
     .limits = VITALS_LIMIT_MIN | VITALS_LIMIT_MAX},
    {.key = NULL},
};

/* [configuration thread, and `vitalsd --check-config`] Read and validate the parameters;
 * touch nothing on the system. On failure return NULL: the getters have already told the
 * host why, and param_error() tells it about values the types cannot catch. */
static void *open_files_create(const vitals_host_api *host, vitals_context *ctx) {
    double warning = 0, error = 0;
    /* Read both before giving up, so the user sees every problem at once. */
    const int failed = (host->param_float(ctx, "warning", &warning) != 0) |
                       (host->param_float(ctx, "error", &error) != 0);
    if (failed) return NULL;
    /* A 1.0 agent ignores the declared limits, and no limit relates two parameters. */
    if (warning < 0 || warning > 100) {
        host->param_error(ctx, "warning", "must be a percentage, 0 to 100");
        return NULL;
    }
    if (error < warning || error > 100) {
        host->param_error(ctx, "error", "must be a percentage, at least warning and at most 100");
        return NULL;
    }
    struct open_files_check *check = malloc(sizeof *check);
    if (check == NULL) {
        host->param_error(ctx, NULL, "out of memory");
        return NULL;
    }
    check->warning_percent = warning;
    check->error_percent = error;
    return check;
}

/* [scheduler thread; never two at once for one instance] Everything here is the instance
 * or local, so other instances may run alongside. The host copies every string it is
 * given before returning, so stack buffers are fine. */
static void open_files_run(void *instance, const vitals_host_api *host, vitals_context *ctx) {
    const struct open_files_check *check = instance;
    char message[256];
    FILE *file = fopen("/proc/sys/fs/file-nr", "r");
    if (file == NULL) {
        char reason[128];
        /* strerror_r: instances may run on several threads at once. */
        if (strerror_r(errno, reason, sizeof reason) != 0) snprintf(reason, sizeof reason, "?");
        snprintf(message, sizeof message, "cannot open /proc/sys/fs/file-nr: %s", reason);
        host->set_result(ctx, VITALS_STATUS_ERROR, message);
        return;
    }
    /* "allocated  free  maximum"; the middle field is always 0 on Linux 2.6 and later. */
    uint64_t allocated = 0, unused = 0, maximum = 0;
    const int parsed =
        fscanf(file, "%" SCNu64 " %" SCNu64 " %" SCNu64, &allocated, &unused, &maximum);
    fclose(file);
    if (parsed != 3 || maximum == 0) {
        host->set_result(ctx, VITALS_STATUS_ERROR, "cannot parse /proc/sys/fs/file-nr");
        return;
    }
    const uint64_t in_use = allocated - (unused < allocated ? unused : allocated);
    const double percent = 100.0 * (double)in_use / (double)maximum;

    /* Units come from a small vocabulary (count, percent, bytes, seconds, days) so
     * dashboards can treat every plugin's metrics alike. */
    host->add_metric(ctx, "open_files", (double)in_use, "count");
    host->add_metric(ctx, "max_open_files", (double)maximum, "count");
    host->add_metric(ctx, "used_percent", percent, "percent");

    snprintf(message, sizeof message, "%" PRIu64 " of %" PRIu64 " file handles in use (%.1f%%)",
             in_use, maximum, percent);
    int32_t status = VITALS_STATUS_OK;
    if (percent >= check->error_percent)
        status = VITALS_STATUS_ERROR;
    else if (percent >= check->warning_percent)
        status = VITALS_STATUS_WARNING;
    host->set_result(ctx, status, message);
}

/* [configuration thread] The last call on an instance. */
static void open_files_destroy(void *instance) {
    free(instance);
}

/* Static and const: it must outlive every call, and several threads may read it.
 * VITALS_PLUGIN_HEADER records the ABI version and this struct's size, which is how the
 * host knows which header the plugin was built with. */
static const vitals_plugin open_files_plugin = {
    VITALS_PLUGIN_HEADER,
    .name = "open_files",
    .version = "1.0.0",
    .description = "system-wide file handles in use, against the kernel's limit",
    .params = open_files_params,
    .param_spec_size = (uint32_t)sizeof(vitals_param_spec),
    .create = open_files_create,
    .run = open_files_run,
    .destroy = open_files_destroy,
};

/* The one exported symbol; vitals_add_plugin() hides everything else. */
const vitals_plugin *vitals_plugin_entry(void) {
    return &open_files_plugin;
}
